import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError, createSequentialIdGenerator, idTimestamp } from '@prx-voice/types';
import { createSessionEmitter } from './session-emitter.js';
import type { SessionEmitterOptions } from './session-emitter.js';
import { assertGapFree } from './testing/assert-gap-free.js';
import { createMemorySink } from './testing/memory-sink.js';
import type { AnyVoiceEvent } from './voice-event.js';

const setupIds = createSequentialIdGenerator();
const tenantId = setupIds.next('tenant');
const sessionId = setupIds.next('session');
const turnId = setupIds.next('turn');
const runId = setupIds.next('run');

function setup(over: Partial<SessionEmitterOptions> = {}) {
  const clock = new SimulatedClock({ start: Date.UTC(2026, 0, 1) });
  const mem = createMemorySink();
  const emitter = createSessionEmitter({
    tenantId,
    sessionId,
    instanceId: 'node-1',
    clock,
    ids: createSequentialIdGenerator(Date.UTC(2026, 0, 1)),
    sink: mem.sink,
    ...over,
  });
  return { clock, mem, emitter };
}

describe('createSessionEmitter', () => {
  it('numbers events 1, 2, 3, … synchronously, in emit order', () => {
    const { mem, emitter } = setup();
    expect(emitter.lastSeq).toBe(0);
    const first = emitter.emit('prx.voice.session.state_changed', {
      from: 'Idle',
      to: 'Connecting',
      trigger: 'session_create',
    });
    expect(first.prxseq).toBe(1);
    expect(mem.events).toEqual([first]);
    for (let i = 0; i < 50; i++) emitter.emit('prx.voice.agent.token_stream', { text: `t${i}` });
    expect(emitter.lastSeq).toBe(51);
    assertGapFree(mem.events);
    expect(
      mem.events.map((e) => (e.type === 'prx.voice.agent.token_stream' ? e.data.text : '-')),
    ).toEqual(['-', ...Array.from({ length: 50 }, (_, i) => `t${i}`)]);
  });

  it('takes time from the clock and IDs from the generator', () => {
    const { clock, emitter } = setup();
    clock.advance(1234);
    const event = emitter.emit('prx.voice.session.pong', {});
    expect(event.time).toBe('2026-01-01T00:00:01.234Z');
    expect(event.id.startsWith('evt_')).toBe(true);
    expect(idTimestamp(event.id)).toBe(Date.UTC(2026, 0, 1));
  });

  it('passes turn, run, severity and trace context through', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const { emitter } = setup({ traceparent });
    const event = emitter.emit(
      'prx.voice.agent.token_stream',
      { text: 'a' },
      { turnId, runId, severity: 'info' },
    );
    expect(event).toMatchObject({
      prxturnid: turnId,
      prxrunid: runId,
      prxseverity: 'info',
      traceparent,
    });
    const other = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b8-01';
    expect(emitter.emit('prx.voice.session.pong', {}, { traceparent: other }).traceparent).toBe(
      other,
    );
  });

  it("asks a tracer for each event's traceparent with the event's turn", () => {
    const session = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const turn = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b9-01';
    const asked: (string | undefined)[] = [];
    const { emitter } = setup({
      traceparent: (t) => {
        asked.push(t);
        return t === undefined ? session : turn;
      },
    });
    expect(emitter.emit('prx.voice.session.pong', {}).traceparent).toBe(session);
    expect(
      emitter.emit('prx.voice.agent.token_stream', { text: 'a' }, { turnId }).traceparent,
    ).toBe(turn);
    expect(asked).toEqual([undefined, turnId]);
  });

  it('resumes after a given last seq', () => {
    const { mem, emitter } = setup({ lastSeq: 41 });
    emitter.emit('prx.voice.session.resumed', { to: 'Listening', paused_ms: 0 });
    expect(mem.events[0]?.prxseq).toBe(42);
    assertGapFree(mem.events, { from: 42 });
  });

  it('consumes no seq when an event is invalid', () => {
    const { mem, emitter } = setup();
    emitter.emit('prx.voice.session.pong', {});
    expect(() =>
      emitter.emit('prx.voice.asr.transcript_final', { text: 'x', start_ms: 5, end_ms: 1 }),
    ).toThrow(VoiceError);
    emitter.emit('prx.voice.session.pong', {});
    expect(mem.events.map((e) => e.prxseq)).toEqual([1, 2]);
  });

  it('with checkData false, trusts the payload: no schema check, the data as given', () => {
    const { mem, emitter } = setup({ checkData: false });
    const data = { text: 'x', start_ms: 5, end_ms: 1 };
    emitter.emit('prx.voice.asr.transcript_final', data);
    expect(mem.events[0]?.data).toBe(data);
    expect(Object.isFrozen(data)).toBe(false);
    // Checked by default, and frozen once checked.
    const checked = setup();
    const ok = { text: 'x', start_ms: 1, end_ms: 5 };
    checked.emitter.emit('prx.voice.asr.transcript_final', ok);
    expect(Object.isFrozen(ok)).toBe(true);
  });
  it('checks payloads at compile time', () => {
    const { emitter } = setup();
    // @ts-expect-error transcript_final needs start_ms and end_ms
    expect(() => emitter.emit('prx.voice.asr.transcript_final', { text: 'x' })).toThrow();
    expect(() =>
      emitter.emit('prx.voice.session.state_changed', {
        from: 'Idle',
        // @ts-expect-error 'Sleeping' is not a session state
        to: 'Sleeping',
        trigger: 't',
      }),
    ).toThrow();
    // @ts-expect-error not a protocol type
    expect(() => emitter.emit('prx.voice.session.started', {})).toThrow();
  });

  it('delivers to every sink, in order, and reports a throwing sink', () => {
    const a: AnyVoiceEvent[] = [];
    const b: AnyVoiceEvent[] = [];
    const errors: unknown[] = [];
    const { emitter } = setup({
      sink: [
        (e) => {
          a.push(e);
          if (e.prxseq === 2) throw new Error('sink a failed');
        },
        (e) => void b.push(e),
      ],
      onSinkError: (err) => errors.push(err),
    });
    for (let i = 0; i < 3; i++) emitter.emit('prx.voice.session.pong', {});
    expect(a.map((e) => e.prxseq)).toEqual([1, 2, 3]);
    expect(b.map((e) => e.prxseq)).toEqual([1, 2, 3]);
    expect(errors).toHaveLength(1);
  });

  it('rethrows a sink error without onSinkError, after the other sinks got the event', () => {
    const b: AnyVoiceEvent[] = [];
    const { emitter } = setup({
      sink: [
        () => {
          throw new Error('boom');
        },
        (e) => void b.push(e),
      ],
    });
    expect(() => emitter.emit('prx.voice.session.pong', {})).toThrow('boom');
    expect(b).toHaveLength(1);
    expect(emitter.lastSeq).toBe(1);
  });

  it('refuses a negative resume point', () => {
    expect(() => setup({ lastSeq: -1 })).toThrow(/lastSeq/);
  });

  it('adds a sink for later events, called synchronously, and removes it', () => {
    const seen: number[] = [];
    const { emitter } = setup();
    emitter.emit('prx.voice.session.pong', {});
    const remove = emitter.addSink((e) => {
      seen.push(e.prxseq);
      remove(); // a sink may remove itself while the event is being delivered
    });
    emitter.emit('prx.voice.session.pong', {});
    emitter.emit('prx.voice.session.pong', {});
    expect(seen).toEqual([2]);
  });
});
