import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import type { TenantId } from '@prx-voice/types';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { Coordinator } from '@prx-voice/storage';
import { createAdmissionService } from './admission.js';
import type { AdmissionLease, AdmissionTenant } from './admission.js';

/** Two coordinator instances on one backend sharing a simulated clock. */
export interface AdmissionSetup {
  readonly one: Coordinator;
  readonly two: Coordinator;
  /** Coordination as a restart without its data leaves it: empty (a new process, a flushed Redis). */
  emptied(): Promise<Coordinator>;
  cleanup(): Promise<void>;
}

const TTL = 30_000;

/** Lets pending promise chains (renewals in flight) settle, without timers. */
async function settle(until: () => boolean, rounds = 500): Promise<void> {
  for (let i = 0; i < rounds && !until(); i++) await new Promise<void>((r) => setImmediate(r));
  expect(until()).toBe(true);
}

/** Admission behaviour, identical on in-process and Redis coordination. */
export function describeAdmissionContract(
  name: string,
  setup: (clock: SimulatedClock) => Promise<AdmissionSetup>,
): void {
  describe(`admission: ${name}`, () => {
    let clock: SimulatedClock;
    let env: AdmissionSetup;
    const ids = createSequentialIdGenerator();
    const leases: AdmissionLease[] = [];
    const tenant = (over: Partial<AdmissionTenant> = {}): AdmissionTenant => ({
      id: ids.next('tenant'),
      tier: 'trial',
      status: 'active',
      limits: {},
      ...over,
    });

    beforeEach(async () => {
      clock = new SimulatedClock({ start: Date.UTC(2026, 10, 21, 12) });
      env = await setup(clock);
    });
    afterEach(async () => {
      for (const l of leases.splice(0)) l.keeper.stop();
      await env.cleanup();
    });

    it('admits up to the tier’s concurrency and denies with a retry hint, then frees a released slot', async () => {
      const service = createAdmissionService({ coordinator: env.one, clock, leaseTtlMs: TTL });
      const t = tenant();
      const results = [];
      for (let i = 0; i < 3; i++)
        results.push(await service.admit({ tenant: t, sessionId: ids.next('session') }));
      expect(results.map((r) => r.kind)).toEqual(['admitted', 'admitted', 'denied']);
      const denied = results[2];
      expect(denied).toMatchObject({ kind: 'denied', reason: 'concurrency' });
      if (denied?.kind === 'denied') expect(denied.retryAfterMs).toBeGreaterThanOrEqual(1000);
      const first = results[0];
      if (first?.kind !== 'admitted') throw new Error('first admission failed');
      expect(first.limits.concurrentSessions).toBe(2);
      expect(await service.liveSessions(t.id as TenantId)).toBe(2);
      await first.lease.release();
      await first.lease.release();
      expect(await service.liveSessions(t.id as TenantId)).toBe(1);
      const again = await service.admit({ tenant: t, sessionId: ids.next('session') });
      expect(again.kind).toBe('admitted');
      for (const r of [...results, again]) if (r.kind === 'admitted') leases.push(r.lease);
    });

    it('seeds a month’s counters from durable usage once, and again after coordination lost them', async () => {
      const durable = { tokens: 700, calls: 0 };
      const durableUsage = (_t: TenantId, kind: string) => {
        durable.calls++;
        return Promise.resolve(kind === 'tokens' ? durable.tokens : 0);
      };
      const one = createAdmissionService({ coordinator: env.one, clock, durableUsage });
      const two = createAdmissionService({ coordinator: env.two, clock, durableUsage });
      const t = tenant({ limits: { monthly_tokens: 1000 } });
      expect(await one.consume(t, 'tokens', 100)).toMatchObject({ used: 800, exceeded: false });
      durable.tokens = 800;
      const seen = await two.usage(t);
      expect(seen.find((u) => u.kind === 'tokens')?.used).toBe(800);
      // Seeded once per budget and month, whichever instance asked.
      expect(durable.calls).toBe(3);
      expect(await two.consume(t, 'tokens', 250)).toMatchObject({ used: 1050, exceeded: true });
      durable.tokens = 1050;
      // Coordination restarted without its data: the month is not forgotten.
      const restarted = createAdmissionService({
        coordinator: await env.emptied(),
        clock,
        durableUsage,
      });
      expect(await restarted.admit({ tenant: t, sessionId: ids.next('session') })).toMatchObject({
        kind: 'denied',
        reason: 'tokens',
      });
      expect((await restarted.usage(t)).find((u) => u.kind === 'tokens')?.used).toBe(1050);
    });

    it('counts on while the database cannot say, and seeds once it can', async () => {
      let down = true;
      const service = createAdmissionService({
        coordinator: env.one,
        clock,
        durableUsage: () =>
          down ? Promise.reject(new Error('database down')) : Promise.resolve(40),
      });
      const t = tenant();
      expect(await service.consume(t, 'characters', 5)).toMatchObject({ used: 5 });
      down = false;
      // Topped up to what the database holds (the first 5 among it), never counted twice.
      expect(await service.consume(t, 'characters', 5)).toMatchObject({ used: 45 });
      expect(await service.consume(t, 'characters', 5)).toMatchObject({ used: 50 });
    });

    it('keeps tenants apart and honours per-tenant overrides', async () => {
      const service = createAdmissionService({ coordinator: env.one, clock, leaseTtlMs: TTL });
      const a = tenant({ limits: { concurrent_sessions: 1 } });
      const b = tenant();
      const ra = [
        await service.admit({ tenant: a, sessionId: ids.next('session') }),
        await service.admit({ tenant: a, sessionId: ids.next('session') }),
      ];
      const rb = await service.admit({ tenant: b, sessionId: ids.next('session') });
      expect(ra.map((r) => r.kind)).toEqual(['admitted', 'denied']);
      expect(rb.kind).toBe('admitted');
      for (const r of [...ra, rb]) if (r.kind === 'admitted') leases.push(r.lease);
    });

    it('denies a suspended tenant and one whose monthly budget is used up, until next month', async () => {
      const service = createAdmissionService({ coordinator: env.one, clock, leaseTtlMs: TTL });
      expect(
        await service.admit({
          tenant: tenant({ status: 'suspended' }),
          sessionId: ids.next('session'),
        }),
      ).toMatchObject({
        kind: 'denied',
        reason: 'tenant_suspended',
        retryAfterMs: null,
      });
      const t = tenant({ limits: { monthly_tokens: 1000 } });
      expect(await service.consume(t, 'tokens', 600)).toEqual({
        kind: 'tokens',
        used: 600,
        budget: 1000,
        exceeded: false,
      });
      expect(await service.consume(t, 'tokens', 500)).toEqual({
        kind: 'tokens',
        used: 1100,
        budget: 1000,
        exceeded: true,
      });
      const denied = await service.admit({ tenant: t, sessionId: ids.next('session') });
      expect(denied).toMatchObject({ kind: 'denied', reason: 'tokens' });
      const toDec1 = Date.UTC(2026, 11, 1) - clock.now();
      expect(denied.kind === 'denied' && denied.retryAfterMs).toBe(toDec1);
      const usage = await service.usage(t);
      expect(usage.find((u) => u.kind === 'session_seconds')).toEqual({
        kind: 'session_seconds',
        used: 0,
        budget: 3600,
        exceeded: false,
      });
      clock.advance(toDec1);
      const next = await service.admit({ tenant: t, sessionId: ids.next('session') });
      expect(next.kind).toBe('admitted');
      if (next.kind === 'admitted') leases.push(next.lease);
    });

    it('200 simultaneous admissions over two instances admit exactly 20; a stopped instance’s slots come back', async () => {
      const one = createAdmissionService({ coordinator: env.one, clock, leaseTtlMs: TTL });
      const two = createAdmissionService({ coordinator: env.two, clock, leaseTtlMs: TTL });
      const t = tenant({ tier: 'starter' });
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          (i % 2 === 0 ? one : two)
            .admit({ tenant: t, sessionId: ids.next('session') })
            .then((r) => ({ r, instance: i % 2 })),
        ),
      );
      const admitted = results.filter((x) => x.r.kind === 'admitted');
      expect(admitted).toHaveLength(20);
      expect(await one.liveSessions(t.id as TenantId)).toBe(20);
      const ofOne = admitted
        .filter((x) => x.instance === 0)
        .map((x) => (x.r.kind === 'admitted' ? x.r.lease : undefined))
        .filter((l) => l !== undefined);
      const ofTwo = admitted
        .filter((x) => x.instance === 1)
        .map((x) => (x.r.kind === 'admitted' ? x.r.lease : undefined))
        .filter((l) => l !== undefined);
      leases.push(...ofTwo);
      // Instance one "crashes": its sessions stop heartbeating. Instance two keeps renewing.
      for (const l of ofOne) l.keeper.stop();
      for (let step = 0; step < 7; step++) {
        clock.advance(TTL / 6);
        await settle(() => ofTwo.every((l) => l.keeper.expiresAt > clock.now()));
      }
      expect(await two.liveSessions(t.id as TenantId)).toBe(ofTwo.length);
      const refill = await Promise.all(
        Array.from({ length: 40 }, () => two.admit({ tenant: t, sessionId: ids.next('session') })),
      );
      const back = refill.filter((r) => r.kind === 'admitted');
      expect(back).toHaveLength(ofOne.length);
      for (const r of back) leases.push(r.lease);
      expect(await one.liveSessions(t.id as TenantId)).toBe(20);
    });

    it('takes a slot back when coordination lost it, and the session goes on', async () => {
      const service = createAdmissionService({ coordinator: env.one, clock, leaseTtlMs: TTL });
      const t = tenant();
      const losses: string[] = [];
      const r = await service.admit({
        tenant: t,
        sessionId: ids.next('session'),
        onLost: (loss) => losses.push(loss.reason),
      });
      if (r.kind !== 'admitted') throw new Error('not admitted');
      leases.push(r.lease);
      // The slot disappears (a Redis restart without its data): the next heartbeat takes it again.
      await env.two.releaseLease(r.lease.keeper.key, r.lease.sessionId);
      expect(await service.liveSessions(t.id as TenantId)).toBe(0);
      const retaken: boolean[] = [];
      clock.advance(TTL / 3);
      for (let round = 0; round < 500 && retaken.length === 0; round++) {
        if ((await service.liveSessions(t.id as TenantId)) === 1) retaken.push(true);
      }
      expect(retaken).toEqual([true]);
      expect(losses).toEqual([]);
      expect(r.lease.keeper.state).toBe('keeping');
    });
  });
}
