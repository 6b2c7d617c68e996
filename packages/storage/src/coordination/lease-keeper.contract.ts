/** Contract: the LeaseKeeper on each backend, driven by the simulated clock; and the lifecycle (ping, close). */
import { describe, expect, it } from 'vitest';
import { Inbox } from './coordinator-harness.contract.js';
import type { ContractHarness } from './coordinator-harness.contract.js';
import type { Lease } from './coordinator.js';
import { createLeaseKeeper } from './lease-keeper.js';
import type { LeaseLoss } from './lease-keeper.js';

/** Registers the lease-keeper and lifecycle tests. */
export function describeKeeperContract(harness: () => ContractHarness): void {
  describe('lease keeper', () => {
    it('renews every ttl/3 so the lease outlives its first ttl', async () => {
      const { coordinator, clock } = harness();
      const t0 = clock.now();
      const acquired = await coordinator.acquireLease({ key: 'owner', holder: 'i1', ttlMs: 3_000 });
      expect(acquired.kind).toBe('acquired');
      const renewed = new Inbox<Lease>();
      const lost = new Inbox<LeaseLoss>();
      const keeper = createLeaseKeeper({
        coordinator,
        clock,
        key: 'owner',
        holder: 'i1',
        ttlMs: 3_000,
        onLost: lost.push,
        onRenewed: renewed.push,
      });
      for (let step = 1; step <= 6; step += 1) {
        clock.advance(1_000);
        const leases = await renewed.until(step);
        expect(leases[step - 1]).toEqual({
          key: 'owner',
          holder: 'i1',
          expiresAt: t0 + step * 1_000 + 3_000,
        });
      }
      expect(await coordinator.listLeases('owner')).toEqual([
        { key: 'owner', holder: 'i1', expiresAt: t0 + 9_000 },
      ]);
      expect(keeper.expiresAt).toBe(t0 + 9_000);
      expect(keeper.state).toBe('keeping');
      expect(await keeper.release()).toBe(true);
      expect(keeper.state).toBe('stopped');
      expect(await coordinator.listLeases('owner')).toEqual([]);
      expect(clock.pendingCount).toBe(0);
      expect(lost.items).toEqual([]);
    });

    it('reports the loss once when a renewal finds the lease gone', async () => {
      const { coordinator, clock } = harness();
      const second = await harness().second();
      await coordinator.acquireLease({ key: 'owner', holder: 'i1', ttlMs: 3_000 });
      const renewed = new Inbox<Lease>();
      const lost = new Inbox<LeaseLoss>();
      const keeper = createLeaseKeeper({
        coordinator,
        clock,
        key: 'owner',
        holder: 'i1',
        ttlMs: 3_000,
        onLost: lost.push,
        onRenewed: renewed.push,
      });
      clock.advance(1_000);
      await renewed.until(1);
      // Another instance takes the lease away (an operator's forced release).
      expect(await second.releaseLease('owner', 'i1')).toBe(true);
      clock.advance(1_000);
      expect(await lost.until(1)).toEqual([{ reason: 'expired' }]);
      expect(keeper.state).toBe('lost');
      clock.advance(10_000);
      expect(lost.items).toHaveLength(1);
      expect(renewed.items).toHaveLength(1);
      expect(clock.pendingCount).toBe(0);
    });

    it('lets the lease expire after stop()', async () => {
      const { coordinator, clock } = harness();
      await coordinator.acquireLease({ key: 'owner', holder: 'i1', ttlMs: 3_000 });
      const lost = new Inbox<LeaseLoss>();
      const keeper = createLeaseKeeper({
        coordinator,
        clock,
        key: 'owner',
        holder: 'i1',
        ttlMs: 3_000,
        onLost: lost.push,
      });
      keeper.stop();
      clock.advance(3_000);
      expect(await coordinator.listLeases('owner')).toEqual([]);
      expect(
        (await coordinator.acquireLease({ key: 'owner', holder: 'i2', ttlMs: 3_000 })).kind,
      ).toBe('acquired');
      expect(lost.items).toEqual([]);
      expect(keeper.state).toBe('stopped');
    });
  });

  describe('lifecycle', () => {
    it('answers ping while open and rejects every call with STORAGE_UNAVAILABLE once closed', async () => {
      const { coordinator } = harness();
      const second = await harness().second();
      if (second === coordinator) return; // closing the only instance would break the harness' cleanup contract
      await expect(second.ping()).resolves.toBeUndefined();
      await second.close();
      await second.close(); // idempotent
      const unavailable = { code: 'STORAGE_UNAVAILABLE' };
      await expect(second.ping()).rejects.toMatchObject(unavailable);
      await expect(
        second.acquireLease({ key: 'k', holder: 'h', ttlMs: 1_000 }),
      ).rejects.toMatchObject(unavailable);
      await expect(second.append('s', 'x')).rejects.toMatchObject(unavailable);
      await expect(second.subscribe('c', () => undefined)).rejects.toMatchObject(unavailable);
      await expect(coordinator.ping()).resolves.toBeUndefined();
    });

    it('stops delivering to a closed instance', async () => {
      const { coordinator } = harness();
      const second = await harness().second();
      if (second === coordinator) return;
      const closedInbox = new Inbox<string>();
      const openInbox = new Inbox<string>();
      await second.subscribe('bye', closedInbox.push);
      await coordinator.subscribe('bye', openInbox.push);
      await second.close();
      expect(await coordinator.publish('bye', 'after close')).toBe(1);
      expect(await openInbox.until(1)).toEqual(['after close']);
      expect(closedInbox.items).toEqual([]);
    });
  });
}
