import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createEventBus, createEventLog, createSessionEmitter } from '@prx-voice/event';
import type { SessionEmitter } from '@prx-voice/event';
import { createTenant } from '@prx-voice/policy';
import { openTestDatabase } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { streamSessionEvents } from './sse.js';

const clock = new SimulatedClock();
const ids = createSequentialIdGenerator();
let db: TestDatabase;
let tenantId: TenantId;

beforeAll(async () => {
  db = await openTestDatabase({ clock, ids });
  tenantId = (await createTenant(db.repos, { slug: 'sse', name: 'SSE', tier: 'growth' }))
    .id as TenantId;
});
afterAll(() => db.close());

/** A session as its owner (another instance) writes it: its emitter into its own durable log. */
async function ownedElsewhere() {
  const session = await db.repos.forTenant(tenantId).sessions.create({
    state: 'Listening',
    channel: 'websocket',
    direction: 'inbound',
    language: 'en-US',
    instanceId: 'owner-1',
  });
  const log = createEventLog({ repos: db.repos, clock, onError: () => undefined });
  const emitter = createSessionEmitter({
    tenantId,
    sessionId: session.id as SessionId,
    instanceId: 'owner-1',
    clock,
    ids,
    sink: log.append,
  });
  return { id: session.id as SessionId, log, emitter };
}

const state = (e: SessionEmitter, to: 'Listening' | 'Thinking') =>
  e.emit('prx.voice.session.state_changed', { from: 'Listening', to, trigger: 'test' });

/** Lets the stream's pending reads and timers run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await new Promise<void>((r) => setImmediate(r));
}

describe('SSE on an instance that does not run the session', () => {
  it('follows the durable log as it grows, until the terminal event', async () => {
    const owner = await ownedElsewhere();
    state(owner.emitter, 'Thinking');
    await owner.log.flush();
    const seen: string[] = [];
    const abort = new AbortController();
    const done = streamSessionEvents({
      bus: createEventBus(),
      log: createEventLog({ repos: db.repos, clock, onError: () => undefined }),
      tenantId,
      sessionId: owner.id,
      afterSeq: 0,
      live: false,
      signal: abort.signal,
      tail: { clock, everyMs: 250, ended: () => Promise.resolve(false) },
      write: (m) => {
        seen.push(`${m.id} ${m.event}`);
        return Promise.resolve();
      },
    });
    await settle();
    expect(seen).toEqual(['1 prx.voice.session.state_changed']);
    state(owner.emitter, 'Listening');
    await owner.log.flush();
    clock.advance(249);
    await settle();
    expect(seen).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(seen).toEqual([
      '1 prx.voice.session.state_changed',
      '2 prx.voice.session.state_changed',
    ]);
    owner.emitter.emit('prx.voice.session.closed', {
      outcome: 'completed',
      reason: 'client',
      duration_ms: 1000,
      turn_count: 0,
    });
    await owner.log.flush();
    clock.advance(250);
    await done;
    expect(seen.at(-1)).toBe('3 prx.voice.session.closed');
    expect(clock.pendingCount).toBe(0);
  });

  it('waits for a terminal event stored after the row says ended', async () => {
    const owner = await ownedElsewhere();
    state(owner.emitter, 'Thinking');
    await owner.log.flush();
    const seen: string[] = [];
    let ended = false;
    const done = streamSessionEvents({
      bus: createEventBus(),
      log: createEventLog({ repos: db.repos, clock, onError: () => undefined }),
      tenantId,
      sessionId: owner.id,
      afterSeq: 0,
      live: false,
      signal: new AbortController().signal,
      tail: { clock, everyMs: 250, ended: () => Promise.resolve(ended) },
      write: (m) => {
        seen.push(`${m.id} ${m.event}`);
        return Promise.resolve();
      },
    });
    await settle();
    ended = true;
    clock.advance(250);
    await settle();
    clock.advance(250);
    await settle();
    owner.emitter.emit('prx.voice.session.closed', {
      outcome: 'completed',
      reason: 'client',
      duration_ms: 1000,
      turn_count: 0,
    });
    await owner.log.flush();
    clock.advance(250);
    await done;
    expect(seen.at(-1)).toBe('2 prx.voice.session.closed');
    expect(clock.pendingCount).toBe(0);
  });

  it('stops when the session has ended with no terminal event to come, or the client leaves', async () => {
    const owner = await ownedElsewhere();
    state(owner.emitter, 'Thinking');
    await owner.log.flush();
    let ended = false;
    const common = {
      bus: createEventBus(),
      log: createEventLog({ repos: db.repos, clock, onError: () => undefined }),
      tenantId,
      sessionId: owner.id,
      afterSeq: 0,
      live: false,
      write: () => Promise.resolve(),
    };
    const stopped = streamSessionEvents({
      ...common,
      signal: new AbortController().signal,
      tail: { clock, everyMs: 250, ended: () => Promise.resolve(ended) },
    });
    await settle();
    ended = true;
    let over = false;
    void stopped.then(() => (over = true));
    clock.advance(250);
    await settle();
    // Its row says ended; the terminal event may still be on its way to the log.
    clock.advance(4_750);
    await settle();
    expect(over).toBe(false);
    clock.advance(250);
    await stopped;
    const abort = new AbortController();
    const left = streamSessionEvents({
      ...common,
      signal: abort.signal,
      tail: { clock, everyMs: 250, ended: () => Promise.resolve(false) },
    });
    await settle();
    abort.abort();
    await left;
    expect(clock.pendingCount).toBe(0);
  });
});
