import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { CLOSE_CODES } from '../socket.js';
import { createFakeSocket } from '../testing/fake-socket.js';
import { decodePipecatFrame, encodeAudioFrame, encodeMessageFrame } from './frames.js';
import { createRtviSocket } from './rtvi-socket.js';
import type { RtviSocketHandlers } from './rtvi-socket.js';

type Call =
  | { kind: 'audio'; samples: number }
  | { kind: 'ready'; version: string }
  | { kind: 'text'; text: string; runImmediately: boolean }
  | { kind: 'dtmf'; digits: string }
  | { kind: 'disconnect' }
  | { kind: 'interrupt' }
  | { kind: 'error'; code: string };

function setup(
  onClientMessage: RtviSocketHandlers['onClientMessage'] = (t, d) => Promise.resolve({ t, d }),
) {
  const socket = createFakeSocket();
  const calls: Call[] = [];
  const rtvi = createRtviSocket({
    socket,
    clock: new SimulatedClock(),
    engine: { inputRate: 16000, outputRate: 24000 },
    outputRate: 24000,
    limits: { maxErrors: 3 },
    handlers: {
      onAudio: (samples) => calls.push({ kind: 'audio', samples: samples.length }),
      onClientReady: (version) => calls.push({ kind: 'ready', version }),
      onText: (text, o) => calls.push({ kind: 'text', text, runImmediately: o.runImmediately }),
      onClientMessage,
      onDtmf: (digits) => calls.push({ kind: 'dtmf', digits }),
      onDisconnectBot: () => calls.push({ kind: 'disconnect' }),
      onInterrupt: () => calls.push({ kind: 'interrupt' }),
      onProtocolError: (e) => calls.push({ kind: 'error', code: e.code }),
    },
  });
  const sendJson = (msg: unknown): void =>
    rtvi.receive(encodeMessageFrame(JSON.stringify(msg)), true);
  const rtviOut = (): { type: string; id?: string; data: Record<string, unknown> }[] =>
    socket.binaries().flatMap((b) => {
      const f = decodePipecatFrame(b);
      return f.kind === 'message'
        ? [JSON.parse(f.data) as { type: string; id?: string; data: Record<string, unknown> }]
        : [];
    });
  return { socket, rtvi, calls, sendJson, rtviOut };
}

const msg = (type: string, data: unknown, id = 'id000001') => ({
  label: 'rtvi-ai',
  type,
  id,
  data,
});

