import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createEventBus, createEventLog, isGapMarker } from '@prx-voice/event';
import type { EventBus } from '@prx-voice/event';
import { concurrencyKey, createTenant } from '@prx-voice/policy';
import { createMemoryCoordinator } from '@prx-voice/storage';
import type { Coordinator, SessionRow, TenantRow } from '@prx-voice/storage';
import { openTestDatabase } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { INSTANCES_KEY, createSessionRecovery } from './recovery.js';
import type { SessionRecovery } from './recovery.js';

const TTL = 3_000;
let db: TestDatabase;
let tenant: TenantRow;
const clock = new SimulatedClock();
const ids = createSequentialIdGenerator();

beforeAll(async () => {
  db = await openTestDatabase({ clock, ids });
  tenant = await createTenant(db.repos, { slug: 'recovery', name: 'Recovery', tier: 'growth' });
});
afterAll(() => db.close());

/** The session span's context its first events carried. */
const SESSION_SPAN = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** A session row owned by `instanceId`, as its instance would have left it, with an open turn. */
async function ownedSession(instanceId: string): Promise<SessionRow> {
  const repos = db.repos.forTenant(tenant.id as TenantId);
  const row = await repos.sessions.create({
    state: 'Listening',
    channel: 'websocket',
    direction: 'inbound',
    language: 'en-US',
    instanceId,
  });
  await repos.turns.create({ sessionId: row.id as SessionId, seq: 1, inputKind: 'voice' });
  await repos.events.append(
    [1, 2].map((seq) => ({
      id: ids.next('event'),
      sessionId: row.id as SessionId,
      seq,
      type: 'prx.voice.session.state_changed',
      time: new Date(clock.now()),
      severity: 'info',
      event: { traceparent: SESSION_SPAN },
    })),
  );
  return row;
}

function recoveryOf(
  instanceId: string,
  coordinator: Coordinator,
  bus: EventBus,
  recovered: string[],
  soleInstance = false,
): SessionRecovery {
  return createSessionRecovery({
    coordinator,
    repos: db.repos,
    clock,
    ids,
    instanceId,
    bus,
    log: createEventLog({ repos: db.repos, clock, onError: () => undefined }),
    isLive: () => false,
    ttlMs: TTL,
    intervalMs: 1_000,
    soleInstance,
    onRecovered: (row) => recovered.push(row.id),
  });
}

