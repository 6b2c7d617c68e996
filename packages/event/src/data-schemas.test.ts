import { describe, expect, expectTypeOf, it } from 'vitest';
import type { SegmentId, SessionState, TurnId } from '@prx-voice/types';
import { EVENT_DATA_SCHEMAS } from './data-schemas.js';
import type { EventDataMap } from './data-schemas.js';
import { EVENT_TYPES } from './event-types.js';
import type { EventType } from './event-types.js';
import { SAMPLE_EVENT_DATA } from './testing/sample-data.js';

function issuesOf(type: EventType, data: unknown): string[] {
  const result = EVENT_DATA_SCHEMAS[type].safeParse(data);
  return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
}

describe('EVENT_DATA_SCHEMAS', () => {
  it.each(EVENT_TYPES)('accepts the sample payload of %s', (type) => {
    expect(issuesOf(type, SAMPLE_EVENT_DATA[type])).toEqual([]);
  });

  it.each(EVENT_TYPES)('rejects a non-object payload of %s', (type) => {
    expect(EVENT_DATA_SCHEMAS[type].safeParse('text').success).toBe(false);
  });

  it.each<[EventType, unknown, string[]]>([
    [
      'prx.voice.session.state_changed',
      { from: 'Listening', to: 'Sleeping', trigger: 'x' },
      ['to'],
    ],
    [
      'prx.voice.session.state_changed',
      { from: 'Listening', to: 'Closed', trigger: '' },
      ['trigger'],
    ],
    ['prx.voice.session.error', { code: 'NOPE', message: 'm', retryable: false }, ['code']],
    ['prx.voice.asr.transcript_final', { text: 'hi', start_ms: 500, end_ms: 100 }, ['end_ms']],
    ['prx.voice.asr.transcript_partial', { text: 'hi', start_ms: -1, end_ms: 1 }, ['start_ms']],
    [
      'prx.voice.asr.transcript_final',
      { text: 'hi', start_ms: 0, end_ms: 1, confidence: 2 },
      ['confidence'],
    ],
    ['prx.voice.agent.token_stream', { text: 5 }, ['text']],
    ['prx.voice.agent.tool_call', { call_id: 'c', name: 'f', arguments: [1] }, ['arguments']],
    [
      'prx.voice.agent.tool_result',
      { call_id: 'c', name: 'f', ok: false, duration_ms: 1 },
      ['error'],
    ],
    [
      'prx.voice.tts.chunk_ready',
      { segment_id: 'turn_x', bytes: 1, duration_ms: 1 },
      ['segment_id'],
    ],
    [
      'prx.voice.tts.chunk_ready',
      {
        segment_id: SAMPLE_EVENT_DATA['prx.voice.tts.chunk_ready'].segment_id,
        bytes: 1.5,
        duration_ms: 1,
      },
      ['bytes'],
    ],
    [
      'prx.voice.turn.completed',
      { ...SAMPLE_EVENT_DATA['prx.voice.turn.completed'], latency: { asr_ms: 1 } },
      [
        'latency.agent_first_token_ms',
        'latency.tts_first_audio_ms',
        'latency.first_audio_sent_ms',
        'latency.voice_to_voice_ms',
      ],
    ],
    ['prx.voice.adapter.fallback', { kind: 'stt', from: 'a', to: 'b', reason: 'r' }, ['kind']],
    [
      'prx.voice.governance.usage_recorded',
      { meter: 'Tokens', quantity: 1, unit: 'x', idempotency_key: 'k' },
      ['meter'],
    ],
    [
      'prx.voice.governance.quota_consumed',
      { ...SAMPLE_EVENT_DATA['prx.voice.governance.quota_consumed'], used: Number.NaN },
      ['used'],
    ],
  ])('rejects invalid %s data, naming the field', (type, data, paths) => {
    expect(issuesOf(type, data)).toEqual(paths);
  });

  it('accepts nullable latency parts and failed tool results', () => {
    const turn = SAMPLE_EVENT_DATA['prx.voice.turn.completed'];
    expect(
      issuesOf('prx.voice.turn.completed', {
        ...turn,
        interrupted: true,
        latency: {
          asr_ms: null,
          agent_first_token_ms: null,
          tts_first_audio_ms: null,
          first_audio_sent_ms: null,
          voice_to_voice_ms: null,
        },
      }),
    ).toEqual([]);
    expect(
      issuesOf('prx.voice.agent.tool_result', {
        call_id: 'c',
        name: 'f',
        ok: false,
        error: { code: 'TOOL_TIMEOUT', message: 'no answer in 5 s' },
        duration_ms: 5000,
      }),
    ).toEqual([]);
  });

  it('types payloads per event type', () => {
    expectTypeOf<
      EventDataMap['prx.voice.session.state_changed']['to']
    >().toEqualTypeOf<SessionState>();
    expectTypeOf<
      EventDataMap['prx.voice.tts.chunk_ready']['segment_id']
    >().toEqualTypeOf<SegmentId>();
    expectTypeOf<EventDataMap['prx.voice.turn.completed']['turn_id']>().toEqualTypeOf<TurnId>();
    expectTypeOf<
      EventDataMap['prx.voice.turn.completed']['latency']['voice_to_voice_ms']
    >().toEqualTypeOf<number | null>();
    expectTypeOf<EventDataMap['prx.voice.asr.transcript_final']>().toEqualTypeOf<{
      text: string;
      start_ms: number;
      end_ms: number;
      confidence?: number | undefined;
    }>();
  });
});
