import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import { migrateToLatest } from './connect.js';
import type { DatabaseHandle } from './connect.js';
import { createRepositories } from './repositories/index.js';
import type { Repositories, TenantRepositories } from './repositories/index.js';
import type { AuditChainInput } from './repositories/audit.js';

const START = Date.UTC(2026, 11, 6, 12, 0, 0);
const DAY = 86_400_000;

const chainHash = ({ seq, prevHash, record }: AuditChainInput) =>
  createHash('sha256')
    .update(`${prevHash}|${String(seq)}|${record.action}`)
    .digest('hex');

/**
 * The audit retention storage contract (the oldest record, where the chain may be cut,
 * cutting it at a checkpoint), run identically against each database implementation.
 */
export function describeAuditRetentionContract(
  name: string,
  setup: () => Promise<{ handle: DatabaseHandle; cleanup(): Promise<void> }>,
): void {
  describe(`audit retention storage contract: ${name}`, () => {
    let cleanup: () => Promise<void>;
    let repos: Repositories;
    let now = START;
    const clock = { now: () => now };
    const ids = createSequentialIdGenerator(START);
    let counter = 0;

    /** A tenant with `n` records a day apart (record `i` made on day `i`), checkpoints at `at`. */
    async function tenantWith(n: number, at: readonly number[]): Promise<TenantRepositories> {
      const row = await repos.tenants.create({
        slug: `auditret-${String(++counter)}`,
        name: 'Audit retention',
        tier: 'starter',
      });
      const t = repos.forTenant(row.id as TenantId);
      for (let i = 1; i <= n; i++) {
        now = START + i * DAY;
        const r = await t.audit.append(
          { actorType: 'system', action: 'x', resourceType: 'tenant', outcome: 'success' },
          chainHash,
        );
        if (at.includes(i))
          await t.audit.addCheckpoint({ treeSize: i, headHash: r.hash, note: `note ${String(i)}` });
      }
      return t;
    }

    const seqs = async (t: TenantRepositories) =>
      (await t.audit.list({ limit: 200 })).items.map((r) => r.seq);
    const sizes = async (t: TenantRepositories) =>
      (await t.audit.checkpoints({ limit: 200 })).items.map((c) => c.tree_size);

    beforeAll(async () => {
      const ready = await setup();
      cleanup = () => ready.cleanup();
      await migrateToLatest(ready.handle.db);
      repos = createRepositories({ db: ready.handle.db, clock, ids });
    }, 120_000);
    afterAll(async () => {
      await cleanup();
    });

    it('finds the newest checkpoint of records all older than a time, within a bound', async () => {
      const t = await tenantWith(10, [2, 4, 6, 8, 10]);
      const day = (d: number) => new Date(START + d * DAY);
      const anchor = (createdBefore: Date, maxTreeSize?: number) =>
        t.audit
          .anchorBefore({ createdBefore, ...(maxTreeSize === undefined ? {} : { maxTreeSize }) })
          .then((c) => c?.tree_size);
      // Records 1–6 were made before day 6.5: the newest checkpoint among them is 6.
      expect(await anchor(new Date(START + 6.5 * DAY))).toBe(6);
      // Before day 6 only records 1–5: checkpoint 4.
      expect(await anchor(day(6))).toBe(4);
      expect(await anchor(day(2))).toBeUndefined();
      // Everything is older: the newest checkpoint, unless bounded.
      expect(await anchor(day(100))).toBe(10);
      expect(await anchor(day(100), 9)).toBe(8);
      const anchorNote = await t.audit.anchorBefore({ createdBefore: day(5) });
      expect(anchorNote).toMatchObject({ tree_size: 4, note: 'note 4' });
      expect((await t.audit.first())?.seq).toBe(1);
    });

    it('cuts the chain only at a checkpoint, keeping it and what follows', async () => {
      const t = await tenantWith(10, [2, 4, 6, 8]);
      const other = await tenantWith(6, [2, 4]);
      // No checkpoint of 5 records: nothing goes.
      expect(await t.audit.deleteThrough(5)).toBe(0);
      expect(await seqs(t)).toHaveLength(10);
      expect(await t.audit.deleteThrough(4)).toBe(4);
      expect(await seqs(t)).toEqual([5, 6, 7, 8, 9, 10]);
      expect(await sizes(t)).toEqual([4, 6, 8]);
      expect((await t.audit.first())?.seq).toBe(5);
      // Again: nothing more; then further.
      expect(await t.audit.deleteThrough(4)).toBe(0);
      expect(await t.audit.deleteThrough(8)).toBe(4);
      expect(await seqs(t)).toEqual([9, 10]);
      expect(await sizes(t)).toEqual([8]);
      expect((await t.audit.checkpoints({ through: 7 })).items).toEqual([]);
      // The chain goes on from its head; another tenant's is untouched.
      const next = await t.audit.append(
        { actorType: 'system', action: 'x', resourceType: 'tenant', outcome: 'success' },
        chainHash,
      );
      expect(next.seq).toBe(11);
      expect(await seqs(other)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await sizes(other)).toEqual([2, 4]);
      // Once cut, the anchor is only found among what is left.
      expect(
        (await t.audit.anchorBefore({ createdBefore: new Date(START + 100 * DAY) }))?.tree_size,
      ).toBe(8);
    });

    it('lists checkpoints up to a size', async () => {
      const t = await tenantWith(6, [1, 2, 3, 4, 5, 6]);
      const page = await t.audit.checkpoints({ limit: 2, through: 5 });
      expect(page.items.map((c) => c.tree_size)).toEqual([1, 2]);
      const rest = await t.audit.checkpoints({ limit: 10, through: 5, cursor: page.nextCursor });
      expect(rest.items.map((c) => c.tree_size)).toEqual([3, 4, 5]);
      expect(rest.nextCursor).toBeNull();
    });
  });
}
