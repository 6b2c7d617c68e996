import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';
import { Inbox } from './coordinator-harness.contract.js';
import type { Coordinator } from './coordinator.js';
import { createLeaseKeeper } from './lease-keeper.js';
import type { LeaseLoss } from './lease-keeper.js';
import { createMemoryCoordinator } from './memory-coordinator.js';

/** A coordinator whose renewals fail while `down` is true. */
function flaky(inner: Coordinator): { coordinator: Coordinator; setDown: (down: boolean) => void } {
  let down = false;
  const coordinator: Coordinator = {
    ...inner,
    kind: inner.kind,
    renewLease: (req) =>
      down
        ? Promise.reject(new VoiceError('STORAGE_UNAVAILABLE', { message: 'simulated outage' }))
        : inner.renewLease(req),
    acquireLease: (req) =>
      down
        ? Promise.reject(new VoiceError('STORAGE_UNAVAILABLE', { message: 'simulated outage' }))
        : inner.acquireLease(req),
  };
  return {
    coordinator,
    setDown: (value) => {
      down = value;
    },
  };
}

describe('createLeaseKeeper', () => {
  it('retries failed renewals and reports the loss once the expiry has passed', async () => {
    const clock = new SimulatedClock();
    const memory = createMemoryCoordinator({ clock });
    const { coordinator, setDown } = flaky(memory);
    const acquired = await coordinator.acquireLease({ key: 'k', holder: 'h', ttlMs: 3_000 });
    expect(acquired.kind).toBe('acquired');
    const errors = new Inbox<VoiceError>();
    const lost = new Inbox<LeaseLoss>();
    const keeper = createLeaseKeeper({
      coordinator,
      clock,
      key: 'k',
      holder: 'h',
      ttlMs: 3_000,
      onLost: lost.push,
      onRenewError: errors.push,
    });
    setDown(true);
    clock.advance(1_000); // t=1000: fails, retry in 1000
    await errors.until(1);
    clock.advance(1_000); // t=2000: fails, retry at the expiry (t=3000)
    await errors.until(2);
    expect(clock.nextDueAt()).toBe(keeper.expiresAt);
    clock.advance(1_000); // t=3000: fails at the expiry → lost
    const [loss] = await lost.until(1);
    expect(loss).toMatchObject({ reason: 'unreachable', error: { code: 'STORAGE_UNAVAILABLE' } });
    expect(errors.items).toHaveLength(2);
    expect(keeper.state).toBe('lost');
    expect(clock.pendingCount).toBe(0);
  });

  it('recovers when a renewal succeeds before the expiry', async () => {
    const clock = new SimulatedClock();
    const { coordinator, setDown } = flaky(createMemoryCoordinator({ clock }));
    await coordinator.acquireLease({ key: 'k', holder: 'h', ttlMs: 3_000 });
    const errors = new Inbox<VoiceError>();
    const renewed = new Inbox<unknown>();
    const lost = new Inbox<LeaseLoss>();
    createLeaseKeeper({
      coordinator,
      clock,
      key: 'k',
      holder: 'h',
      ttlMs: 3_000,
      onLost: lost.push,
      onRenewError: errors.push,
      onRenewed: renewed.push,
    });
    setDown(true);
    clock.advance(1_000);
    await errors.until(1);
    setDown(false);
    clock.advance(1_000);
    await renewed.until(1);
    for (let count = 2; count <= 5; count += 1) {
      clock.advance(1_000);
      await renewed.until(count);
    }
    expect(lost.items).toEqual([]);
    expect((await coordinator.listLeases('k')).length).toBe(1);
  });

  it('ignores an answer that arrives after stop()', async () => {
    const clock = new SimulatedClock();
    const memory = createMemoryCoordinator({ clock });
    await memory.acquireLease({ key: 'k', holder: 'h', ttlMs: 3_000 });
    await memory.releaseLease('k', 'h');
    const lost = new Inbox<LeaseLoss>();
    const keeper = createLeaseKeeper({
      coordinator: memory,
      clock,
      key: 'k',
      holder: 'h',
      ttlMs: 3_000,
      onLost: lost.push,
    });
    clock.advance(1_000); // the renewal (which will answer false) is in flight
    keeper.stop();
    await memory.ping();
    await memory.ping();
    expect(lost.items).toEqual([]);
    expect(keeper.state).toBe('stopped');
  });

  it('refuses a renewal interval that is not shorter than the ttl', () => {
    const clock = new SimulatedClock();
    const coordinator = createMemoryCoordinator({ clock });
    const base = {
      coordinator,
      clock,
      key: 'k',
      holder: 'h',
      ttlMs: 3_000,
      onLost: () => undefined,
    };
    expect(() => createLeaseKeeper({ ...base, renewEveryMs: 3_000 })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
    expect(() => createLeaseKeeper({ ...base, renewEveryMs: 0 })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
    expect(() => createLeaseKeeper({ ...base, ttlMs: 0 })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });

  describe('with reestablish (riding out coordination loss)', () => {
    it('takes the lease again when the coordinator lost it, and keeps it', async () => {
      const clock = new SimulatedClock();
      const coordinator = createMemoryCoordinator({ clock });
      await coordinator.acquireLease({ key: 'k', holder: 'h', ttlMs: 3_000 });
      const lost = new Inbox<LeaseLoss>();
      const retaken = new Inbox<string>();
      const keeper = createLeaseKeeper({
        coordinator,
        clock,
        key: 'k',
        holder: 'h',
        ttlMs: 3_000,
        reestablish: { limit: 10 },
        onLost: lost.push,
        onReestablished: (lease) => retaken.push(lease.holder),
      });
      // The coordinator forgets the lease (a Redis restart without its data).
      await coordinator.releaseLease('k', 'h');
      clock.advance(1_000); // the renewal answers false: taken again
      await retaken.until(1);
      expect(keeper.state).toBe('keeping');
      expect((await coordinator.listLeases('k')).map((l) => l.holder)).toEqual(['h']);
      clock.advance(1_000); // renewed as usual afterwards
      await Promise.resolve();
      expect(lost.items).toHaveLength(0);
      keeper.stop();
    });

    it('keeps trying through an outage longer than the lease, and takes it back when it ends', async () => {
      const clock = new SimulatedClock();
      const memory = createMemoryCoordinator({ clock });
      const { coordinator, setDown } = flaky(memory);
      await coordinator.acquireLease({ key: 'k', holder: 'h', ttlMs: 3_000 });
      const lost = new Inbox<LeaseLoss>();
      const errors = new Inbox<VoiceError>();
      const retaken = new Inbox<number>();
      const keeper = createLeaseKeeper({
        coordinator,
        clock,
        key: 'k',
        holder: 'h',
        ttlMs: 3_000,
        reestablish: { limit: 10 },
        onLost: lost.push,
        onRenewError: errors.push,
        onReestablished: (lease) => retaken.push(lease.expiresAt),
      });
      setDown(true);
      for (let i = 1; i <= 6; i++) {
        clock.advance(1_000);
        await errors.until(i);
      }
      expect(keeper.state).toBe('keeping');
      expect(await memory.listLeases('k')).toEqual([]); // expired meanwhile
      setDown(false);
      clock.advance(1_000);
      const [expiresAt] = await retaken.until(1);
      expect(expiresAt).toBe(clock.now() + 3_000);
      expect((await memory.listLeases('k')).map((l) => l.holder)).toEqual(['h']);
      expect(lost.items).toHaveLength(0);
      keeper.stop();
    });

    it('reports the loss when the key is full with others', async () => {
      const clock = new SimulatedClock();
      const coordinator = createMemoryCoordinator({ clock });
      await coordinator.acquireLease({ key: 'k', holder: 'h', ttlMs: 3_000 });
      const lost = new Inbox<LeaseLoss>();
      const keeper = createLeaseKeeper({
        coordinator,
        clock,
        key: 'k',
        holder: 'h',
        ttlMs: 3_000,
        reestablish: { limit: 1 },
        onLost: lost.push,
      });
      await coordinator.releaseLease('k', 'h');
      await coordinator.acquireLease({ key: 'k', holder: 'other', ttlMs: 3_000 });
      clock.advance(1_000);
      const [loss] = await lost.until(1);
      expect(loss).toEqual({ reason: 'expired' });
      expect(keeper.state).toBe('lost');
    });
  });
});
