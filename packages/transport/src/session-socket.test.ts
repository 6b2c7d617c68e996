import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import {
  createResampler,
  decodeAlaw,
  decodeMulaw,
  encodeAlaw,
  encodeMulaw,
} from '@prx-voice/media';
import type { VoiceError } from '@prx-voice/types';
import type { SessionUpdate } from './client-frames.js';
import { createSessionSocket } from './session-socket.js';
import type { SessionSocketHandlers, SessionSocketOptions } from './session-socket.js';
import { CLOSE_CODES } from './socket.js';
import { createFakeSocket } from './testing/fake-socket.js';

type Call =
  | { kind: 'audio'; samples: number[] }
  | { kind: 'text'; text: string }
  | { kind: 'interrupt' }
  | { kind: 'dtmf'; digits: string }
  | { kind: 'position'; segmentId: string; playedMs: number }
  | { kind: 'end' }
  | { kind: 'ping'; id: string | undefined }
  | { kind: 'update'; update: SessionUpdate }
  | { kind: 'dropped'; samples: number }
  | { kind: 'error'; code: string; message: string; details: Readonly<Record<string, unknown>> };

function setup(overrides: Partial<SessionSocketOptions> = {}) {
  const socket = createFakeSocket();
  const clock = new SimulatedClock();
  const calls: Call[] = [];
  const handlers: SessionSocketHandlers = {
    onAudio: (samples) => calls.push({ kind: 'audio', samples: Array.from(samples) }),
    onText: (text) => calls.push({ kind: 'text', text }),
    onInterrupt: () => calls.push({ kind: 'interrupt' }),
    onDtmf: (digits) => calls.push({ kind: 'dtmf', digits }),
    onPlaybackPosition: (segmentId, playedMs) =>
      calls.push({ kind: 'position', segmentId, playedMs }),
    onEnd: () => calls.push({ kind: 'end' }),
    onPing: (id) => calls.push({ kind: 'ping', id }),
    onUpdate: (update) => calls.push({ kind: 'update', update }),
    onAudioDropped: (samples) => calls.push({ kind: 'dropped', samples }),
    onProtocolError: (error: VoiceError) =>
      calls.push({
        kind: 'error',
        code: error.code,
        message: error.message,
        details: error.details,
      }),
  };
  const conn = createSessionSocket({
    socket,
    clock,
    limits: { maxFrameBytes: 4096, maxErrors: 5 },
    engine: { inputRate: 16000, outputRate: 24000 },
    handlers,
    ...overrides,
  });
  const errors = () =>
    calls.filter((c): c is Extract<Call, { kind: 'error' }> => c.kind === 'error');
  return { socket, clock, calls, conn, errors };
}

function pcmBytes(samples: Int16Array): Uint8Array {
  return new Uint8Array(
    samples.buffer.slice(samples.byteOffset, samples.byteOffset + samples.byteLength),
  );
}

function ramp(length: number, step = 37): Int16Array {
  return Int16Array.from({ length }, (_, i) => ((i * step) % 20000) - 10000);
}

