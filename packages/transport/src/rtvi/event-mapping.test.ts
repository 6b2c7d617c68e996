import { describe, expect, it } from 'vitest';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { createRtviEventMapper } from './event-mapping.js';

const ev = (type: string, data: Record<string, unknown> = {}): AnyVoiceEvent =>
  ({ type, time: '2026-01-01T00:00:00.000Z', data }) as unknown as AnyVoiceEvent;

function run(events: AnyVoiceEvent[]): [string, unknown][] {
  const mapper = createRtviEventMapper();
  return events.flatMap((e) => mapper.map(e).map((m) => [m.type, m.data] as [string, unknown]));
}

describe('RTVI event mapping', () => {
  it('maps a spoken turn: speech, transcripts, LLM, TTS and speaking state', () => {
    const types = run([
      ev('prx.voice.media.vad_started', { at_ms: 0 }),
      ev('prx.voice.asr.transcript_partial', { text: 'hel', start_ms: 0, end_ms: 100 }),
      ev('prx.voice.media.vad_ended', { at_ms: 600, speech_ms: 600 }),
      ev('prx.voice.asr.transcript_final', { text: 'hello', start_ms: 0, end_ms: 600 }),
      ev('prx.voice.agent.thinking_started', { provider: 'mock', round: 0 }),
      ev('prx.voice.agent.token_stream', { text: 'You ' }),
      ev('prx.voice.tts.segment_queued', { segment_id: 'seg_a', text: 'You said: hello.' }),
      ev('prx.voice.agent.token_stream', { text: 'said' }),
      ev('prx.voice.playback.started', { segment_id: 'seg_a' }),
      ev('prx.voice.agent.response_complete', { text: 'x', finish_reason: 'stop', tool_rounds: 0 }),
      ev('prx.voice.playback.completed', { segment_id: 'seg_a', played_ms: 800 }),
      ev('prx.voice.turn.completed', {}),
    ]);
    expect(types).toEqual([
      ['user-started-speaking', {}],
      [
        'user-transcription',
        { text: 'hel', user_id: '', timestamp: '2026-01-01T00:00:00.000Z', final: false },
      ],
      ['user-stopped-speaking', {}],
      [
        'user-transcription',
        { text: 'hello', user_id: '', timestamp: '2026-01-01T00:00:00.000Z', final: true },
      ],
      ['bot-llm-started', {}],
      ['bot-llm-text', { text: 'You ' }],
      ['bot-tts-started', {}],
      [
        'bot-output',
        {
          text: 'You said: hello.',
          aggregated_by: 'sentence',
          segment_id: 1,
          will_be_spoken: true,
          spoken_status: 'new',
        },
      ],
      ['bot-llm-text', { text: 'said' }],
      ['bot-started-speaking', {}],
      ['bot-tts-text', { text: 'You said: hello.' }],
      ['bot-llm-stopped', {}],
      [
        'bot-output',
        {
          text: 'You said: hello.',
          aggregated_by: 'sentence',
          segment_id: 1,
          will_be_spoken: true,
          spoken_status: 'completed',
          spoken_progress: { accumulated_text: 'You said: hello.', remaining_text: '' },
        },
      ],
      ['bot-tts-stopped', {}],
      ['bot-stopped-speaking', {}],
    ]);
  });

  it('keeps the bot speaking until the last queued segment was played', () => {
    const types = run([
      ev('prx.voice.agent.thinking_started', { provider: 'mock', round: 0 }),
      ev('prx.voice.tts.segment_queued', { segment_id: 'seg_a', text: 'One.' }),
      ev('prx.voice.tts.segment_queued', { segment_id: 'seg_b', text: 'Two.' }),
      ev('prx.voice.agent.response_complete', { text: 'x', finish_reason: 'stop', tool_rounds: 0 }),
      ev('prx.voice.playback.started', { segment_id: 'seg_a' }),
      ev('prx.voice.playback.completed', { segment_id: 'seg_a', played_ms: 10 }),
      ev('prx.voice.playback.started', { segment_id: 'seg_b' }),
      ev('prx.voice.playback.completed', { segment_id: 'seg_b', played_ms: 10 }),
    ]).map(([t]) => t);
    expect(types.filter((t) => t.startsWith('bot-') && t.includes('speaking'))).toEqual([
      'bot-started-speaking',
      'bot-stopped-speaking',
    ]);
    expect(types.at(-1)).toBe('bot-stopped-speaking');
  });

  it('maps a tool call to the function-call messages', () => {
    const out = run([
      ev('prx.voice.agent.thinking_started', { provider: 'mock', round: 0 }),
      ev('prx.voice.agent.tool_call', { call_id: 'call_1', name: 'lookup', arguments: { q: 'x' } }),
      ev('prx.voice.agent.tool_result', {
        call_id: 'call_1',
        name: 'lookup',
        ok: true,
        result: { n: 1 },
        duration_ms: 3,
      }),
      ev('prx.voice.agent.thinking_started', { provider: 'mock', round: 1 }),
      ev('prx.voice.agent.tool_call', { call_id: 'call_2', name: 'broken', arguments: {} }),
      ev('prx.voice.agent.tool_result', {
        call_id: 'call_2',
        name: 'broken',
        ok: false,
        error: { code: 'TOOL_FAILED', message: 'no' },
        duration_ms: 1,
      }),
    ]);
    expect(out).toEqual([
      ['bot-llm-started', {}],
      ['bot-llm-stopped', {}],
      ['llm-function-call-started', { function_name: 'lookup' }],
      [
        'llm-function-call-in-progress',
        { function_name: 'lookup', tool_call_id: 'call_1', arguments: { q: 'x' } },
      ],
      [
        'llm-function-call-stopped',
        { function_name: 'lookup', tool_call_id: 'call_1', cancelled: false, result: { n: 1 } },
      ],
      ['bot-llm-started', {}],
      ['bot-llm-stopped', {}],
      ['llm-function-call-started', { function_name: 'broken' }],
      [
        'llm-function-call-in-progress',
        { function_name: 'broken', tool_call_id: 'call_2', arguments: {} },
      ],
      [
        'llm-function-call-stopped',
        {
          function_name: 'broken',
          tool_call_id: 'call_2',
          cancelled: false,
          result: { error: { code: 'TOOL_FAILED', message: 'no' } },
        },
      ],
    ]);
  });

  it('stops the bot at once on barge-in, and starts again on the next answer', () => {
    const types = run([
      ev('prx.voice.agent.thinking_started', { provider: 'mock', round: 0 }),
      ev('prx.voice.tts.segment_queued', { segment_id: 'seg_a', text: 'A long answer.' }),
      ev('prx.voice.playback.started', { segment_id: 'seg_a' }),
      ev('prx.voice.media.vad_started', { at_ms: 0 }),
      ev('prx.voice.interrupt.issued', { reason: 'barge_in' }),
      ev('prx.voice.playback.flushed', { segment_id: 'seg_a', played_ms: 200, discarded_ms: 900 }),
      ev('prx.voice.agent.thinking_started', { provider: 'mock', round: 0 }),
      ev('prx.voice.tts.segment_queued', { segment_id: 'seg_b', text: 'Next.' }),
      ev('prx.voice.playback.started', { segment_id: 'seg_b' }),
    ]).map(([t]) => t);
    expect(types).toEqual([
      'bot-llm-started',
      'bot-tts-started',
      'bot-output',
      'bot-started-speaking',
      'bot-tts-text',
      'user-started-speaking',
      'bot-interrupted',
      'bot-llm-stopped',
      'bot-tts-stopped',
      'bot-stopped-speaking',
      'bot-llm-started',
      'bot-tts-started',
      'bot-output',
      'bot-started-speaking',
      'bot-tts-text',
    ]);
  });

  it('reports errors, fatal only when the session failed', () => {
    expect(
      run([
        ev('prx.voice.tts.error', {
          provider: 'mock',
          code: 'PROVIDER_ERROR',
          message: 'down',
          retryable: false,
        }),
        ev('prx.voice.session.error', { code: 'INVALID_FRAME', message: 'bad', retryable: false }),
        ev('prx.voice.session.failed', {
          code: 'INTERNAL',
          message: 'gone',
          from: 'listening',
          duration_ms: 1,
        }),
        ev('prx.voice.session.pong', {}),
      ]),
    ).toEqual([
      ['error', { error: 'mock: down', fatal: false }],
      ['error', { error: 'bad', fatal: false }],
      ['error', { error: 'gone', fatal: true }],
    ]);
  });
});