describe('RTVI socket', () => {
  it('answers client-ready with bot-ready carrying the request id', () => {
    const t = setup();
    t.sendJson(msg('client-ready', { version: '2.1.0', about: { library: 'x' } }, 'abcd1234'));
    expect(t.rtviOut()).toEqual([
      {
        label: 'rtvi-ai',
        type: 'bot-ready',
        id: 'abcd1234',
        data: { version: '2.1.0', about: { library: 'prx-voice' } },
      },
    ]);
    expect(t.calls).toEqual([{ kind: 'ready', version: '2.1.0' }]);
    expect(t.rtvi.ready).toBe(true);
  });

  it('tells a client of another major version, and still gets ready', () => {
    const t = setup();
    t.sendJson(msg('client-ready', { version: '1.4.0' }, 'r1'));
    expect(t.rtviOut().map((m) => [m.type, m.id])).toEqual([
      ['error-response', 'r1'],
      ['bot-ready', 'r1'],
    ]);
  });

  it('converts audio frames at their own rate and channel count to the engine rate', () => {
    const t = setup();
    t.rtvi.receive(encodeAudioFrame(new Int16Array(512), 16000, 1), true);
    // 48 kHz stereo, 960 frames (20 ms) → about 320 samples at 16 kHz once the resampler fills
    for (let i = 0; i < 5; i++)
      t.rtvi.receive(encodeAudioFrame(new Int16Array(1920), 48000, 2), true);
    const audio = t.calls.flatMap((c) => (c.kind === 'audio' ? [c.samples] : []));
    expect(audio[0]).toBe(512);
    const resampled = audio.slice(1).reduce((n, c) => n + c, 0);
    expect(resampled).toBeGreaterThan(1400);
    expect(resampled).toBeLessThanOrEqual(1600);
  });

  it('sends engine audio as AudioRawFrames at the client player rate, mono', () => {
    const t = setup();
    t.rtvi.sendAudio(new Int16Array(480).fill(1000));
    const frame = decodePipecatFrame(t.socket.binaries()[0] as Uint8Array);
    expect(frame).toMatchObject({ kind: 'audio', sampleRate: 24000, numChannels: 1 });
    if (frame.kind === 'audio') expect(frame.audio.byteLength).toBe(960);
    t.rtvi.sendAudio(new Int16Array(0));
    expect(t.socket.binaries()).toHaveLength(1);
  });

  it('maps send-text, dtmf, disconnect-bot, raw-audio, text frames and interruptions', () => {
    const t = setup();
    t.sendJson(msg('send-text', { content: 'hello', options: { run_immediately: false } }));
    t.sendJson(msg('send-text', { content: 'again' }));
    t.sendJson(msg('dtmf', { buttons: ['1', '2', '#'] }));
    t.sendJson(msg('dtmf', { button: '5' }));
    t.sendJson(
      msg('raw-audio', {
        base64Audio: Buffer.from(new Int16Array(320).buffer).toString('base64'),
        sampleRate: 16000,
        numChannels: 1,
      }),
    );
    t.rtvi.receive(new Uint8Array(Buffer.from('0a041a026869', 'hex')), true); // TextFrame "hi"
    t.rtvi.receive(new Uint8Array(Buffer.from('2a00', 'hex')), true); // InterruptionFrame
    t.sendJson(msg('disconnect-bot', {}));
    expect(t.calls.filter((c) => c.kind !== 'error')).toEqual([
      { kind: 'text', text: 'hello', runImmediately: false },
      { kind: 'text', text: 'again', runImmediately: true },
      { kind: 'dtmf', digits: '12#' },
      { kind: 'dtmf', digits: '5' },
      { kind: 'audio', samples: 320 },
      { kind: 'text', text: 'hi', runImmediately: true },
      { kind: 'interrupt' },
      { kind: 'disconnect' },
    ]);
  });

  it('answers client-message with server-response, or error-response when the handler fails', async () => {
    const t = setup((type, d) => {
      if (type === 'boom')
        return Promise.reject(new VoiceError('VALIDATION_FAILED', { message: 'no boom here' }));
      return Promise.resolve({ echoed: d });
    });
    t.sendJson(msg('client-message', { t: 'echo', d: { a: 1 } }, 'q1'));
    t.sendJson(msg('client-message', { t: 'boom' }, 'q2'));
    await Promise.resolve();
    await Promise.resolve();
    expect(t.rtviOut()).toEqual([
      {
        label: 'rtvi-ai',
        type: 'server-response',
        id: 'q1',
        data: { t: 'echo', d: { echoed: { a: 1 } } },
      },
      { label: 'rtvi-ai', type: 'error-response', id: 'q2', data: { error: 'no boom here' } },
    ]);
  });

  it('answers bad input with error / error-response and keeps the connection', () => {
    const t = setup();
    t.rtvi.receive(new Uint8Array(Buffer.from('{"label":"rtvi-ai"}')), false); // a text frame
    t.rtvi.receive(new Uint8Array([0x12, 0xff, 0x01]), true); // truncated protobuf
    expect(t.socket.closed).toBeUndefined();
    const out = t.rtviOut();
    expect(out.map((m) => m.type)).toEqual(['error', 'error']);
    expect(out[0]?.data).toMatchObject({
      fatal: false,
      error: expect.stringContaining('binary protobuf'),
    });
    expect(out[1]?.data.error).toMatch(/Malformed pipecat frame/);
    expect(t.calls).toEqual([
      { kind: 'error', code: 'INVALID_FRAME' },
      { kind: 'error', code: 'INVALID_FRAME' },
    ]);
  });

  it('reports unknown, unsupported and invalid messages to the request id', () => {
    const t = setup();
    t.sendJson(msg('what-is-this', {}, 'u1'));
    t.sendJson(msg('append-to-context', { role: 'user', content: 'x' }, 'u2'));
    t.sendJson(msg('send-text', { content: '' }, 'u3'));
    expect(t.rtviOut().map((m) => [m.type, m.id, m.data.error])).toEqual([
      ['error-response', 'u1', 'Unknown RTVI message type "what-is-this".'],
      ['error-response', 'u2', 'Unsupported type "append-to-context".'],
      ['error-response', 'u3', expect.stringContaining('data.content')],
    ]);
    expect(t.socket.closed).toBeUndefined();
  });

  it('reports a client function result as unused (tools run on the server)', () => {
    const t = setup();
    t.sendJson(
      msg('llm-function-call-result', {
        function_name: 'f',
        tool_call_id: 'c1',
        arguments: {},
        result: 'x',
      }),
    );
    expect(t.rtviOut()[0]).toMatchObject({ type: 'error-response', id: 'id000001' });
  });

  it('refuses audio it cannot use with an error, keeping the stream', () => {
    const t = setup();
    t.rtvi.receive(encodeAudioFrame(new Int16Array(10), 11025, 1), true);
    const odd = encodeAudioFrame(new Int16Array(3), 16000, 2); // 6 bytes: not whole stereo frames
    t.rtvi.receive(odd, true);
    t.rtvi.receive(encodeAudioFrame(new Int16Array(160), 16000, 1), true);
    expect(t.calls).toEqual([
      { kind: 'error', code: 'UNSUPPORTED_AUDIO_FORMAT' },
      { kind: 'error', code: 'INVALID_AUDIO' },
      { kind: 'audio', samples: 160 },
    ]);
  });

  it('drops a message with a wrong label with an error, and closes after repeated errors', () => {
    const t = setup();
    t.sendJson({ label: 'other', type: 'client-ready', data: {} });
    expect(t.rtviOut()[0]?.data.error).toMatch(/label/);
    for (let i = 0; i < 3; i++) t.rtvi.receive(new Uint8Array([0]), true);
    expect(t.socket.closed).toEqual({
      code: CLOSE_CODES.policy,
      reason: 'too many protocol errors',
    });
    const sent = t.socket.sent.length;
    t.sendJson(msg('client-ready', { version: '2.1.0' }));
    expect(t.socket.sent.length).toBe(sent);
  });

  it('sends what session events map to', () => {
    const t = setup();
    t.rtvi.sendEvent({
      type: 'prx.voice.asr.transcript_final',
      time: '2026-01-01T00:00:00.000Z',
      data: { text: 'hello', start_ms: 0, end_ms: 500 },
    } as AnyVoiceEvent);
    expect(t.rtviOut()).toEqual([
      {
        label: 'rtvi-ai',
        type: 'user-transcription',
        data: { text: 'hello', user_id: '', timestamp: '2026-01-01T00:00:00.000Z', final: true },
      },
    ]);
  });
});

