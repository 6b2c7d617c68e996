import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { VoiceError, createSequentialIdGenerator } from '@prx-voice/types';
import { buildEvent } from './build-event.js';
import { parseEnvelope, parseEvent } from './parse-event.js';

const ids = createSequentialIdGenerator();
const tenantId = ids.next('tenant');
const sessionId = ids.next('session');
const otherSession = ids.next('session');
const turnId = ids.next('turn');

const event = buildEvent({
  type: 'prx.voice.turn.completed',
  data: {
    turn_id: turnId,
    user_text: 'hello',
    assistant_text: 'You said: hello',
    interrupted: false,
    latency: {
      asr_ms: 120,
      agent_first_token_ms: 200,
      tts_first_audio_ms: null,
      first_audio_sent_ms: null,
      voice_to_voice_ms: null,
    },
  },
  id: ids.next('event'),
  time: Date.UTC(2026, 0, 1),
  instanceId: 'node-1',
  tenantId,
  sessionId,
  seq: 12,
  turnId,
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
});
const json = (): Record<string, unknown> =>
  JSON.parse(JSON.stringify(event)) as Record<string, unknown>;

function failure(fn: () => unknown): VoiceError {
  try {
    fn();
  } catch (err) {
    if (VoiceError.is(err)) return err;
    throw err;
  }
  throw new Error('expected a VoiceError');
}

describe('parseEvent', () => {
  it('accepts what buildEvent makes, as a string or an object', () => {
    expect(parseEvent(JSON.stringify(event))).toStrictEqual(event);
    const parsed = parseEvent(json());
    expect(parsed).toStrictEqual(event);
    if (parsed.type === 'prx.voice.turn.completed') expect(parsed.data.latency.asr_ms).toBe(120);
  });

  it('accepts a cloudevents CloudEvent instance', () => {
    expect(parseEvent(new CloudEvent<unknown>(json()))).toStrictEqual(event);
  });

  it('keeps unknown extensions and data fields (forward compatible)', () => {
    const incoming = { ...json(), prxregion: 'eu1', data: { ...event.data, extra: 1 } };
    const parsed = parseEvent(incoming) as unknown as Record<string, unknown>;
    expect(parsed['prxregion']).toBe('eu1');
    expect(parsed['data']).toMatchObject({ extra: 1 });
  });

  it.each<[string, (e: Record<string, unknown>) => void, string]>([
    ['a missing time', (e) => delete e['time'], 'time'],
    ['a non-RFC 3339 time', (e) => (e['time'] = 'Tue, 1 Jan 2026'), 'time'],
    ['another specversion', (e) => (e['specversion'] = '0.3'), 'specversion'],
    ['a missing prxseq', (e) => delete e['prxseq'], 'prxseq'],
    ['a zero prxseq', (e) => (e['prxseq'] = 0), 'prxseq'],
    ['a string prxseq', (e) => (e['prxseq'] = '3'), 'prxseq'],
    ['a uuid id', (e) => (e['id'] = '6e8bc430-9c3a-11d9-9669-0800200c9a66'), 'id'],
    ['a subject that is not the session', (e) => (e['subject'] = otherSession), 'subject'],
    [
      'a source of another session',
      (e) => (e['source'] = `/prx-voice/node-1/sessions/${otherSession}`),
      'source',
    ],
    ['a source of another form', (e) => (e['source'] = 'https://example.com/x'), 'source'],
    ['an unknown severity', (e) => (e['prxseverity'] = 'fatal'), 'prxseverity'],
    ['a bad traceparent', (e) => (e['traceparent'] = 'ff-x'), 'traceparent'],
    ['another content type', (e) => (e['datacontenttype'] = 'text/plain'), 'datacontenttype'],
    ['a missing tenant', (e) => delete e['prxtenantid'], 'prxtenantid'],
    ['invalid data', (e) => (e['data'] = { turn_id: turnId }), 'data.user_text'],
    ['an unknown type', (e) => (e['type'] = 'prx.voice.turn.started'), 'type'],
  ])('rejects %s, naming it', (_name, mutate, path) => {
    const incoming = json();
    mutate(incoming);
    const err = failure(() => parseEvent(incoming));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.message).toContain(`${path}:`);
    expect(err.details['issues']).toEqual(
      expect.arrayContaining([expect.objectContaining({ path })]),
    );
  });

  it('rejects an invalid extension name through the cloudevents package', () => {
    const err = failure(() => parseEvent({ ...json(), 'Bad-Name': 1 }));
    expect(err.message).toContain('cloudevents');
  });

  it('rejects text that is not JSON and JSON that is not an object', () => {
    expect(failure(() => parseEvent('{nope')).message).toContain('not valid JSON');
    expect(failure(() => parseEvent('[1]')).message).toContain('expected a JSON object, got array');
    expect(failure(() => parseEvent(null)).code).toBe('VALIDATION_FAILED');
  });
});

describe('parseEnvelope', () => {
  it('accepts an unknown type, leaving its data unchecked', () => {
    const parsed = parseEnvelope({ ...json(), type: 'prx.voice.turn.started', data: [1, 2] });
    expect(parsed.type).toBe('prx.voice.turn.started');
    expect(parsed.data).toEqual([1, 2]);
  });

  it('still checks the data of known types and the envelope', () => {
    expect(() => parseEnvelope({ ...json(), data: {} })).toThrow(/data\./);
    expect(() => parseEnvelope({ ...json(), prxseq: -1 })).toThrow(/prxseq/);
  });
});
