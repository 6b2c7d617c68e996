import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import { migrateToLatest } from './connect.js';
import type { DatabaseHandle } from './connect.js';
import { rejectsWith } from './database-fixture.contract.js';
import { createRepositories } from './repositories/index.js';
import type { Repositories, TenantRepositories } from './repositories/index.js';
import type { MeterEventRow } from './schema.js';

const START = Date.UTC(2026, 11, 6, 12, 0, 0);

/**
 * The usage export storage contract (cursors over meter events, dead letters), run
 * identically against each database implementation (PGlite, PostgreSQL).
 */
export function describeUsageExportContract(
  name: string,
  setup: () => Promise<{ handle: DatabaseHandle; cleanup(): Promise<void> }>,
): void {
  describe(`usage export storage contract: ${name}`, () => {
    let cleanup: () => Promise<void>;
    let repos: Repositories;
    let now = START;
    const clock = { now: () => now };
    const ids = createSequentialIdGenerator(START);
    let counter = 0;

    async function newTenant(): Promise<TenantRepositories> {
      const row = await repos.tenants.create({
        slug: `ux-${++counter}`,
        name: `Usage export tenant ${counter}`,
        tier: 'starter',
      });
      return repos.forTenant(row.id as TenantId);
    }
    /** Records a meter event at the current (mutable) time. */
    async function record(t: TenantRepositories, key: string): Promise<MeterEventRow> {
      const { row } = await t.billing.recordUsage({
        meter: 'tts_characters',
        quantity: 1,
        unit: 'characters',
        idempotencyKey: key,
        occurredAt: new Date(now),
      });
      return row;
    }
    const at = (row: MeterEventRow) => ({ recordedAt: row.recorded_at, id: row.id });
    const idsOf = (rows: readonly MeterEventRow[]) => rows.map((r) => r.id);

    beforeAll(async () => {
      const ready = await setup();
      cleanup = () => ready.cleanup();
      await migrateToLatest(ready.handle.db);
      repos = createRepositories({ db: ready.handle.db, clock, ids });
    }, 120_000);
    afterAll(async () => {
      await cleanup();
    });

    it('reads a tenant in (recorded_at, id) order after its cursor, which only moves forward', async () => {
      const t = await newTenant();
      const x = repos.usageExport;
      now = START + 1_000;
      const late = await record(t, 'a'); // recorded later than b and c, its id is smaller
      now = START;
      const b = await record(t, 'b');
      const c = await record(t, 'c'); // same recorded_at as b: ordered by id
      now = START + 2_000;
      const d = await record(t, 'd');
      expect(b.recorded_at.getTime()).toBe(c.recorded_at.getTime());
      expect(late.id < b.id).toBe(true);

      expect(idsOf(await x.pending(t.tenantId, 10))).toEqual(idsOf([b, c, late, d]));
      expect(idsOf(await x.pending(t.tenantId, 2))).toEqual(idsOf([b, c]));
      // Only what was recorded by then (an export staying behind the writers' clocks).
      const settled = { recordedBefore: new Date(START + 1_000) };
      expect(idsOf(await x.pending(t.tenantId, 10, settled))).toEqual(idsOf([b, c, late]));

      await x.advance(t.tenantId, at(b));
      expect(idsOf(await x.pending(t.tenantId, 10))).toEqual(idsOf([c, late, d]));
      await x.advance(t.tenantId, at(late));
      expect(idsOf(await x.pending(t.tenantId, 10))).toEqual(idsOf([d]));
      // An older position (a late acknowledgement of an earlier batch) is ignored, and so is
      // the same one again.
      await x.advance(t.tenantId, at(c));
      await x.advance(t.tenantId, at(late));
      expect(idsOf(await x.pending(t.tenantId, 10))).toEqual(idsOf([d]));
      await x.advance(t.tenantId, at(d));
      expect(await x.pending(t.tenantId, 10)).toEqual([]);
      expect(await x.tenantsWithPending(1000)).not.toContain(t.tenantId);

      now = START + 3_000;
      const e = await record(t, 'e');
      expect(idsOf(await x.pending(t.tenantId, 10))).toEqual(idsOf([e]));
      expect(await x.tenantsWithPending(1000)).toContain(t.tenantId);
      expect(
        await x.tenantsWithPending(1000, { recordedBefore: new Date(START + 2_999) }),
      ).not.toContain(t.tenantId);
    });

    it('lists tenants with pending events: without a cursor first, then the least recently advanced', async () => {
      const x = repos.usageExport;
      // Bring every earlier tenant up to date, so only this test's tenants are pending.
      for (const id of await x.tenantsWithPending(1000)) {
        const rows = await x.pending(id as TenantId, 1000);
        const last = rows[rows.length - 1];
        if (last !== undefined) await x.advance(id as TenantId, at(last));
      }
      expect(await x.tenantsWithPending(1000)).toEqual([]);

      now = START + 10_000;
      const [t1, t2, t3, idle] = [
        await newTenant(),
        await newTenant(),
        await newTenant(),
        await newTenant(),
      ];
      const e1 = await record(t1, 'x1');
      const e2 = await record(t2, 'x2');
      await record(t3, 'x3');
      // t2 advanced before t1; both have more.
      now = START + 11_000;
      await x.advance(t2.tenantId, at(e2));
      now = START + 12_000;
      await x.advance(t1.tenantId, at(e1));
      await record(t1, 'y1');
      await record(t2, 'y2');
      expect(await x.tenantsWithPending(10)).toEqual([t3.tenantId, t2.tenantId, t1.tenantId]);
      expect(await x.tenantsWithPending(10)).not.toContain(idle.tenantId); // no events
      expect(await x.tenantsWithPending(2)).toEqual([t3.tenantId, t2.tenantId]);
      await rejectsWith(x.tenantsWithPending(0), 'VALIDATION_FAILED');
      await rejectsWith(x.pending(t1.tenantId, 1001), 'VALIDATION_FAILED');
      await rejectsWith(x.pending('ten_nope' as TenantId, 10), 'INVALID_ID');
    });

    it('dead-letters events once, moving the cursor past the last of them in one transaction', async () => {
      const x = repos.usageExport;
      const t = await newTenant();
      const other = await newTenant();
      now = START + 20_000;
      const [a, b, c] = [await record(t, 'a'), await record(t, 'b'), await record(t, 'c')];
      const foreign = await record(other, 'f');
      const before = await x.deadLetterCount();

      now = START + 21_000;
      // Given in any order, the cursor still moves past the last.
      await x.deadLetter(
        t.tenantId,
        [
          { meterEventId: b.id, recordedAt: b.recorded_at },
          { meterEventId: a.id, recordedAt: a.recorded_at },
        ],
        8,
        'HTTP 500: boom',
      );
      expect(idsOf(await x.pending(t.tenantId, 10))).toEqual(idsOf([c]));
      expect(await x.deadLetterCount()).toBe(before + 2);
      const letters = await x.deadLetters({ tenantId: t.tenantId });
      expect(letters.map((l) => l.meter_event_id).sort()).toEqual([a.id, b.id].sort());
      expect(letters[0]).toMatchObject({
        tenant_id: t.tenantId,
        attempts: 8,
        last_error: 'HTTP 500: boom',
        created_at: new Date(START + 21_000),
      });
      expect(letters[0]?.id).toMatch(/^dlq_/);

      // Again (a retry after a crash): nothing new, and the cursor does not move back.
      await x.advance(t.tenantId, at(c));
      await x.deadLetter(
        t.tenantId,
        [{ meterEventId: a.id, recordedAt: a.recorded_at }],
        3,
        'again',
      );
      expect(await x.deadLetterCount()).toBe(before + 2);
      expect(await x.pending(t.tenantId, 10)).toEqual([]);

      // Newest first, across tenants.
      now = START + 22_000;
      const d = await record(t, 'd');
      await x.deadLetter(t.tenantId, [{ meterEventId: d.id, recordedAt: d.recorded_at }], 1, 'x');
      expect((await x.deadLetters({ limit: 1 }))[0]?.meter_event_id).toBe(d.id);
      expect(await x.deadLetters({ tenantId: other.tenantId })).toEqual([]);

      // Another tenant's event: refused, and nothing of the call is kept.
      const err = await rejectsWith(
        x.deadLetter(
          t.tenantId,
          [
            { meterEventId: foreign.id, recordedAt: foreign.recorded_at },
            { meterEventId: d.id, recordedAt: d.recorded_at },
          ],
          1,
          'x',
        ),
        'NOT_FOUND',
      );
      expect(err.message).toContain(foreign.id);
      expect(idsOf(await x.pending(other.tenantId, 10))).toEqual(idsOf([foreign]));
      expect(await x.deadLetterCount()).toBe(before + 3);

      await rejectsWith(
        x.deadLetter(t.tenantId, [{ meterEventId: d.id, recordedAt: d.recorded_at }], 0, 'x'),
        'VALIDATION_FAILED',
      );
      await x.deadLetter(t.tenantId, [], 1, 'nothing'); // a no-op
      await rejectsWith(x.deadLetters({ limit: 0 }), 'VALIDATION_FAILED');
    });

    it('refuses a cursor of a tenant that does not exist', async () => {
      const ghost = ids.next('tenant');
      await rejectsWith(
        repos.usageExport.advance(ghost, { recordedAt: new Date(START), id: 'mtr_x' }),
        'TENANT_NOT_FOUND',
      );
      await rejectsWith(
        repos.usageExport.advance(ghost, { recordedAt: new Date(NaN), id: 'mtr_x' }),
        'VALIDATION_FAILED',
      );
    });
  });
}
