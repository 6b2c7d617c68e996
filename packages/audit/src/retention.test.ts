/**
 * The retention sweeper on a simulated clock, on each database: it deletes exactly what
 * is past its period — recordings (files, then rows), sessions (with their turns and
 * events), debug events, billing records — per tenant with its own overrides, and
 * records what it deleted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { openTestDatabase, testDatabaseKinds, testSession } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import type { TenantRepositories } from '@prx-voice/storage';
import type { Id, SessionId, TenantId } from '@prx-voice/types';
import { createAuditLog } from './audit-log.js';
import { createRetentionSweeper } from './retention.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2029, 5, 15, 12);
const ago = (days: number, ms = 0): Date => new Date(NOW - days * DAY + ms);

describe.each(testDatabaseKinds())('retention on %s', (kind) => {
  const clock = new SimulatedClock({ start: NOW });
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase({ clock, kind });
  }, 60_000);
  afterAll(() => db.close());

  async function tenant(slug: string, settings: Record<string, unknown> = {}) {
    const row = await db.repos.tenants.create({ slug, name: slug, tier: 'growth', settings });
    return { id: row.id as TenantId, t: db.repos.forTenant(row.id as TenantId) };
  }

  /** A session that ended `days` ago (undefined: still live), with one turn and two events. */
  async function session(t: TenantRepositories, days: number | undefined): Promise<SessionId> {
    const s = await testSession(t, days === undefined ? {} : { end: { at: ago(days) } });
    const id = s.id as SessionId;
    await t.turns.create({
      id: `turn_${id.slice(5)}` as never,
      sessionId: id,
      seq: 1,
      inputKind: 'text',
      userText: 'hi',
    });
    return id;
  }

  /** A recording of `id` made `days` ago, its file in `files`. */
  async function recording(t: TenantRepositories, id: SessionId, days: number, files: Set<string>) {
    const key = `${id}-${String(days)}.wav`;
    const row = await t.recordings.create({
      sessionId: id,
      objectKey: key,
      contentType: 'audio/wav',
      sampleRate: 24_000,
      channels: 2,
      durationMs: 1_000,
      sizeBytes: 96_044,
    });
    await db.handle.db
      .updateTable('recordings')
      .set({ created_at: ago(days) })
      .where('id', '=', row.id)
      .execute();
    files.add(key);
    return row.id as Id<'recording'>;
  }

  async function events(t: TenantRepositories, id: SessionId, list: [string, number][]) {
    await t.events.append(
      list.map(([severity, days], i) => ({
        sessionId: id,
        seq: i + 1,
        id: `evt_${id.slice(5)}${String(i)}`,
        type: severity === 'debug' ? 'prx.voice.agent.token_stream' : 'prx.voice.turn.completed',
        time: ago(days),
        severity,
        event: {},
      })),
    );
  }

  it('deletes exactly what is past each period, per tenant, and records it', async () => {
    const a = await tenant('ret-a');
    const b = await tenant('ret-b', { retention: { sessions_days: 30 } });
    const oldA = await session(a.t, 91);
    const keptA = await session(a.t, 89);
    const liveA = await session(a.t, undefined);
    const oldB = await session(b.t, 31);
    const keptB = await session(b.t, 29);
    // Recordings: 30 days, and never beyond their session's retention.
    const files = new Set<string>();
    const store = { delete: (key: string) => Promise.resolve(files.delete(key)) };
    const oldRecA = await recording(a.t, keptA, 31, files);
    const keptRecA = await recording(a.t, keptA, 29, files);
    const recOfOldB = await recording(b.t, oldB, 20, files);
    // Debug events older than 7 days go; newer ones, and older ones that are not debug, stay.
    await events(a.t, keptA, [
      ['info', 20],
      ['debug', 8],
      ['debug', 6],
    ]);
    // Billing: kept three years.
    for (const [key, days] of [
      ['old', 1_096],
      ['new', 1_094],
    ] as const) {
      await a.t.billing.recordUsage({
        meter: 'tts_characters',
        quantity: 5,
        unit: 'character',
        provider: 'mock',
        sessionId: null,
        idempotencyKey: key,
        occurredAt: ago(days),
      });
    }
    for (const period of ['2026-05', '2026-06']) {
      await a.t.billing.post({
        kind: 'usage',
        amountMicros: 100,
        currency: 'USD',
        period,
        description: 'x',
        idempotencyKey: `l-${period}`,
      });
      await a.t.invoices.create({
        period,
        currency: 'USD',
        totalMicros: 100,
        lines: [],
        details: {},
        closedAt: new Date(Date.parse(`${period}-01`) + 40 * DAY),
      });
    }

    const audit = createAuditLog({ repos: db.repos, clock });
    const sweeper = createRetentionSweeper({ repos: db.repos, clock, audit, store });
    const swept = await sweeper.sweep();
    expect(swept).toEqual([
      {
        tenantId: a.id,
        sessions: 1,
        recordings: 1,
        debugEvents: 1,
        meterEvents: 1,
        ledgerEntries: 1,
        invoices: 1,
      },
      {
        tenantId: b.id,
        sessions: 1,
        recordings: 1,
        debugEvents: 0,
        meterEvents: 0,
        ledgerEntries: 0,
        invoices: 0,
      },
    ]);
    expect([...files]).toEqual([`${keptA}-29.wav`]);
    expect(await a.t.recordings.get(oldRecA)).toBeUndefined();
    expect(await a.t.recordings.get(keptRecA)).toBeDefined();
    expect(await b.t.recordings.get(recOfOldB)).toBeUndefined();
    expect(await a.t.sessions.get(oldA)).toBeUndefined();
    expect(await a.t.turns.listBySession(oldA)).toMatchObject({ items: [] });
    for (const id of [keptA, liveA]) expect(await a.t.sessions.get(id)).toBeDefined();
    expect(await b.t.sessions.get(oldB)).toBeUndefined();
    expect(await b.t.sessions.get(keptB)).toBeDefined();
    expect((await a.t.events.readAfter(keptA, 0)).map((e) => [e.severity, e.seq])).toEqual([
      ['info', 1],
      ['debug', 3],
    ]);
    expect(
      (await a.t.billing.listUsage({ from: new Date(0), to: new Date(NOW) })).items.map(
        (u) => u.idempotency_key,
      ),
    ).toEqual(['new']);
    expect((await a.t.billing.listLedger()).items.map((e) => e.period)).toEqual(['2026-06']);
    expect((await a.t.invoices.list()).items.map((i) => i.period)).toEqual(['2026-06']);
    // Recorded in each tenant's audit log.
    expect((await a.t.audit.list()).items).toMatchObject([
      {
        actor_type: 'system',
        action: 'retention.sweep',
        details: {
          deleted: {
            sessions: 1,
            recordings: 1,
            debug_events: 1,
            meter_events: 1,
            ledger_entries: 1,
            invoices: 1,
          },
          periods_days: {
            sessions_days: 90,
            recordings_days: 30,
            debug_events_days: 7,
            billing_days: 1_095,
          },
        },
      },
    ]);
    expect((await b.t.audit.list()).items[0]?.details).toMatchObject({
      periods_days: { sessions_days: 30 },
    });
    // Nothing more to do: nothing deleted, nothing recorded.
    expect(await sweeper.sweep()).toEqual([]);
    expect((await a.t.audit.list()).items).toHaveLength(1);
    // Two days later, the session that ended 89 days ago has passed its 90 days.
    clock.advance(2 * DAY);
    const later = createRetentionSweeper({ repos: db.repos, clock, audit });
    expect((await later.sweep()).find((s) => s.tenantId === a.id)?.sessions).toBe(1);
    expect(await a.t.sessions.get(keptA)).toBeUndefined();
  });
});