describe('session socket — client frames', () => {
  it('dispatches every text frame type to its handler', () => {
    const { conn, calls, socket } = setup();
    conn.receive('{"type":"input.text","text":"book a table"}', false);
    conn.receive('{"type":"interrupt"}', false);
    conn.receive('{"type":"dtmf","digits":"12#a"}', false);
    conn.receive('{"type":"playback.position","segment_id":"seg_9","played_ms":1200}', false);
    conn.receive('{"type":"ping","id":"42"}', false);
    conn.receive('{"type":"ping"}', false);
    conn.receive(Buffer.from('{"type":"end"}'), false);
    expect(calls).toEqual([
      { kind: 'text', text: 'book a table' },
      { kind: 'interrupt' },
      { kind: 'dtmf', digits: '12#A' },
      { kind: 'position', segmentId: 'seg_9', playedMs: 1200 },
      { kind: 'ping', id: '42' },
      { kind: 'ping', id: undefined },
      { kind: 'end' },
    ]);
    expect(socket.closed).toBeUndefined();
  });

  it('sends events as JSON text frames', () => {
    const { conn, socket } = setup();
    const event = { specversion: '1.0', type: 'prx.voice.session.pong', data: { id: '42' } };
    conn.sendEvent(event);
    expect(socket.texts()).toEqual([JSON.stringify(event)]);
  });

  it('reports malformed JSON, unknown types and schema violations, and stays open', () => {
    const { conn, errors, socket, calls } = setup();
    conn.receive('{nope', false);
    conn.receive('{"type":"dance"}', false);
    conn.receive('{"type":"playback.position","segment_id":"s","played_ms":-5}', false);
    conn.receive(new Uint8Array([0xff, 0xfe]), false);
    expect(errors().map((e) => e.code)).toEqual([
      'INVALID_FRAME',
      'INVALID_FRAME',
      'VALIDATION_FAILED',
      'INVALID_FRAME',
    ]);
    expect(errors()[0]?.message).toContain('not JSON');
    expect(errors()[1]?.message).toContain(
      'session.update, input.text, interrupt, dtmf, playback.position, end, ping',
    );
    expect(errors()[2]?.details['field']).toBe('played_ms');
    expect(errors()[3]?.message).toContain('UTF-8');
    expect(socket.closed).toBeUndefined();
    conn.receive('{"type":"input.text","text":"still here"}', false);
    expect(calls.at(-1)).toEqual({ kind: 'text', text: 'still here' });
  });

  it('drops text frames larger than maxFrameBytes with PAYLOAD_TOO_LARGE', () => {
    const { conn, errors, calls } = setup();
    conn.receive(JSON.stringify({ type: 'input.text', text: 'x'.repeat(4090) }), false);
    conn.receive(JSON.stringify({ type: 'input.text', text: 'é'.repeat(2100) }), false);
    expect(errors().map((e) => e.code)).toEqual(['PAYLOAD_TOO_LARGE', 'PAYLOAD_TOO_LARGE']);
    expect(errors()[1]?.details).toEqual({ bytes: 4231, max_bytes: 4096 });
    expect(calls.filter((c) => c.kind === 'text')).toEqual([]);
  });
});