describe('createRtviSocket with JSON framing (the SmallWebRTC data channel)', () => {
  it('takes RTVI JSON text and answers in JSON text, errors included', () => {
    const socket = createFakeSocket();
    const calls: string[] = [];
    const rtvi = createRtviSocket({
      socket,
      clock: new SimulatedClock(),
      engine: { inputRate: 16000, outputRate: 24000 },
      outputRate: 24000,
      framing: 'json',
      limits: { maxFrameBytes: 200 },
      handlers: {
        onAudio: () => calls.push('audio'),
        onText: (text) => calls.push(`text:${text}`),
        onClientMessage: () => Promise.resolve({}),
        onDtmf: () => calls.push('dtmf'),
        onDisconnectBot: () => calls.push('disconnect'),
        onInterrupt: () => calls.push('interrupt'),
      },
    });
    const send = (m: unknown): void =>
      rtvi.receive(new TextEncoder().encode(typeof m === 'string' ? m : JSON.stringify(m)), false);
    send(msg('client-ready', { version: '2.1.0' }, 'r1'));
    send(msg('send-text', { content: 'hello' }, 't1'));
    send('not json');
    send(`{"label":"rtvi-ai","type":"send-text","data":{"content":"${'x'.repeat(300)}"}}`);
    const out = socket
      .texts()
      .map((t) => JSON.parse(t) as { type: string; id?: string; data: Record<string, unknown> });
    expect(out.map((m) => m.type)).toEqual(['bot-ready', 'error', 'error']);
    expect(out[0]).toMatchObject({ id: 'r1', data: { version: '2.1.0' } });
    expect(String(out[2]?.data['error'])).toContain('over the limit');
    expect(socket.binaries()).toEqual([]);
    expect(calls).toEqual(['text:hello']);
  });
});
