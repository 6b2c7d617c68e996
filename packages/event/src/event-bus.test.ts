import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId } from '@prx-voice/types';
import { createEventBus } from './event-bus.js';
import { createSessionEmitter } from './session-emitter.js';
import type { SessionEmitter } from './session-emitter.js';
import { isGapMarker } from './subscription.js';
import type { BusItem } from './subscription.js';
import { assertGapFree } from './testing/assert-gap-free.js';
import { collectEvents } from './testing/collect-events.js';
import type { AnyVoiceEvent } from './voice-event.js';

const ids = createSequentialIdGenerator();
const tenantA = ids.next('tenant');
const tenantB = ids.next('tenant');

function emitterFor(
  publish: (e: AnyVoiceEvent) => void,
  sessionId: SessionId = ids.next('session'),
  tenantId = tenantA,
): SessionEmitter {
  return createSessionEmitter({
    tenantId,
    sessionId,
    instanceId: 'node-1',
    clock: new SimulatedClock(),
    ids,
    sink: publish,
  });
}

const pong = (emitter: SessionEmitter): AnyVoiceEvent => emitter.emit('prx.voice.session.pong', {});

describe('createEventBus', () => {
  it('fans every event out to every subscriber, in order', async () => {
    const bus = createEventBus();
    const one = collectEvents(bus);
    const two = collectEvents(bus);
    const emitter = emitterFor(bus.publish);
    for (let i = 0; i < 5; i++) pong(emitter);
    await one.waitForCount(5);
    await two.waitForCount(5);
    expect(one.events.map((e) => e.prxseq)).toEqual([1, 2, 3, 4, 5]);
    expect(two.events).toEqual(one.events);
  });

  it('filters by session, by tenant and after a seq', async () => {
    const bus = createEventBus();
    const s1 = ids.next('session');
    const e1 = emitterFor(bus.publish, s1);
    const e2 = emitterFor(bus.publish);
    const e3 = emitterFor(bus.publish, ids.next('session'), tenantB);
    const onlyS1 = collectEvents(bus, { sessionId: s1 });
    const s1After2 = collectEvents(bus, { sessionId: s1, afterSeq: 2 });
    const onlyB = collectEvents(bus, { tenantId: tenantB });
    for (let i = 0; i < 4; i++) {
      pong(e1);
      pong(e2);
      pong(e3);
    }
    await onlyS1.waitForCount(4);
    await s1After2.waitForCount(2);
    await onlyB.waitForCount(4);
    expect(onlyS1.events.every((e) => e.prxsessionid === s1)).toBe(true);
    expect(s1After2.events.map((e) => e.prxseq)).toEqual([3, 4]);
    expect(onlyB.events.every((e) => e.prxtenantid === tenantB)).toBe(true);
    expect(() => bus.subscribe({ afterSeq: 3 })).toThrow(/sessionId/);
  });

  it('cuts off a stalled subscriber with a gap marker while a fast one sees all 10 000 events, publish staying synchronous', async () => {
    const queueLimit = 256;
    const bus = createEventBus({ queueLimit });
    const sessionId = ids.next('session');
    const stalled = bus.subscribe({ sessionId }); // never read until the end
    const fast = bus.subscribe({ sessionId });
    expect(bus.subscriberCount).toBe(2);

    const seen: number[] = [];
    let caughtUp: { seq: number; resolve: () => void } | undefined;
    const reader = (async () => {
      for await (const item of fast) {
        if (isGapMarker(item)) throw new Error('the fast subscriber must not be cut off');
        seen.push(item.prxseq);
        if (caughtUp !== undefined && item.prxseq >= caughtUp.seq) caughtUp.resolve();
        if (item.prxseq === 10_000) break;
      }
    })();

    const returned = new Set<unknown>();
    const publish: (event: AnyVoiceEvent) => unknown = bus.publish;
    const emitter = emitterFor((e) => returned.add(publish(e)), sessionId);
    for (let batch = 0; batch < 100; batch++) {
      let tickEnded = false;
      void Promise.resolve().then(() => (tickEnded = true));
      for (let i = 0; i < 100; i++) pong(emitter);
      expect(tickEnded).toBe(false); // 100 publishes, one tick
      const target = emitter.lastSeq;
      await new Promise<void>((resolve) => {
        caughtUp = { seq: target, resolve };
        if (seen.at(-1) === target) resolve();
      });
      if (batch === 2) expect(bus.subscriberCount).toBe(1); // the stalled one is gone
    }
    await reader;
    expect([...returned]).toEqual([undefined]); // publish never returned a promise to wait on
    expect(seen).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));

    expect(stalled.closed).toBe(true);
    const items: BusItem[] = [];
    for await (const item of stalled) items.push(item);
    expect(items).toHaveLength(queueLimit + 1);
    const events = items.slice(0, queueLimit) as AnyVoiceEvent[];
    assertGapFree(events);
    expect(items.at(-1)).toEqual({
      kind: 'gap',
      sessionId,
      afterSeq: queueLimit,
      reason: 'slow_consumer',
    });
  });

  it('gives the gap marker afterSeq from where the subscriber started', async () => {
    const bus = createEventBus({ queueLimit: 2 });
    const sessionId = ids.next('session');
    const emitter = emitterFor(bus.publish, sessionId);
    for (let i = 0; i < 5; i++) pong(emitter);
    const sub = bus.subscribe({ sessionId, afterSeq: 5 });
    for (let i = 0; i < 3; i++) pong(emitter);
    const items: BusItem[] = [];
    for await (const item of sub) items.push(item);
    expect(items.map((i) => (isGapMarker(i) ? `gap>${i.afterSeq}` : i.prxseq))).toEqual([
      6,
      7,
      'gap>7',
    ]);
  });

  it('hands an event straight to a waiting reader', async () => {
    const bus = createEventBus({ queueLimit: 1 });
    const sub = bus.subscribe();
    const next = sub.next();
    const emitter = emitterFor(bus.publish);
    pong(emitter);
    pong(emitter); // fits: the first went to the waiting reader, not the queue
    expect((await next).value).toMatchObject({ prxseq: 1 });
    expect(sub.pending).toBe(1);
    expect(sub.closed).toBe(false);
  });

  it('ends a subscription on unsubscribe, break, abort and close', async () => {
    const bus = createEventBus();
    const emitter = emitterFor(bus.publish);
    const a = bus.subscribe();
    const waiting = a.next();
    a.unsubscribe();
    expect(await waiting).toEqual({ done: true, value: undefined });

    const b = bus.subscribe();
    pong(emitter);
    for await (const item of b) {
      expect(isGapMarker(item)).toBe(false);
      break;
    }
    expect(b.closed).toBe(true);

    const controller = new AbortController();
    const c = bus.subscribe({ signal: controller.signal });
    controller.abort();
    expect(c.closed).toBe(true);
    expect(bus.subscriberCount).toBe(0);

    const d = bus.subscribe();
    pong(emitter);
    bus.close();
    pong(emitter); // ignored after close
    const rest: BusItem[] = [];
    for await (const item of d) rest.push(item);
    expect(rest).toHaveLength(1); // what was queued before close is still delivered
    expect(bus.subscribe().closed).toBe(true);
  });

  it('calls a listener outside publish, awaiting it, and reports its failure', async () => {
    const bus = createEventBus();
    const emitter = emitterFor(bus.publish);
    const got: number[] = [];
    const errors: unknown[] = [];
    const listener = bus.listen(
      async (item) => {
        if (isGapMarker(item)) return;
        got.push(item.prxseq);
        await Promise.resolve();
        if (item.prxseq === 3) throw new Error('handler failed');
      },
      { onError: (err) => errors.push(err) },
    );
    pong(emitter);
    expect(got).toEqual([]); // not inside publish
    pong(emitter);
    pong(emitter);
    pong(emitter);
    await listener.done;
    expect(got).toEqual([1, 2, 3]);
    expect(errors).toEqual([new Error('handler failed')]);
    expect(bus.subscriberCount).toBe(0);
  });

  it('cuts off a slow listener like a slow iterator', async () => {
    const bus = createEventBus({ queueLimit: 3 });
    const emitter = emitterFor(bus.publish);
    const got: BusItem[] = [];
    const listener = bus.listen((item) => void got.push(item), { onError: () => undefined });
    for (let i = 0; i < 10; i++) pong(emitter); // nothing runs in between: 1 handed over, 3 queued
    await listener.done;
    expect(got.map((i) => (isGapMarker(i) ? 'gap' : i.prxseq))).toEqual([1, 2, 3, 4, 'gap']);
  });

  it('refuses a queue limit below 1', () => {
    expect(() => createEventBus({ queueLimit: 0 })).toThrow(/queueLimit/);
  });
});
