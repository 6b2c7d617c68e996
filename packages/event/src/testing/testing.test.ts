import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createSequentialIdGenerator } from '@prx-voice/types';
import { createEventBus } from '../event-bus.js';
import { createSessionEmitter } from '../session-emitter.js';
import type { AnyVoiceEvent } from '../voice-event.js';
import { assertGapFree } from './assert-gap-free.js';
import { collectEvents } from './collect-events.js';
import { createMemorySink } from './memory-sink.js';

const ids = createSequentialIdGenerator();

function events(n: number, lastSeq = 0): AnyVoiceEvent[] {
  const mem = createMemorySink();
  const emitter = createSessionEmitter({
    tenantId: ids.next('tenant'),
    sessionId: ids.next('session'),
    instanceId: 'n',
    clock: new SimulatedClock(),
    ids,
    sink: mem.sink,
    lastSeq,
  });
  for (let i = 0; i < n; i++) emitter.emit('prx.voice.session.pong', {});
  return [...mem.events];
}

describe('assertGapFree', () => {
  it('accepts 1..n per session, interleaved sessions included', () => {
    const a = events(3);
    const b = events(2);
    expect(() => {
      assertGapFree([a[0]!, b[0]!, a[1]!, b[1]!, a[2]!]);
    }).not.toThrow();
    expect(() => {
      assertGapFree([]);
    }).not.toThrow();
    expect(() => {
      assertGapFree(events(2, 10), { from: 11 });
    }).not.toThrow();
  });

  it('names the first gap, repeat or reordering', () => {
    const a = events(4);
    expect(() => {
      assertGapFree([a[0]!, a[2]!]);
    }).toThrow(/event #1 .* has prxseq 3, expected 2/);
    expect(() => {
      assertGapFree([a[0]!, a[0]!]);
    }).toThrow(/prxseq 1, expected 2/);
    expect(() => {
      assertGapFree([a[1]!, a[0]!]);
    }).toThrow(/prxseq 2, expected 1/);
    expect(() => {
      assertGapFree(events(2, 10));
    }).toThrow(/prxseq 11, expected 1/);
  });
});

describe('collectEvents', () => {
  it('waits for events, types and counts, and rejects when the subscription ends first', async () => {
    const bus = createEventBus();
    const seen = collectEvents(bus);
    for (const e of events(3)) bus.publish(e);
    await expect(seen.waitForCount(3)).resolves.toHaveLength(3);
    const pong = await seen.waitForType('prx.voice.session.pong');
    expect(pong.prxseq).toBe(1);
    const never = seen.waitForCount(10);
    bus.close();
    await expect(never).rejects.toThrow(/ended after 3 events/);
    await seen.done;
    expect(seen.gap).toBeUndefined();
  });

  it('records the gap marker of a cut-off subscriber', async () => {
    const bus = createEventBus({ queueLimit: 2 });
    const seen = collectEvents(bus);
    for (const e of events(6)) bus.publish(e);
    await seen.done;
    expect(seen.events.map((e) => e.prxseq)).toEqual([1, 2, 3]);
    expect(seen.gap).toMatchObject({ kind: 'gap', afterSeq: 3, reason: 'slow_consumer' });
    expect(seen.items).toHaveLength(4);
  });
});
