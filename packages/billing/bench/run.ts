/**
 * `pnpm --filter @prx-voice/billing bench`: what metering costs.
 *  1. The hot path: `record()` as a session calls it (validate, enqueue) — µs per event,
 *     and per voice turn at the five usage events a turn records (session time, ASR audio,
 *     prompt and completion tokens, TTS characters) — beside a baseline loop that only
 *     builds the same event objects.
 *  2. The background: meter events written per second by the recorder's batches, into
 *     embedded PGlite (in memory) and, with `DATABASE_URL`, PostgreSQL.
 *  3. Closing a period of 10 000 meter events into the ledger and an invoice.
 */
import { sql } from 'kysely';
import { systemClock } from '@prx-voice/core';
import type { Repositories } from '@prx-voice/storage';
import { openDatabase, createRepositories, migrateToLatest } from '@prx-voice/storage';
import { createIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { closePeriod } from '../src/close-period.js';
import { createMeterRecorder } from '../src/meter-recorder.js';
import type { UsageEvent } from '../src/meter-recorder.js';

const METERS_PER_TURN = [
  'session_seconds',
  'asr_audio_ms',
  'agent_prompt_tokens',
  'agent_completion_tokens',
  'tts_characters',
] as const;

async function open(
  kind: 'pglite' | 'postgres',
): Promise<{ repos: Repositories; close: () => Promise<void> }> {
  const schema = `bench_billing_${String(process.pid)}`;
  const handle =
    kind === 'pglite'
      ? await openDatabase({ kind: 'pglite', dataDir: 'memory' })
      : await openDatabase({
          kind: 'postgres',
          url: process.env['DATABASE_URL'] ?? '',
          // A schema of its own, dropped afterwards: the database's own data is left alone.
          schema,
        });
  await migrateToLatest(handle.db);
  const ids = createIdGenerator({ now: () => Date.now() });
  return {
    repos: createRepositories({ db: handle.db, clock: systemClock, ids }),
    close: async () => {
      if (kind === 'postgres') await sql`drop schema ${sql.id(schema)} cascade`.execute(handle.db);
      await handle.close();
    },
  };
}

function eventOf(tenantId: TenantId, i: number, at: number): UsageEvent {
  return {
    tenantId,
    sessionId: `sess_${String(i % 1000).padStart(26, '0')}` as SessionId,
    meter: METERS_PER_TURN[i % METERS_PER_TURN.length] as string,
    quantity: 1 + (i % 97),
    provider: 'mock',
    idempotencyKey: `bench:${String(at)}:${String(i)}`,
    occurredAt: at,
  };
}

async function run(kind: 'pglite' | 'postgres'): Promise<void> {
  const { repos, close } = await open(kind);
  const tenant = await repos.tenants.create({
    slug: `bench-${String(Date.now())}`,
    name: 'Bench',
    tier: 'growth',
  });
  const tenantId = tenant.id as TenantId;
  const n = 20_000;
  const at = Date.UTC(2026, 0, 10);
  // 1. The hot path, against a baseline that builds the same objects.
  const events = Array.from({ length: n }, (_, i) => eventOf(tenantId, i, at));
  const sink: UsageEvent[] = [];
  let t0 = performance.now();
  for (const e of events) sink.push({ ...e });
  const baselineUs = ((performance.now() - t0) * 1000) / n;
  const recorder = createMeterRecorder({ repos, clock: systemClock, maxQueue: n * 2 });
  t0 = performance.now();
  for (const e of events) recorder.record(e);
  const recordUs = ((performance.now() - t0) * 1000) / n;
  // 2. The background writes.
  const w0 = performance.now();
  await recorder.close();
  const writeS = (performance.now() - w0) / 1000;
  const written = recorder.stats.recorded;
  console.log(
    `${kind}: record() ${recordUs.toFixed(2)} µs per event (baseline copy ${baselineUs.toFixed(2)} µs) → ${(recordUs * METERS_PER_TURN.length).toFixed(1)} µs per voice turn of ${String(METERS_PER_TURN.length)} events, never waiting on the database`,
  );
  console.log(
    `${kind}: ${String(written)} meter events written in ${writeS.toFixed(2)} s → ${Math.round(written / writeS)} events/s (batched, idempotent)`,
  );
  // 3. A period close over them.
  const c0 = performance.now();
  const { invoice } = await closePeriod({
    repos,
    tenant,
    period: '2026-01',
    now: Date.UTC(2026, 1, 5),
  });
  console.log(
    `${kind}: closing 2026-01 over ${String(written)} meter events: ${(performance.now() - c0).toFixed(0)} ms, ${String(invoice.lines.length)} invoice lines, total ${String(invoice.total_micros)} micros`,
  );
  await close();
}

await run('pglite');
if (process.env['DATABASE_URL'] !== undefined) await run('postgres');
else console.log('postgres: skipped (set DATABASE_URL)');
