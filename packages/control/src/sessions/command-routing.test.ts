/**
 * Commands for a session live on another instance are forwarded there over
 * coordination pub/sub — in-process, and over a real Redis as production runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProviders } from '@prx-voice/adapter';
import { defaultConfig } from '@prx-voice/core';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createEventBus, createEventLog } from '@prx-voice/event';
import { createAdmissionService, createTenant } from '@prx-voice/policy';
import { MemoryCoordinationHub, createMemoryCoordinator } from '@prx-voice/storage';
import { createRedisCoordinator } from '@prx-voice/storage/redis';
import type { Coordinator } from '@prx-voice/storage';
import { openTestDatabase, randomKeyPrefix, redisTestTarget } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import { VoiceError, createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createSessionManager } from './session-manager.js';
import type { SessionManager } from './session-manager.js';

const clock = new SimulatedClock({ start: Date.UTC(2026, 10, 21) });
const ids = createSequentialIdGenerator(Date.UTC(2026, 10, 21));
let db: TestDatabase;
let n = 0;
beforeAll(async () => {
  db = await openTestDatabase({ clock, ids });
});
afterAll(() => db.close());

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

async function failure(p: Promise<unknown>): Promise<VoiceError> {
  try {
    await p;
  } catch (err) {
    if (VoiceError.is(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

function manager(instanceId: string, coordinator: Coordinator): SessionManager {
  return createSessionManager({
    config: { ...defaultConfig() },
    clock,
    ids,
    repos: db.repos,
    admission: createAdmissionService({ coordinator, clock }),
    providers: defaultProviders({ clock }),
    bus: createEventBus(),
    log: createEventLog({
      repos: db.repos,
      clock,
      onError: (e) => {
        throw e;
      },
    }),
    instanceId,
    coordinator,
  });
}

const redis = redisTestTarget();
const kinds: { name: string; make: () => () => Coordinator }[] = [
  {
    name: 'in-process coordination',
    make: () => {
      const hub = new MemoryCoordinationHub();
      return () => createMemoryCoordinator({ clock, hub });
    },
  },
];
if (redis.kind === 'available') {
  kinds.push({
    name: 'Redis',
    make: () => {
      const keyPrefix = randomKeyPrefix('routing');
      return () => createRedisCoordinator({ clock, url: redis.url, keyPrefix });
    },
  });
}

describe.each(kinds)('command routing across instances ($name)', ({ make }) => {
  const coordinators: Coordinator[] = [];
  let a: SessionManager;
  let b: SessionManager;
  let c: SessionManager;
  beforeAll(async () => {
    const next = make();
    const coordinator = (): Coordinator => {
      const made = next();
      coordinators.push(made);
      return made;
    };
    a = manager(`a-${String(++n)}`, coordinator());
    b = manager(`b-${String(n)}`, coordinator());
    c = manager(`c-${String(n)}`, coordinator()); // never listens: a crashed instance
    await a.start();
    await b.start();
  });
  afterAll(async () => {
    await Promise.all(coordinators.map((x) => x.close()));
  });

  it('forwards commands and text turns to the owning instance, and its refusals back', async () => {
    const t = (
      await createTenant(db.repos, { slug: `r-${String(++n)}`, name: 'R', tier: 'growth' })
    ).id as TenantId;
    const sid = (await a.create(t, { channel: 'websocket' })).id as SessionId;
    await settle();
    expect(b.live(t, sid)).toBeUndefined();
    await b.command(t, sid, 'pause');
    expect(a.live(t, sid)?.actor.model.machine.value).toBe('Paused');
    // The owner's refusal comes back with its code and message.
    const refused = await failure(b.textTurn(t, sid, 'hello'));
    expect(refused.code).toBe('SESSION_STATE_CONFLICT');
    expect(refused.message).toBe('cannot take a text turn in Paused');
    await b.command(t, sid, 'resume');
    await b.textTurn(t, sid, 'hello');
    await settle();
    expect(a.live(t, sid)?.actor.model.turn?.userText).toBe('hello');
    // A foreign tenant is not told the session exists, wherever it runs.
    const other = (
      await createTenant(db.repos, { slug: `r-${String(++n)}`, name: 'O', tier: 'growth' })
    ).id as TenantId;
    expect((await failure(b.command(other, sid, 'end'))).code).toBe('SESSION_NOT_FOUND');
    await b.command(t, sid, 'end');
    await settle();
    expect(a.live(t, sid)).toBeUndefined();
    const ended = await failure(b.command(t, sid, 'end'));
    expect(ended).toMatchObject({
      code: 'SESSION_STATE_CONFLICT',
      message: 'the session has ended',
    });
  });

  it('forwards a handoff to the owning instance, and its refusal back', async () => {
    const t = (
      await createTenant(db.repos, { slug: `r-${String(++n)}`, name: 'R', tier: 'growth' })
    ).id as TenantId;
    const sid = (await a.create(t, { channel: 'twilio' })).id as SessionId;
    await settle();
    const desk = { type: 'phone', number: '+14155550100' } as const;
    const types: string[] = [];
    a.live(t, sid)?.emitter.addSink((e) => types.push(e.type));
    await b.command(t, sid, 'pause');
    const paused = await failure(b.handoff(t, sid, { target: desk }));
    expect(paused).toMatchObject({
      code: 'SESSION_STATE_CONFLICT',
      message: 'cannot hand off a session in Paused',
    });
    await b.command(t, sid, 'resume');
    await b.handoff(t, sid, { target: desk, reason: 'wants a person' });
    // Forwarded and taken by the owner: no media stream started, so the transfer fails
    // there and the call goes on.
    await settle();
    expect(types).toContain('prx.voice.session.handoff_requested');
    expect(types).toContain('prx.voice.session.handoff_failed');
    expect(a.live(t, sid)?.actor.model.machine.value).not.toBe('HandoffPending');
    await b.command(t, sid, 'end');
  });

  it('says so when the owning instance is gone', async () => {
    const t = (
      await createTenant(db.repos, { slug: `r-${String(++n)}`, name: 'G', tier: 'growth' })
    ).id as TenantId;
    const sid = (await c.create(t, { channel: 'websocket' })).id as SessionId;
    const answer: { settled?: true } = {};
    const pending = failure(b.command(t, sid, 'pause')).finally(() => (answer.settled = true));
    // On Redis the command is published again for a grace (an owner may be subscribing again):
    // the clock moves on while the lookups and publications take their real time.
    for (let i = 0; i < 500; i++) {
      await new Promise((r) => setTimeout(r, 2));
      if (answer.settled) break;
      clock.advance(50);
    }
    const gone = await pending;
    expect(gone).toMatchObject({
      code: 'SESSION_STATE_CONFLICT',
      message: 'the instance running the session is not reachable',
    });
    await c.command(t, sid, 'end');
  });
});
