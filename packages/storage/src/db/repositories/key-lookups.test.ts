/**
 * The writes every voice turn makes find their rows by key, however many rows the tenant
 * has: the statements are captured as they run and their plans read (`EXPLAIN (ANALYZE,
 * BUFFERS)`, rolled back). On PGlite tables never analyzed (the planner has no statistics),
 * a turn's completion once joined every turn of its tenant against every other: 130,000
 * buffer reads a completion at 400 turns.
 */
import { PGlite, parse, protocol } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { SimulatedClock } from '@prx-voice/core/testing';
import { migrateToLatest } from '../connect.js';
import { startEmbeddedMaintenance } from '../embedded-maintenance.js';
import { PGliteDialect } from '../pglite-dialect.js';
import { createPGliteQuery } from '../pglite-query.js';
import type { Database } from '../schema.js';
import { createRepositories } from './index.js';
import type { Repositories } from './index.js';

const SESSIONS = 40;
const TURNS_PER_SESSION = 10;

let pglite: PGlite;
let db: Kysely<Database>;
let repos: Repositories;
let tenantId: TenantId;
const seen: { sql: string; params: unknown[] }[] = [];

beforeAll(async () => {
  pglite = await PGlite.create();
  const query = createPGliteQuery(pglite, { protocol, parse }, 64);
  const recording = {
    query: (text: string, params: unknown[] = []) => {
      seen.push({ sql: text, params });
      return query(text, params);
    },
    close: () => pglite.close(),
    get closed() {
      return pglite.closed;
    },
  };
  db = new Kysely<Database>({ dialect: new PGliteDialect(recording) });
  await migrateToLatest(db);
  repos = createRepositories({
    db,
    clock: { now: () => Date.now() },
    ids: createSequentialIdGenerator(),
  });
  tenantId = (await repos.tenants.create({ slug: 'big', name: 'Big', tier: 'starter' }))
    .id as TenantId;
  await sql`insert into sessions (id, tenant_id, state, channel, direction, language, providers, metadata, created_at, updated_at, instance_id)
    select 'sess_' || lpad(g::text, 26, '0'), ${tenantId}, 'Listening', 'websocket', 'inbound', 'en-US', '{}', '{}', now(), now(), 'i-1'
    from generate_series(1, ${SESSIONS}) g`.execute(db);
  await sql`insert into turns (id, tenant_id, session_id, seq, status, input_kind, started_at)
    select 'turn_' || lpad(g::text, 26, '0'), ${tenantId}, 'sess_' || lpad((g % ${SESSIONS} + 1)::text, 26, '0'),
      g / ${SESSIONS} + 1, 'open', 'voice', now()
    from generate_series(0, ${SESSIONS * TURNS_PER_SESSION - 1}) g`.execute(db);
}, 120_000);
afterAll(() => db.destroy());

/** The shared buffers the last statement matching `text` touches when run again (rolled back). */
async function buffersOf(text: RegExp): Promise<number> {
  const last = [...seen].reverse().find((s) => text.test(s.sql));
  if (last === undefined) throw new Error(`no statement matching ${String(text)} ran`);
  await sql`begin`.execute(db);
  try {
    const { rows } = await pglite.query<{ 'QUERY PLAN': [{ Plan: Record<string, number> }] }>(
      `explain (analyze, buffers, format json) ${last.sql}`,
      last.params,
    );
    const plan = rows[0]?.['QUERY PLAN'][0].Plan ?? {};
    return (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
  } finally {
    await sql`rollback`.execute(db);
  }
}

describe('per-turn writes on a tenant with many sessions and turns', () => {
  it("completes a turn reading its row by key, not the tenant's other turns", async () => {
    const t = repos.forTenant(tenantId);
    const turn = await t.turns.complete(`turn_${'7'.padStart(26, '0')}` as never, {
      status: 'completed',
      userText: 'hello',
      assistantText: 'hi',
      assistantTextGenerated: 'hi',
      interrupted: false,
      latency: {},
    });
    expect(turn?.status).toBe('completed');
    // Without statistics the planner still takes the tenant's index (each turn read once,
    // about 650 buffers here); what it no longer does is join every turn against every other.
    expect(await buffersOf(/"completed" as/)).toBeLessThan(1_000);
    // Once the tables are analyzed (the embedded maintenance's work), by the key alone.
    const maintenance = startEmbeddedMaintenance({
      db,
      clock: new SimulatedClock(),
      intervalMs: 60_000,
    });
    const maintained = await maintenance.runOnce();
    await maintenance.stop();
    expect(maintained.map((m) => m.table)).toContain('turns');
    expect(await buffersOf(/"completed" as/)).toBeLessThan(20);
  });

  it("changes sessions' states reading their rows by key", async () => {
    const ids = [3, 20, 39].map((n) => `sess_${String(n).padStart(26, '0')}` as SessionId);
    const advanced = await repos.sessionStateWriter.advanceMany(
      ids.map((sessionId) => ({ tenantId, sessionId, state: 'Thinking' })),
    );
    expect(advanced.size).toBe(3);
    expect(await buffersOf(/update sessions as s set/)).toBeLessThan(100);
  });
});
