import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { VoiceError, createSequentialIdGenerator } from '@prx-voice/types';
import type { EventId } from '@prx-voice/types';
import { buildEvent } from './build-event.js';
import { EVENT_TYPES } from './event-types.js';
import type { BuildEventInput } from './build-event.js';
import { SAMPLE_EVENT_DATA } from './testing/sample-data.js';

const ids = createSequentialIdGenerator();
const tenantId = ids.next('tenant');
const sessionId = ids.next('session');
const turnId = ids.next('turn');
const runId = ids.next('run');
const eventId = ids.next('event');
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const T0 = Date.UTC(2026, 2, 14, 9, 26, 53, 589);

function input(
  over: Partial<BuildEventInput<'prx.voice.asr.transcript_final'>> = {},
): BuildEventInput<'prx.voice.asr.transcript_final'> {
  return {
    type: 'prx.voice.asr.transcript_final',
    data: { text: 'hello', start_ms: 100, end_ms: 740 },
    id: eventId,
    time: T0,
    instanceId: 'node-1',
    tenantId,
    sessionId,
    seq: 3,
    ...over,
  };
}

function failure(fn: () => unknown): VoiceError {
  try {
    fn();
  } catch (err) {
    if (VoiceError.is(err)) return err;
    throw err;
  }
  throw new Error('expected a VoiceError');
}

