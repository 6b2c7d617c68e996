/**
 * The command router when nobody listens on the owner's channel: on shared
 * coordination (Redis) that may be an owner subscribing again after a Redis
 * restart, so the command is published again for a grace before the owner
 * counts as not reachable; in-process coordination never loses a subscription,
 * so there no listener is an answer at once. On the simulated clock.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { MemoryCoordinationHub, createMemoryCoordinator } from '@prx-voice/storage';
import type { Coordinator } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { NO_LISTENER_GRACE_MS, createCommandRouter } from './command-router.js';
import type { RoutedCommand } from './command-router.js';

const T = 't_1' as TenantId;
const S = 'sess_1' as SessionId;

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Two instances' coordinators on one hub, reporting `kind` (the hub stands in for Redis). */
function pair(clock: SimulatedClock, kind: Coordinator['kind']): [Coordinator, Coordinator] {
  const hub = new MemoryCoordinationHub();
  const make = (): Coordinator => ({ ...createMemoryCoordinator({ clock, hub }), kind });
  return [make(), make()];
}

function router(coordinator: Coordinator, clock: SimulatedClock, instanceId: string) {
  const executed: RoutedCommand[] = [];
  let n = 0;
  const r = createCommandRouter({
    coordinator,
    instanceId,
    clock,
    newId: () => `req_${instanceId}_${String(++n)}`,
    execute: (_tenant, _session, command) => {
      executed.push(command);
      return Promise.resolve();
    },
  });
  return { router: r, executed };
}

/** Settles `p`, advancing the clock `stepMs` at a time, at most `maxMs`. */
async function drive<T>(
  clock: SimulatedClock,
  p: Promise<T>,
  maxMs: number,
  stepMs = 50,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  type Outcome = { ok: true; value: T } | { ok: false; error: unknown };
  const settled: { outcome?: Outcome } = {};
  p.then(
    (value) => (settled.outcome = { ok: true, value }),
    (error: unknown) => (settled.outcome = { ok: false, error }),
  );
  for (let waited = 0; waited <= maxMs; waited += stepMs) {
    await settle();
    if (settled.outcome !== undefined) break;
    clock.advance(stepMs);
  }
  await settle();
  if (settled.outcome === undefined) throw new Error(`still pending after ${String(maxMs)} ms`);
  return settled.outcome;
}

describe('command router: nobody listening on the owner’s channel', () => {
  it('on Redis, reaches an owner that subscribes again within the grace', async () => {
    const clock = new SimulatedClock();
    const [ca, cb] = pair(clock, 'redis');
    const a = router(ca, clock, 'a');
    const b = router(cb, clock, 'b');
    await a.router.start();
    let answered = false;
    const sent = a.router
      .forward('b', T, S, { kind: 'text', text: 'hello' })
      .finally(() => (answered = true));
    // The owner's subscriber comes back 800 ms later (a Redis restart).
    for (let i = 0; i < 16; i++) {
      await settle();
      clock.advance(50);
    }
    expect(answered).toBe(false);
    await b.router.start();
    const outcome = await drive(clock, sent, 1_000);
    expect(outcome).toEqual({ ok: true, value: undefined });
    // Delivered once, however often it was published to nobody.
    expect(b.executed).toEqual([{ kind: 'text', text: 'hello' }]);
  });

  it('on Redis, an owner that never listens is not reachable after the grace, not before', async () => {
    const clock = new SimulatedClock();
    const [ca] = pair(clock, 'redis');
    const a = router(ca, clock, 'a');
    await a.router.start();
    const started = clock.now();
    const outcome = await drive(
      clock,
      a.router.forward('gone', T, S, { kind: 'command', command: 'end' }),
      NO_LISTENER_GRACE_MS + 1_000,
    );
    expect(outcome.ok).toBe(false);
    const error = outcome.ok ? undefined : outcome.error;
    expect(VoiceError.is(error) && error.code).toBe('SESSION_STATE_CONFLICT');
    expect(VoiceError.is(error) && error.details).toMatchObject({ instance_id: 'gone' });
    expect(clock.now() - started).toBeGreaterThanOrEqual(NO_LISTENER_GRACE_MS);
    expect(clock.now() - started).toBeLessThan(NO_LISTENER_GRACE_MS + 500);
  });

  it('in-process, no listener is an answer at once', async () => {
    const clock = new SimulatedClock();
    const [ca] = pair(clock, 'memory');
    const a = router(ca, clock, 'a');
    await a.router.start();
    const started = clock.now();
    const outcome = await drive(
      clock,
      a.router.forward('gone', T, S, { kind: 'command', command: 'end' }),
      1_000,
    );
    expect(outcome.ok).toBe(false);
    expect(clock.now()).toBe(started);
  });

  it('a coordination failure while publishing is thrown, and nothing is left waiting', async () => {
    const clock = new SimulatedClock();
    const [ca] = pair(clock, 'redis');
    const failing: Coordinator = {
      ...ca,
      publish: () => Promise.reject(new VoiceError('STORAGE_UNAVAILABLE')),
    };
    const a = router(failing, clock, 'a');
    await a.router.start();
    const outcome = await drive(
      clock,
      a.router.forward('b', T, S, { kind: 'command', command: 'end' }),
      1_000,
    );
    expect(outcome.ok).toBe(false);
    expect(VoiceError.is(outcome.ok ? undefined : outcome.error)).toBe(true);
    expect(clock.nextDueAt()).toBeUndefined();
  });
});