describe('session socket — audio', () => {
  it('delivers default PCM16 16 kHz input unchanged at an engine rate of 16 kHz', () => {
    const { conn, calls } = setup();
    const frame = ramp(320);
    conn.receive(pcmBytes(frame), true);
    expect(calls).toEqual([{ kind: 'audio', samples: Array.from(frame) }]);
  });

  it('odd-length PCM16 → INVALID_AUDIO, that frame dropped, nothing else lost', () => {
    const { conn, calls, errors } = setup({ engine: { inputRate: 24000, outputRate: 24000 } });
    const reference = createResampler({ from: 16000, to: 24000 });
    const frames = [ramp(320, 11), ramp(320, 13), ramp(320, 17)];
    const expected = frames.map((f) => Array.from(reference.process(f)));
    conn.receive(pcmBytes(frames[0]!), true);
    conn.receive(new Uint8Array(641), true);
    conn.receive(pcmBytes(frames[1]!), true);
    conn.receive(pcmBytes(frames[2]!), true);
    expect(errors().map((e) => e.code)).toEqual(['INVALID_AUDIO']);
    expect(errors()[0]?.details).toEqual({ byteLength: 641 });
    const audio = calls.filter((c) => c.kind === 'audio').map((c) => c.samples);
    expect(audio).toEqual(expected);
    // The dropped frame is counted: 320 samples at 16 kHz are 480 at the engine's 24 kHz.
    expect(calls.filter((c) => c.kind === 'dropped')).toEqual([{ kind: 'dropped', samples: 480 }]);
  });

  it('binary frames larger than maxFrameBytes → PAYLOAD_TOO_LARGE, dropped', () => {
    const { conn, calls, errors } = setup();
    conn.receive(new Uint8Array(4098), true);
    expect(errors().map((e) => e.code)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(calls.some((c) => c.kind === 'audio')).toBe(false);
    expect(calls.filter((c) => c.kind === 'dropped')).toEqual([{ kind: 'dropped', samples: 2049 }]);
    conn.receive(new Uint8Array(4096), true);
    expect(calls.at(-1)?.kind).toBe('audio');
  });

  it('sends engine audio in the default output format (PCM16 24 kHz) as binary frames', () => {
    const { conn, socket } = setup();
    const frame = ramp(480);
    conn.sendAudio(frame);
    expect(socket.binaries()).toEqual([pcmBytes(frame)]);
  });

  it('hands the socket a fresh array per frame, so a socket may keep what it is given', () => {
    const { conn, socket } = setup();
    conn.sendAudio(ramp(480, 3));
    conn.sendAudio(ramp(480, 5));
    const [a, b] = socket.binaries();
    expect(a?.buffer).not.toBe(b?.buffer);
    expect(a).toEqual(pcmBytes(ramp(480, 3)));
  });

  it('sends nothing when the resampler yields no bytes yet', () => {
    const { conn, socket } = setup();
    conn.receive(
      '{"type":"session.update","output":{"encoding":"mulaw","sample_rate":8000}}',
      false,
    );
    conn.sendAudio(ramp(3));
    expect(socket.binaries()).toEqual([]);
  });

  it('resetOutput drops audio the output resampler holds back', () => {
    const { conn, socket } = setup({
      formats: { output: { encoding: 'pcm16', sampleRate: 16000 } },
    });
    conn.sendAudio(ramp(480, 7));
    conn.resetOutput();
    socket.clearSent();
    conn.sendAudio(ramp(480, 9));
    const reference = createResampler({ from: 24000, to: 16000 });
    expect(socket.binaries()).toEqual([pcmBytes(reference.process(ramp(480, 9)))]);
  });

  it('reports bufferedAmount when the socket has it', () => {
    const { conn, socket } = setup();
    expect(conn.bufferedAmount).toBeUndefined();
    socket.bufferedAmount = 9000;
    expect(conn.bufferedAmount).toBe(9000);
  });
});

describe('session socket — session.update negotiation', () => {
  it('negotiates each input format and rebuilds the inbound converter', () => {
    const { conn, calls } = setup();
    const pcm8 = ramp(160);
    const cases = [
      {
        json: { encoding: 'mulaw', sample_rate: 8000 },
        bytes: encodeMulaw(pcm8),
        decoded: decodeMulaw(encodeMulaw(pcm8)),
      },
      {
        json: { encoding: 'alaw', sample_rate: 8000 },
        bytes: encodeAlaw(pcm8),
        decoded: decodeAlaw(encodeAlaw(pcm8)),
      },
      ...[8000, 16000, 24000, 48000].map((rate) => {
        const frame = ramp(rate / 50);
        return {
          json: { encoding: 'pcm16', sample_rate: rate },
          bytes: pcmBytes(frame),
          decoded: frame,
        };
      }),
    ];
    for (const { json, bytes, decoded } of cases) {
      calls.length = 0;
      conn.receive(JSON.stringify({ type: 'session.update', input: json }), false);
      const format = { encoding: json.encoding, sampleRate: json.sample_rate };
      expect(conn.formats.input).toEqual(format);
      expect(calls).toEqual([{ kind: 'update', update: { input: format } }]);
      conn.receive(bytes, true);
      const reference = createResampler({ from: json.sample_rate, to: 16000 });
      const audio = calls.filter((c) => c.kind === 'audio').flatMap((c) => c.samples);
      expect(audio).toEqual(Array.from(reference.process(decoded)));
    }
  });

  it('negotiates each output format and rebuilds the outbound converter', () => {
    const { conn, socket } = setup();
    const engine = ramp(480 * 5, 29);
    for (const [encoding, rate] of [
      ['mulaw', 8000],
      ['alaw', 8000],
      ['pcm16', 8000],
      ['pcm16', 16000],
      ['pcm16', 24000],
      ['pcm16', 48000],
    ] as const) {
      conn.receive(
        JSON.stringify({ type: 'session.update', output: { encoding, sample_rate: rate } }),
        false,
      );
      expect(conn.formats.output).toEqual({ encoding, sampleRate: rate });
      socket.clearSent();
      for (let at = 0; at < engine.length; at += 480) conn.sendAudio(engine.subarray(at, at + 480));
      const resampled = createResampler({ from: 24000, to: rate }).process(engine);
      const expected =
        encoding === 'mulaw'
          ? encodeMulaw(resampled)
          : encoding === 'alaw'
            ? encodeAlaw(resampled)
            : pcmBytes(resampled);
      expect(Buffer.concat(socket.binaries())).toEqual(Buffer.from(expected));
    }
  });

  it('an update repeating the current format keeps the stream state', () => {
    const { conn, calls } = setup({ engine: { inputRate: 24000, outputRate: 24000 } });
    const reference = createResampler({ from: 16000, to: 24000 });
    const frames = [ramp(320, 3), ramp(320, 5)];
    const expected = frames.flatMap((f) => Array.from(reference.process(f)));
    conn.receive(pcmBytes(frames[0]!), true);
    conn.receive(
      '{"type":"session.update","input":{"encoding":"pcm16","sample_rate":16000}}',
      false,
    );
    conn.receive(pcmBytes(frames[1]!), true);
    expect(calls.flatMap((c) => (c.kind === 'audio' ? c.samples : []))).toEqual(expected);
  });

  it('passes language and providers through and keeps formats not mentioned', () => {
    const { conn, calls } = setup();
    conn.receive(
      '{"type":"session.update","language":"fr-FR","providers":{"tts":{"voice":"x"}}}',
      false,
    );
    expect(calls).toEqual([
      { kind: 'update', update: { language: 'fr-FR', providers: { tts: { voice: 'x' } } } },
    ]);
    expect(conn.formats).toEqual({
      input: { encoding: 'pcm16', sampleRate: 16000 },
      output: { encoding: 'pcm16', sampleRate: 24000 },
    });
  });

  it('an invalid update changes nothing and names the field and allowed values', () => {
    const { conn, calls, errors } = setup();
    conn.receive(
      '{"type":"session.update","input":{"encoding":"mulaw","sample_rate":8000},"output":{"encoding":"mulaw","sample_rate":16000}}',
      false,
    );
    expect(calls.filter((c) => c.kind === 'update')).toEqual([]);
    expect(conn.formats.input).toEqual({ encoding: 'pcm16', sampleRate: 16000 });
    const error = errors()[0];
    expect(error?.code).toBe('VALIDATION_FAILED');
    expect(error?.details['field']).toBe('output.sample_rate');
    expect(error?.details['allowed']).toEqual([8000]);
  });
});

describe('session socket — repeated errors and close', () => {
  it('closes with 1008 after more than maxErrors errors within a minute', () => {
    const { conn, socket, clock, errors } = setup();
    for (let i = 0; i < 5; i++) {
      conn.receive('garbage', false);
      clock.advance(1000);
    }
    expect(socket.closed).toBeUndefined();
    expect(conn.recentErrors).toBe(5);
    conn.receive(new Uint8Array(3), true);
    expect(errors()).toHaveLength(6);
    expect(socket.closed).toEqual({ code: CLOSE_CODES.policy, reason: 'repeated protocol errors' });
    expect(conn.closed).toBe(true);
    conn.receive('{"type":"end"}', false);
    conn.sendEvent({ type: 'x' });
    conn.sendAudio(ramp(480));
    expect(socket.sentAfterClose).toBe(0);
    expect(errors()).toHaveLength(6);
  });

  it('errors spread over more than the window do not close', () => {
    const { conn, socket, clock, calls } = setup();
    for (let i = 0; i < 30; i++) {
      conn.receive('{"type":"?"}', false);
      clock.advance(15_000);
    }
    expect(socket.closed).toBeUndefined();
    conn.receive('{"type":"ping","id":"ok"}', false);
    expect(calls.at(-1)).toEqual({ kind: 'ping', id: 'ok' });
  });

  it('close is idempotent and shortens long reasons to fit a close frame', () => {
    const { conn, socket } = setup();
    conn.close(CLOSE_CODES.alreadyAttached, 'x'.repeat(300));
    conn.close(CLOSE_CODES.normal, 'again');
    expect(socket.closed?.code).toBe(4409);
    expect(socket.closed?.reason).toHaveLength(123);
  });

  it('refuses invalid limits', () => {
    expect(() => setup({ limits: { maxFrameBytes: 0 } })).toThrow(/maxFrameBytes/);
    expect(() => setup({ limits: { maxErrors: 1.5 } })).toThrow(/maxErrors/);
  });
});