describe('buildEvent', () => {
  it('builds the structured-mode CloudEvent of the protocol', () => {
    const event = buildEvent(input({ turnId, runId, traceparent: TRACEPARENT }));
    expect(event).toStrictEqual({
      specversion: '1.0',
      id: eventId,
      source: `/prx-voice/node-1/sessions/${sessionId}`,
      type: 'prx.voice.asr.transcript_final',
      subject: sessionId,
      time: '2026-03-14T09:26:53.589Z',
      datacontenttype: 'application/json',
      prxtenantid: tenantId,
      prxsessionid: sessionId,
      prxseq: 3,
      prxturnid: turnId,
      prxrunid: runId,
      prxseverity: 'info',
      traceparent: TRACEPARENT,
      data: { text: 'hello', start_ms: 100, end_ms: 740 },
    });
    expect(Object.isFrozen(event)).toBe(true);
  });

  it('omits absent optional attributes instead of writing undefined', () => {
    const event = buildEvent(input({ turnId: undefined }));
    expect(Object.keys(event)).not.toContain('prxturnid');
    expect(Object.keys(event)).not.toContain('prxrunid');
    expect(Object.keys(event)).not.toContain('traceparent');
    expect(Object.values(event)).not.toContain(undefined);
  });

  it('round-trips through JSON and the cloudevents package', () => {
    const event = buildEvent(input({ turnId, traceparent: TRACEPARENT }));
    const json = JSON.stringify(event);
    expect(JSON.parse(json)).toStrictEqual(event);
    const ce = new CloudEvent<unknown>(JSON.parse(json) as Record<string, unknown>);
    expect(ce.validate()).toBe(true);
    expect(ce.prxseq).toBe(3);
    expect(ce.prxturnid).toBe(turnId);
    expect(JSON.parse(JSON.stringify(ce))).toStrictEqual(event);
  });

  it('builds, for every event type, an event the cloudevents package validates', () => {
    const types = Object.keys(SAMPLE_EVENT_DATA) as (keyof typeof SAMPLE_EVENT_DATA)[];
    expect(types.length).toBe(EVENT_TYPES.length);
    types.forEach((type, i) => {
      const event = buildEvent({
        ...input({ turnId, runId, traceparent: TRACEPARENT, seq: i + 1 }),
        type,
        data: SAMPLE_EVENT_DATA[type],
      });
      expect(new CloudEvent<unknown>({ ...event }).validate()).toBe(true);
    });
  });

  it('applies the default severity of each type, unless overridden', () => {
    expect(
      buildEvent({
        ...input(),
        type: 'prx.voice.session.failed',
        data: SAMPLE_EVENT_DATA['prx.voice.session.failed'],
      }).prxseverity,
    ).toBe('critical');
    expect(
      buildEvent({ ...input(), type: 'prx.voice.agent.token_stream', data: { text: 'a' } })
        .prxseverity,
    ).toBe('debug');
    expect(buildEvent(input({ severity: 'warn' })).prxseverity).toBe('warn');
  });

  it('rejects invalid data, naming the field', () => {
    const err = failure(() => buildEvent(input({ data: { text: 'x', start_ms: 9, end_ms: 1 } })));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.message).toContain('data.end_ms');
    expect(err.details['type']).toBe('prx.voice.asr.transcript_final');
  });

  it('rejects a field the schema does not have, nested ones too, where zod alone drops it', () => {
    const stray = { text: 'x', start_ms: 1, end_ms: 2, confidence_pct: 90 };
    const err = failure(() => buildEvent(input({ data: stray })));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.message).toContain('data.confidence_pct: not a field of the schema');
    const latency = {
      asr_ms: 1,
      agent_first_token_ms: 2,
      tts_first_audio_ms: 3,
      first_audio_sent_ms: 4,
      voice_to_voice_ms: 10,
    };
    const turn = {
      type: 'prx.voice.turn.completed' as const,
      data: {
        turn_id: turnId,
        user_text: 'hi',
        assistant_text: 'hello',
        interrupted: false,
        latency: { ...latency, endpoint_ms: 5 },
      },
    };
    expect(failure(() => buildEvent({ ...input(), ...turn })).message).toContain(
      'data.latency.endpoint_ms: not a field of the schema',
    );
    // An undefined field is an absent one, as JSON has it.
    const withUndefined = { ...turn.data, latency, note: undefined };
    expect(buildEvent({ ...input(), ...turn, data: withUndefined }).data).toBe(withUndefined);
  });

  it('freezes checked data, so a change after the event is built fails where it is made', () => {
    const data = { text: 'hello', start_ms: 100, end_ms: 740 };
    const event = buildEvent(input({ data }));
    expect(event.data).toBe(data);
    expect(Object.isFrozen(data)).toBe(true);
    expect(() => {
      (data as { text: string }).text = 'changed';
    }).toThrow(TypeError);
  });

  it('with checkData false, carries the data as given: no schema, no freeze', () => {
    const data = { text: 'x', start_ms: 9, end_ms: 1 };
    const event = buildEvent(input({ data, checkData: false }));
    expect(event.data).toBe(data);
    expect(Object.isFrozen(data)).toBe(false);
    // The envelope is still checked.
    expect(failure(() => buildEvent(input({ seq: 0, checkData: false }))).message).toContain(
      'prxseq:',
    );
  });

  it.each<[string, Partial<BuildEventInput<'prx.voice.asr.transcript_final'>>, string]>([
    ['a zero seq', { seq: 0 }, 'prxseq'],
    ['a fractional seq', { seq: 1.5 }, 'prxseq'],
    ['an id of the wrong kind', { id: sessionId as unknown as EventId }, 'id'],
    ['a malformed traceparent', { traceparent: '00-abc-01' }, 'traceparent'],
    [
      'an all-zero trace id',
      { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` },
      'traceparent',
    ],
    ['an unknown severity', { severity: 'loud' as never }, 'prxseverity'],
    ['a non-finite time', { time: Number.NaN }, 'time'],
    ['a bad turn id', { turnId: 'turn_1' as never }, 'prxturnid'],
  ])('rejects %s', (_name, over, path) => {
    const err = failure(() => buildEvent(input(over)));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.message).toContain(`${path}:`);
  });

  it('rejects an unknown type and an instance id unfit for a path', () => {
    expect(
      failure(() => buildEvent({ ...input(), type: 'prx.voice.nope' } as never)).message,
    ).toContain('unknown event type');
    expect(failure(() => buildEvent(input({ instanceId: 'a/b' }))).message).toContain(
      'instance id',
    );
  });
});