describe('session recovery', () => {
  it('calls an instance lost only once coordination has held its data for a lease lifetime', async () => {
    // Shared coordination (Redis) as the router sees it; the memory store keeps the data.
    const coordinator = Object.assign(
      Object.create(createMemoryCoordinator({ clock })) as ReturnType<
        typeof createMemoryCoordinator
      >,
      { kind: 'redis' as const },
    );
    const b = recoveryOf('inst-b', coordinator, createEventBus(), []);
    await coordinator.acquireLease({ key: INSTANCES_KEY, holder: 'inst-x', ttlMs: TTL });
    expect(await b.isLost('inst-x')).toBe(false); // alive
    // Coordination lost its data a moment ago (a Redis restart): no heartbeat, yet not lost.
    expect(await b.isLost('inst-gone')).toBe(false);
    clock.advance(TTL);
    // A lease lifetime later every live instance has renewed: a missing one is gone.
    expect(await b.isLost('inst-gone')).toBe(true);
    expect(await b.isAlive('inst-x')).toBe(false);
    expect(await b.isLost('inst-x')).toBe(true);
    // In-process coordination: any other instance is an earlier life of this process.
    const own = recoveryOf('inst-b', createMemoryCoordinator({ clock }), createEventBus(), []);
    expect(await own.isLost('inst-before-restart')).toBe(true);
  });

  it('ends the sessions of an instance missing for a lease lifetime, once, with their events', async () => {
    const coordinator = createMemoryCoordinator({ clock });
    const bus = createEventBus();
    const a = await ownedSession('inst-a');
    await coordinator.acquireLease({ key: INSTANCES_KEY, holder: 'inst-a', ttlMs: TTL });
    await coordinator.acquireLease({ key: concurrencyKey(tenant.id), holder: a.id, ttlMs: 60_000 });
    const recovered: string[] = [];
    const b = recoveryOf('inst-b', coordinator, bus, recovered);
    const c = recoveryOf('inst-c', coordinator, bus, recovered);
    const live = bus.subscribe({ tenantId: tenant.id as TenantId, sessionId: a.id as SessionId });

    expect(await b.sweep()).toBe(0); // inst-a is alive
    expect(await b.isAlive('inst-a')).toBe(true);
    clock.advance(TTL); // its heartbeat lapses: missing from now on
    expect(await b.isAlive('inst-a')).toBe(false);
    expect(await b.sweep()).toBe(0);
    expect(await c.sweep()).toBe(0);
    clock.advance(TTL - 1);
    expect(await b.sweep()).toBe(0); // not yet missing for a whole lifetime
    clock.advance(1);
    const [byB, byC] = await Promise.all([b.sweep(), c.sweep()]);
    expect(byB + byC).toBe(1);
    expect(recovered).toEqual([a.id]);

    const repos = db.repos.forTenant(tenant.id as TenantId);
    const row = await repos.sessions.require(a.id as SessionId);
    expect(row).toMatchObject({ state: 'Failed', outcome: 'error', close_reason: 'instance_lost' });
    const turns = await repos.turns.listBySession(a.id as SessionId);
    expect(turns.items.map((t) => t.status)).toEqual(['failed']);
    const events = await repos.events.readAfter(a.id as SessionId, 0);
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'prx.voice.session.state_changed'],
      [2, 'prx.voice.session.state_changed'],
      [3, 'prx.voice.session.state_changed'],
      [4, 'prx.voice.session.failed'],
    ]);
    // The end belongs to the session's trace.
    expect(events.slice(2).map((e) => e.event['traceparent'])).toEqual([
      SESSION_SPAN,
      SESSION_SPAN,
    ]);
    const published: string[] = [];
    for await (const item of live) {
      if (isGapMarker(item)) break;
      published.push(item.type);
      if (published.length === 2) break;
    }
    expect(published).toEqual(['prx.voice.session.state_changed', 'prx.voice.session.failed']);
    expect(await coordinator.listLeases(concurrencyKey(tenant.id))).toEqual([]);
    // Ended is ended: nothing more to do, by anyone.
    expect(await b.sweep()).toBe(0);
    expect(await c.recover(tenant.id as TenantId, a.id as SessionId)).toBe(false);
  });

  it('as the database’s sole user (embedded PGlite), ends every earlier run’s sessions at once, whatever their instance id', async () => {
    const coordinator = createMemoryCoordinator({ clock });
    // The default instance id has the pid in it: the earlier run had another.
    const earlier = await ownedSession('host-4242');
    clock.advance(1);
    const recovered: string[] = [];
    const now = recoveryOf('host-4343', coordinator, createEventBus(), recovered, true);
    await now.start();
    expect(recovered).toEqual([earlier.id]);
    // Not the sole instance: the same session would wait a lease lifetime.
    const other = await ownedSession('host-4242');
    clock.advance(1);
    const waiting: string[] = [];
    const shared = recoveryOf(
      'host-4444',
      createMemoryCoordinator({ clock }),
      createEventBus(),
      waiting,
    );
    await shared.start();
    expect(waiting).toEqual([]);
    await shared.stop();
    await now.stop();
    expect(other.id).not.toBe(earlier.id);
  });

  it('ends its own sessions from before a restart at once, and keeps its heartbeat', async () => {
    const coordinator = createMemoryCoordinator({ clock });
    const stale = await ownedSession('inst-d');
    clock.advance(1);
    const recovered: string[] = [];
    const d = recoveryOf('inst-d', coordinator, createEventBus(), recovered);
    await d.start();
    expect(recovered).toEqual([stale.id]);
    expect((await coordinator.listLeases(INSTANCES_KEY)).map((l) => l.holder)).toEqual(['inst-d']);
    // A session it starts now is its own business, never recovered.
    const fresh = await ownedSession('inst-d');
    expect(await d.sweep()).toBe(0);
    expect(
      (await db.repos.forTenant(tenant.id as TenantId).sessions.require(fresh.id as SessionId))
        .state,
    ).toBe('Listening');
    // The coordinator forgets the heartbeat (a Redis restart): it is taken again.
    await coordinator.releaseLease(INSTANCES_KEY, 'inst-d');
    clock.advance(TTL / 3);
    for (let i = 0; i < 100 && !(await d.isAlive('inst-d')); i++) await Promise.resolve();
    expect((await coordinator.listLeases(INSTANCES_KEY)).map((l) => l.holder)).toEqual(['inst-d']);
    await d.stop();
    expect(await coordinator.listLeases(INSTANCES_KEY)).toEqual([]);
  });
});
