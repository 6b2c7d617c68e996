import { describe, expect, it } from 'vitest';
import {
  CLIENT_FRAME_TYPES,
  MAX_DTMF_FRAME_DIGITS,
  MAX_OUTPUT_FRAME_MS,
  MIN_OUTPUT_FRAME_MS,
  MAX_INPUT_TEXT_LENGTH,
  parseClientFrame,
} from './client-frames.js';
import type { ClientFrameResult } from './client-frames.js';

function frame(value: unknown): ClientFrameResult {
  return parseClientFrame(JSON.stringify(value));
}

function errorOf(result: ClientFrameResult): {
  code: string;
  message: string;
  details: Record<string, unknown>;
} {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.frame)}`);
  return {
    code: result.error.code,
    message: result.error.message,
    details: { ...result.error.details },
  };
}

describe('parseClientFrame — valid frames', () => {
  it('parses every frame type into camelCase', () => {
    expect(frame({ type: 'input.text', text: 'hello' })).toEqual({
      ok: true,
      frame: { type: 'input.text', text: 'hello' },
    });
    expect(frame({ type: 'interrupt' })).toEqual({ ok: true, frame: { type: 'interrupt' } });
    expect(frame({ type: 'dtmf', digits: '0123456789*#ABCDabcd' })).toEqual({
      ok: true,
      frame: { type: 'dtmf', digits: '0123456789*#ABCDABCD' },
    });
    expect(frame({ type: 'end' })).toEqual({ ok: true, frame: { type: 'end' } });
    expect(frame({ type: 'ping' })).toEqual({ ok: true, frame: { type: 'ping' } });
    expect(frame({ type: 'ping', id: 'p1' })).toEqual({
      ok: true,
      frame: { type: 'ping', id: 'p1' },
    });
    expect(frame({ type: 'playback.position', segment_id: 'seg_1', played_ms: 420.5 })).toEqual({
      ok: true,
      frame: { type: 'playback.position', segmentId: 'seg_1', playedMs: 420.5 },
    });
    expect(
      frame({
        type: 'session.update',
        input: { encoding: 'mulaw', sample_rate: 8000 },
        output: { encoding: 'pcm16', sample_rate: 48000, channels: 1 },
        output_frame_ms: 40,
        language: 'de-DE',
        providers: { asr: { transcript: 'hallo' } },
      }),
    ).toEqual({
      ok: true,
      frame: {
        type: 'session.update',
        input: { encoding: 'mulaw', sampleRate: 8000 },
        output: { encoding: 'pcm16', sampleRate: 48000 },
        outputFrameMs: 40,
        language: 'de-DE',
        providers: { asr: { transcript: 'hallo' } },
      },
    });
    expect(frame({ type: 'session.update' })).toEqual({
      ok: true,
      frame: { type: 'session.update' },
    });
  });

  it('accepts input.text of exactly the maximum length', () => {
    expect(frame({ type: 'input.text', text: 'a'.repeat(MAX_INPUT_TEXT_LENGTH) }).ok).toBe(true);
  });
});

describe('parseClientFrame — errors', () => {
  it('not JSON → INVALID_FRAME "not JSON"', () => {
    const error = errorOf(parseClientFrame('{"type": "ping"'));
    expect(error.code).toBe('INVALID_FRAME');
    expect(error.message).toContain('not JSON');
  });

  it('not an object, no type, unknown type → INVALID_FRAME naming the known types', () => {
    for (const value of [[1, 2], 'ping', 42, null, {}, { type: 7 }, { type: 'session.delete' }]) {
      const error = errorOf(frame(value));
      expect(error.code).toBe('INVALID_FRAME');
      expect(error.message).toContain(CLIENT_FRAME_TYPES.join(', '));
      expect(error.details['known']).toEqual(CLIENT_FRAME_TYPES);
    }
    expect(errorOf(frame({ type: 'session.delete' })).message).toContain(
      'Unknown frame type "session.delete"',
    );
    expect(errorOf(frame({ text: 'hi' })).message).toContain('no "type"');
  });

  it('schema violations → VALIDATION_FAILED with the path', () => {
    const cases: [unknown, string][] = [
      [{ type: 'input.text' }, 'text'],
      [{ type: 'input.text', text: '' }, 'text'],
      [{ type: 'input.text', text: '   ' }, 'text'],
      [{ type: 'input.text', text: 'a'.repeat(MAX_INPUT_TEXT_LENGTH + 1) }, 'text'],
      [{ type: 'input.text', text: 5 }, 'text'],
      [{ type: 'playback.position', segment_id: 'seg', played_ms: -1 }, 'played_ms'],
      [{ type: 'playback.position', played_ms: 10 }, 'segment_id'],
      [{ type: 'playback.position', segment_id: 'seg', played_ms: '10' }, 'played_ms'],
      [{ type: 'ping', id: 3 }, 'id'],
      [{ type: 'dtmf' }, 'digits'],
      [{ type: 'dtmf', digits: '' }, 'digits'],
      [{ type: 'dtmf', digits: '12E' }, 'digits'],
      [{ type: 'dtmf', digits: '1 2' }, 'digits'],
      [{ type: 'dtmf', digits: 12 }, 'digits'],
      [{ type: 'dtmf', digits: '1'.repeat(MAX_DTMF_FRAME_DIGITS + 1) }, 'digits'],
      [{ type: 'dtmf', digits: '1', extra: true }, '(root)'],
      [{ type: 'interrupt', now: true }, '(root)'],
      [{ type: 'session.update', language: 'english please' }, 'language'],
      [{ type: 'session.update', providers: 'mock' }, 'providers'],
      [{ type: 'session.update', output_frame_ms: MIN_OUTPUT_FRAME_MS - 1 }, 'output_frame_ms'],
      [{ type: 'session.update', output_frame_ms: MAX_OUTPUT_FRAME_MS + 1 }, 'output_frame_ms'],
      [{ type: 'session.update', output_frame_ms: 20.5 }, 'output_frame_ms'],
      [{ type: 'session.update', output_frame_ms: '40' }, 'output_frame_ms'],
      [
        { type: 'session.update', input: { encoding: 'opus', sample_rate: 48000 } },
        'input.encoding',
      ],
      [
        { type: 'session.update', output: { encoding: 'alaw', sample_rate: 16000 } },
        'output.sample_rate',
      ],
      [
        { type: 'session.update', input: { encoding: 'pcm16', sample_rate: 16000, channels: 2 } },
        'input.channels',
      ],
    ];
    for (const [value, field] of cases) {
      const error = errorOf(frame(value));
      expect(error.code, JSON.stringify(value)).toBe('VALIDATION_FAILED');
      expect(error.details['field'], JSON.stringify(value)).toBe(field);
      expect(error.message, JSON.stringify(value)).toContain(`${field}: `);
    }
  });

  it('an invalid format names the allowed values', () => {
    const encoding = errorOf(
      frame({ type: 'session.update', input: { encoding: 'opus', sample_rate: 8000 } }),
    );
    expect(encoding.details['allowed']).toEqual(['pcm16', 'mulaw', 'alaw']);
    expect(encoding.message).toContain('input.encoding: expected one of pcm16, mulaw, alaw');
    const rate = errorOf(
      frame({ type: 'session.update', output: { encoding: 'pcm16', sample_rate: 44100 } }),
    );
    expect(rate.details['allowed']).toEqual([8000, 16000, 24000, 48000]);
    expect(rate.message).toContain(
      'output.sample_rate: pcm16 allows 8000, 16000, 24000, 48000 Hz, not 44100',
    );
  });
});
