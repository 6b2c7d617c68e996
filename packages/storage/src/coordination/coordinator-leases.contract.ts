/** Contract: leases — limits, refresh, renew, release, expiry on simulated time, concurrency. */
import { describe, expect, it } from 'vitest';
import type { ContractHarness } from './coordinator-harness.contract.js';
import type { Coordinator, LeaseResult } from './coordinator.js';

function acquired(result: LeaseResult): boolean {
  return result.kind === 'acquired';
}

/** Registers the lease tests. */
export function describeLeaseContract(harness: () => ContractHarness): void {
  describe('leases', () => {
    it('grants up to the limit, then reports full with the time until the earliest expiry', async () => {
      const { coordinator, clock } = harness();
      const t0 = clock.now();
      expect(
        await coordinator.acquireLease({ key: 'k', holder: 'a', ttlMs: 10_000, limit: 2 }),
      ).toEqual({
        kind: 'acquired',
        lease: { key: 'k', holder: 'a', expiresAt: t0 + 10_000 },
      });
      clock.advance(3_000);
      expect(
        (await coordinator.acquireLease({ key: 'k', holder: 'b', ttlMs: 10_000, limit: 2 })).kind,
      ).toBe('acquired');
      expect(
        await coordinator.acquireLease({ key: 'k', holder: 'c', ttlMs: 10_000, limit: 2 }),
      ).toEqual({
        kind: 'full',
        active: 2,
        retryAfterMs: 7_000,
      });
      // Other keys are independent.
      expect(
        (await coordinator.acquireLease({ key: 'k2', holder: 'c', ttlMs: 10_000, limit: 2 })).kind,
      ).toBe('acquired');
    });

    it('defaults to one slot', async () => {
      const { coordinator } = harness();
      expect((await coordinator.acquireLease({ key: 'one', holder: 'a', ttlMs: 1_000 })).kind).toBe(
        'acquired',
      );
      expect((await coordinator.acquireLease({ key: 'one', holder: 'b', ttlMs: 1_000 })).kind).toBe(
        'full',
      );
    });

    it('refreshes the same holder instead of taking a second slot', async () => {
      const { coordinator, clock } = harness();
      await coordinator.acquireLease({ key: 'k', holder: 'a', ttlMs: 5_000, limit: 2 });
      clock.advance(4_000);
      const again = await coordinator.acquireLease({
        key: 'k',
        holder: 'a',
        ttlMs: 5_000,
        limit: 2,
      });
      expect(again).toEqual({
        kind: 'acquired',
        lease: { key: 'k', holder: 'a', expiresAt: clock.now() + 5_000 },
      });
      expect(await coordinator.listLeases('k')).toEqual([
        { key: 'k', holder: 'a', expiresAt: clock.now() + 5_000 },
      ]);
      expect(
        (await coordinator.acquireLease({ key: 'k', holder: 'b', ttlMs: 5_000, limit: 2 })).kind,
      ).toBe('acquired');
      // Full for newcomers, but a holder can still refresh its own slot.
      expect(
        (await coordinator.acquireLease({ key: 'k', holder: 'c', ttlMs: 5_000, limit: 2 })).kind,
      ).toBe('full');
      expect(
        (await coordinator.acquireLease({ key: 'k', holder: 'b', ttlMs: 5_000, limit: 2 })).kind,
      ).toBe('acquired');
    });

    it('expires leases by the clock: full until the earliest expiry, free at it', async () => {
      const { coordinator, clock } = harness();
      await coordinator.acquireLease({ key: 'k', holder: 'a', ttlMs: 1_000 });
      clock.advance(999);
      expect(await coordinator.acquireLease({ key: 'k', holder: 'b', ttlMs: 1_000 })).toEqual({
        kind: 'full',
        active: 1,
        retryAfterMs: 1,
      });
      clock.advance(1);
      expect((await coordinator.acquireLease({ key: 'k', holder: 'b', ttlMs: 1_000 })).kind).toBe(
        'acquired',
      );
      expect((await coordinator.listLeases('k')).map((lease) => lease.holder)).toEqual(['b']);
    });

    it('renews a live lease and refuses to renew a lost one', async () => {
      const { coordinator, clock } = harness();
      await coordinator.acquireLease({ key: 'k', holder: 'a', ttlMs: 10_000 });
      clock.advance(8_000);
      expect(await coordinator.renewLease({ key: 'k', holder: 'a', ttlMs: 10_000 })).toBe(true);
      clock.advance(8_000); // past the original expiry
      expect(await coordinator.listLeases('k')).toEqual([
        { key: 'k', holder: 'a', expiresAt: clock.now() + 2_000 },
      ]);
      expect(await coordinator.renewLease({ key: 'k', holder: 'b', ttlMs: 10_000 })).toBe(false);
      clock.advance(2_000);
      expect(await coordinator.renewLease({ key: 'k', holder: 'a', ttlMs: 10_000 })).toBe(false);
      // Neither the failed renewals nor the expired lease left anything behind.
      expect(await coordinator.listLeases('k')).toEqual([]);
    });

    it('releases a slot once', async () => {
      const { coordinator } = harness();
      await coordinator.acquireLease({ key: 'k', holder: 'a', ttlMs: 10_000 });
      expect((await coordinator.acquireLease({ key: 'k', holder: 'b', ttlMs: 10_000 })).kind).toBe(
        'full',
      );
      expect(await coordinator.releaseLease('k', 'a')).toBe(true);
      expect(await coordinator.releaseLease('k', 'a')).toBe(false);
      expect(await coordinator.releaseLease('nothing', 'a')).toBe(false);
      expect((await coordinator.acquireLease({ key: 'k', holder: 'b', ttlMs: 10_000 })).kind).toBe(
        'acquired',
      );
      expect(await coordinator.renewLease({ key: 'k', holder: 'a', ttlMs: 10_000 })).toBe(false);
    });

    it('does not release an expired lease', async () => {
      const { coordinator, clock } = harness();
      await coordinator.acquireLease({ key: 'k', holder: 'a', ttlMs: 1_000 });
      clock.advance(1_000);
      expect(await coordinator.releaseLease('k', 'a')).toBe(false);
    });

    it('lists live leases only, earliest expiry first', async () => {
      const { coordinator, clock } = harness();
      const t0 = clock.now();
      await coordinator.acquireLease({ key: 'k', holder: 'c', ttlMs: 15_000, limit: 5 });
      await coordinator.acquireLease({ key: 'k', holder: 'a', ttlMs: 5_000, limit: 5 });
      await coordinator.acquireLease({ key: 'k', holder: 'b', ttlMs: 10_000, limit: 5 });
      expect((await coordinator.listLeases('k')).map((lease) => lease.holder)).toEqual([
        'a',
        'b',
        'c',
      ]);
      clock.advance(6_000);
      expect(await coordinator.listLeases('k')).toEqual([
        { key: 'k', holder: 'b', expiresAt: t0 + 10_000 },
        { key: 'k', holder: 'c', expiresAt: t0 + 15_000 },
      ]);
      // Pruned leases no longer count: with limit 3, b and c leave room for exactly one.
      expect(
        (await coordinator.acquireLease({ key: 'k', holder: 'd', ttlMs: 1_000, limit: 3 })).kind,
      ).toBe('acquired');
      expect(
        (await coordinator.acquireLease({ key: 'k', holder: 'e', ttlMs: 1_000, limit: 3 })).kind,
      ).toBe('full');
      expect(await coordinator.listLeases('unknown')).toEqual([]);
    });

    it('rejects invalid requests with VALIDATION_FAILED', async () => {
      const { coordinator } = harness();
      const invalid = { code: 'VALIDATION_FAILED' };
      await expect(
        coordinator.acquireLease({ key: 'k', holder: 'a', ttlMs: 1_000, limit: 0 }),
      ).rejects.toMatchObject(invalid);
      await expect(
        coordinator.acquireLease({ key: 'k', holder: 'a', ttlMs: 1_000, limit: 1.5 }),
      ).rejects.toMatchObject(invalid);
      await expect(
        coordinator.acquireLease({ key: 'k', holder: 'a', ttlMs: 0 }),
      ).rejects.toMatchObject(invalid);
      await expect(
        coordinator.acquireLease({ key: '', holder: 'a', ttlMs: 1_000 }),
      ).rejects.toMatchObject(invalid);
      await expect(
        coordinator.renewLease({ key: 'k', holder: '', ttlMs: 1_000 }),
      ).rejects.toMatchObject(invalid);
    });

    it('admits exactly `limit` of 200 concurrent requests from two instances, and frees the slots of an instance that stops renewing', async () => {
      const { coordinator: first, clock } = harness();
      const second = await harness().second();
      const on = (instance: number): Coordinator => (instance % 2 === 0 ? first : second);
      const ttlMs = 10_000;
      // Warm both instances (connections, script caches) so neither starts the race late.
      await Promise.all([
        first.listLeases('pool'),
        second.acquireLease({ key: 'warm', holder: 'w', ttlMs }),
      ]);
      const attempts = Array.from({ length: 200 }, (_, i) => ({
        instance: i % 2,
        holder: `h${i}`,
      }));
      const results = await Promise.all(
        attempts.map(({ instance, holder }) =>
          on(instance).acquireLease({ key: 'pool', holder, ttlMs, limit: 20 }),
        ),
      );
      const winners = attempts.filter((_, i) => results[i]?.kind === 'acquired');
      expect(winners).toHaveLength(20);
      const refusedActive = results.flatMap((r) => (r.kind === 'full' ? [r.active] : []));
      expect(refusedActive).toEqual(Array.from({ length: 180 }, () => 20));
      expect(await first.listLeases('pool')).toHaveLength(20);

      // The instance holding leases stops renewing (crashes); the other keeps renewing its own.
      const crashed = winners.some((w) => w.instance === 0) ? 0 : 1;
      const survivors = winners.filter((w) => w.instance !== crashed);
      const lapsed = winners.length - survivors.length;
      expect(lapsed).toBeGreaterThan(0);
      clock.advance(ttlMs / 2);
      for (const { instance, holder } of survivors) {
        expect(await on(instance).renewLease({ key: 'pool', holder, ttlMs })).toBe(true);
      }
      expect(
        (await first.acquireLease({ key: 'pool', holder: 'late', ttlMs, limit: 20 })).kind,
      ).toBe('full');
      clock.advance(ttlMs / 2);
      const live = await second.listLeases('pool');
      expect(live.map((lease) => lease.holder).sort()).toEqual(
        survivors.map((w) => w.holder).sort(),
      );

      // Exactly the lapsed slots can be taken again, under the same contention.
      const retry = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          on(i).acquireLease({ key: 'pool', holder: `n${i}`, ttlMs, limit: 20 }),
        ),
      );
      expect(retry.filter(acquired)).toHaveLength(lapsed);
      expect(await first.listLeases('pool')).toHaveLength(20);
    });
  });
}
