import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { migrateToLatest } from './connect.js';
import type { DatabaseHandle } from './connect.js';
import { rejectsWith } from './database-fixture.contract.js';
import { MAX_EVENT_ROWS_PER_WRITE } from './repositories/event-writer.js';
import type { TenantSessionEvent } from './repositories/event-writer.js';
import { createRepositories } from './repositories/index.js';
import type { Repositories, TenantRepositories } from './repositories/index.js';

const START = Date.UTC(2026, 11, 7, 3, 0, 0);

/**
 * The cross-tenant event writer's contract (many sessions in one statement, a taken
 * position skipped and told back, a missing session failing the statement), run
 * identically against each database implementation.
 */
export function describeEventWriterContract(
  name: string,
  setup: () => Promise<{ handle: DatabaseHandle; cleanup(): Promise<void> }>,
): void {
  describe(`event writer storage contract: ${name}`, () => {
    let cleanup: () => Promise<void>;
    let repos: Repositories;
    const clock = { now: () => START };
    const ids = createSequentialIdGenerator(START);
    let counter = 0;
    let eventCounter = 0;

    async function newTenant(): Promise<TenantRepositories> {
      const row = await repos.tenants.create({
        slug: `writer-${++counter}`,
        name: `Writer tenant ${counter}`,
        tier: 'starter',
      });
      return repos.forTenant(row.id as TenantId);
    }
    async function newSession(t: TenantRepositories): Promise<SessionId> {
      const row = await t.sessions.create({
        state: 'Idle',
        channel: 'websocket',
        direction: 'inbound',
        language: 'en-US',
      });
      return row.id as SessionId;
    }
    const ev = (t: TenantRepositories, sessionId: SessionId, seq: number): TenantSessionEvent => ({
      tenantId: t.tenantId,
      sessionId,
      seq,
      id: `evt_w${String(++eventCounter).padStart(25, '0')}`,
      type: 'prx.voice.agent.token_stream',
      time: new Date(START),
      severity: 'info',
      event: { prxseq: seq, data: { text: `w${seq}` } },
    });

    beforeAll(async () => {
      const ready = await setup();
      cleanup = () => ready.cleanup();
      await migrateToLatest(ready.handle.db);
      repos = createRepositories({ db: ready.handle.db, clock, ids });
    }, 120_000);
    afterAll(async () => {
      await cleanup();
    });

    it('stores events of many sessions of several tenants in one call', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const a1 = await newSession(a);
      const a2 = await newSession(a);
      const b1 = await newSession(b);
      const rows = [
        ev(a, a1, 1),
        ev(a, a1, 2),
        ev(b, b1, 1),
        ev(a, a2, 1),
        ev(b, b1, 2),
        ev(a, a1, 3),
      ];
      expect(await repos.sessionEventWriter.appendMany(rows)).toEqual({ inserted: 6, skipped: [] });
      expect((await a.events.readAfter(a1, 0)).map((r) => [r.seq, r.id])).toEqual(
        [rows[0], rows[1], rows[5]].map((r) => [r?.seq, r?.id]),
      );
      expect((await a.events.readAfter(a2, 0)).map((r) => r.event)).toEqual([rows[3]?.event]);
      expect(await b.events.lastSeq(b1)).toBe(2);
      // Reads stay per tenant.
      expect(await b.events.readAfter(a1, 0)).toEqual([]);
      expect(await repos.sessionEventWriter.appendMany([])).toEqual({ inserted: 0, skipped: [] });
    });

    it('stores all or nothing of a session, never failing the other sessions', async () => {
      const t = await newTenant();
      const mine = await newSession(t);
      const theirs = await newSession(t);
      const other = await newSession(t);
      const written = ev(t, mine, 1);
      const foreign = ev(t, theirs, 1);
      await t.events.append([written, foreign]);
      // A retry of a committed write, a write over another event, and fresh rows.
      const clash = ev(t, theirs, 1);
      const after = ev(t, theirs, 2);
      const fresh = [ev(t, mine, 2), ev(t, other, 1)];
      const result = await repos.sessionEventWriter.appendMany([
        { ...written },
        clash,
        after,
        ...fresh,
      ]);
      expect(result.inserted).toBe(2);
      expect(result.skipped).toEqual([
        { tenantId: t.tenantId, sessionId: mine, seq: 1, id: written.id, storedId: written.id },
        { tenantId: t.tenantId, sessionId: theirs, seq: 1, id: clash.id, storedId: foreign.id },
        // Held back with its session: the log is never forked.
        { tenantId: t.tenantId, sessionId: theirs, seq: 2, id: after.id, storedId: null },
      ]);
      expect((await t.events.readAfter(theirs, 0)).map((r) => r.id)).toEqual([foreign.id]);
      expect((await t.events.readAfter(mine, 0)).map((r) => r.id)).toEqual([
        written.id,
        fresh[0]?.id,
      ]);
      expect(await t.events.lastSeq(other)).toBe(1);
    });

    it('holds back a session whose event id is stored elsewhere', async () => {
      const t = await newTenant();
      const s1 = await newSession(t);
      const s2 = await newSession(t);
      const first = ev(t, s1, 1);
      await repos.sessionEventWriter.appendMany([first]);
      const reused = { ...ev(t, s2, 1), id: first.id };
      const next = ev(t, s2, 2);
      const result = await repos.sessionEventWriter.appendMany([reused, next, ev(t, s1, 2)]);
      expect(result).toEqual({
        inserted: 1,
        skipped: [
          { tenantId: t.tenantId, sessionId: s2, seq: 1, id: first.id, storedId: null },
          { tenantId: t.tenantId, sessionId: s2, seq: 2, id: next.id, storedId: null },
        ],
      });
      expect(await t.events.lastSeq(s2)).toBe(0);
      expect(await t.events.lastSeq(s1)).toBe(2);
    });

    it('fails as a whole for a session that does not exist, in the tenant a row names', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const sa = await newSession(a);
      const sb = await newSession(b);
      // A session of tenant A written under tenant B does not exist there.
      await rejectsWith(
        repos.sessionEventWriter.appendMany([ev(b, sb, 1), ev(b, sa, 1)]),
        'SESSION_NOT_FOUND',
      );
      expect(await b.events.lastSeq(sb)).toBe(0);
      expect(await a.events.lastSeq(sa)).toBe(0);
    });

    it('refuses more rows than one statement takes', async () => {
      const t = await newTenant();
      const sid = await newSession(t);
      const rows = Array.from({ length: MAX_EVENT_ROWS_PER_WRITE + 1 }, (_, i) =>
        ev(t, sid, i + 1),
      );
      await rejectsWith(repos.sessionEventWriter.appendMany(rows), 'VALIDATION_FAILED');
    });
  });
}
