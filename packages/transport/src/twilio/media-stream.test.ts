import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createResampler, decodeMulaw, encodeMulaw } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import { CLOSE_CODES } from '../socket.js';
import { createFakeSocket } from '../testing/fake-socket.js';
import {
  createTwilioClientScript,
  decodeTwilioOutboundAudio,
  parseTwilioOutbound,
} from '../testing/twilio-client.js';
import { createTwilioMediaStream } from './media-stream.js';
import type { TwilioMarkInfo, TwilioMediaStreamOptions, TwilioStartInfo } from './media-stream.js';

type Call =
  | { kind: 'start'; info: TwilioStartInfo }
  | { kind: 'audio'; samples: number[] }
  | { kind: 'dtmf'; digit: string }
  | { kind: 'mark'; name: string; info: TwilioMarkInfo }
  | { kind: 'stop' }
  | { kind: 'error'; code: string; message: string };

function setup(
  engine: { inputRate: SampleRate; outputRate: SampleRate } = {
    inputRate: 16000,
    outputRate: 24000,
  },
  extra: Partial<TwilioMediaStreamOptions> = {},
) {
  const socket = createFakeSocket();
  const clock = new SimulatedClock();
  const calls: Call[] = [];
  const stream = createTwilioMediaStream({
    socket,
    clock,
    engine,
    handlers: {
      onStart: (info) => calls.push({ kind: 'start', info }),
      onAudio: (samples) => calls.push({ kind: 'audio', samples: Array.from(samples) }),
      onDtmf: (digit) => calls.push({ kind: 'dtmf', digit }),
      onMarkPlayed: (name, info) => calls.push({ kind: 'mark', name, info }),
      onStop: () => calls.push({ kind: 'stop' }),
      onProtocolError: (error) =>
        calls.push({ kind: 'error', code: error.code, message: error.message }),
    },
    ...extra,
  });
  const twilio = createTwilioClientScript({
    customParameters: { session_id: 'ses_01', token: 'tok' },
  });
  const errors = () =>
    calls.filter((c): c is Extract<Call, { kind: 'error' }> => c.kind === 'error');
  const audio = () => calls.flatMap((c) => (c.kind === 'audio' ? c.samples : []));
  return { socket, clock, calls, stream, twilio, errors, audio };
}

function tone(rate: number, samples: number, hz = 440, amplitude = 8000): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate)),
  );
}

function started(engine?: { inputRate: SampleRate; outputRate: SampleRate }) {
  const ctx = setup(engine);
  ctx.stream.receive(ctx.twilio.connected());
  ctx.stream.receive(ctx.twilio.start());
  return ctx;
}

describe('Twilio media stream — messages from Twilio', () => {
  it('starts on `start` with the stream metadata and custom parameters', () => {
    const { stream, twilio, calls } = started();
    expect(calls).toEqual([
      {
        kind: 'start',
        info: {
          streamSid: twilio.streamSid,
          callSid: twilio.callSid,
          accountSid: twilio.accountSid,
          customParameters: { session_id: 'ses_01', token: 'tok' },
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      },
    ]);
    expect(stream.state).toBe('started');
    expect(stream.streamSid).toBe(twilio.streamSid);
  });

  it('accepts the messages exactly as Twilio’s documentation shows them', () => {
    const { stream, calls, errors } = setup({ inputRate: 8000, outputRate: 8000 });
    const sid = 'MZ18ad3ab5a668481ce02b83e7395059f0';
    const payload = Buffer.from(encodeMulaw(tone(8000, 160))).toString('base64');
    const messages = [
      { event: 'connected', protocol: 'Call', version: '1.0.0' },
      {
        event: 'start',
        sequenceNumber: '1',
        start: {
          accountSid: 'AC123',
          streamSid: sid,
          callSid: 'CA123',
          tracks: ['inbound', 'outbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          customParameters: { FirstName: 'Jane', LastName: 'Doe', RemoteParty: 'Bob' },
        },
        streamSid: sid,
      },
      {
        event: 'media',
        sequenceNumber: '3',
        media: { track: 'outbound', chunk: '1', timestamp: '5', payload },
        streamSid: sid,
      },
      {
        event: 'media',
        sequenceNumber: '4',
        media: { track: 'inbound', chunk: '1', timestamp: '5', payload },
        streamSid: sid,
      },
      {
        event: 'dtmf',
        streamSid: sid,
        sequenceNumber: '5',
        dtmf: { track: 'inbound_track', digit: '1' },
      },
      {
        event: 'stop',
        sequenceNumber: '6',
        streamSid: sid,
        stop: { accountSid: 'AC123', callSid: 'CA123' },
      },
    ];
    for (const message of messages) stream.receive(JSON.stringify(message));
    expect(errors()).toEqual([]);
    expect(calls.map((c) => c.kind)).toEqual(['start', 'audio', 'dtmf', 'stop']);
    expect(stream.stats.otherTrackMedia).toBe(1);
    expect(stream.stats.sequenceGaps).toBe(1); // 1 → 3, as in the documentation's examples
    expect(stream.state).toBe('stopped');
  });

  it('decodes µ-law 8 kHz media and resamples it to the engine rate, chunk by chunk', () => {
    const { stream, twilio, audio, errors } = started({ inputRate: 16000, outputRate: 24000 });
    const speech = tone(8000, 8000);
    const messages = twilio.audio(speech);
    expect(messages).toHaveLength(50);
    const last = JSON.parse(messages[49]!) as {
      sequenceNumber: string;
      media: { chunk: string; timestamp: string };
    };
    expect(last).toMatchObject({ sequenceNumber: '51', media: { chunk: '50', timestamp: '980' } });
    for (const message of messages) stream.receive(message);
    expect(errors()).toEqual([]);
    const expected = createResampler({ from: 8000, to: 16000 }).process(
      decodeMulaw(encodeMulaw(speech)),
    );
    expect(audio()).toEqual(Array.from(expected));
    expect(stream.stats).toMatchObject({ mediaReceived: 50, sequenceGaps: 0 });
  });

  it('delivers DTMF, stop, and ignores what comes after stop', () => {
    const { stream, twilio, calls } = started();
    stream.receive(twilio.dtmf('7'));
    stream.receive(twilio.dtmf('#'));
    stream.receive(twilio.stop());
    stream.receive(twilio.dtmf('1'));
    expect(calls.slice(1)).toEqual([
      { kind: 'dtmf', digit: '7' },
      { kind: 'dtmf', digit: '#' },
      { kind: 'stop' },
    ]);
    expect(stream.stats.afterStop).toBe(1);
  });

  it('ignores unknown events but counts them', () => {
    const { stream, calls } = started();
    stream.receive('{"event":"transcription","sequenceNumber":"3"}');
    stream.receive('{"event":"future-thing"}');
    expect(calls.map((c) => c.kind)).toEqual(['start']);
    expect(stream.stats.unknownEvents).toBe(2);
  });

  it('reports malformed and out-of-place messages and carries on', () => {
    const { stream, twilio, errors, calls } = setup();
    stream.receive(twilio.dtmf('1')); // before start
    stream.receive('not json');
    stream.receive('{"sequenceNumber":"1"}');
    stream.receive(twilio.connected());
    stream.receive(twilio.start());
    stream.receive(twilio.start()); // a second start
    stream.receive(
      JSON.stringify({
        event: 'media',
        sequenceNumber: '9',
        streamSid: twilio.streamSid,
        media: { track: 'inbound', chunk: '1', timestamp: '0', payload: '***' },
      }),
    );
    stream.receive(
      JSON.stringify({
        event: 'dtmf',
        sequenceNumber: '10',
        streamSid: 'MZother',
        dtmf: { track: 'inbound_track', digit: '1' },
      }),
    );
    stream.receive(
      JSON.stringify({
        event: 'dtmf',
        sequenceNumber: '11',
        streamSid: twilio.streamSid,
        dtmf: { track: 'inbound_track', digit: '12' },
      }),
    );
    expect(errors().map((e) => e.code)).toEqual([
      'INVALID_FRAME',
      'INVALID_FRAME',
      'INVALID_FRAME',
      'INVALID_FRAME',
      'VALIDATION_FAILED',
      'INVALID_FRAME',
      'VALIDATION_FAILED',
    ]);
    expect(errors()[0]?.message).toContain('before start');
    expect(errors()[4]?.message).toContain('media.payload');
    expect(errors()[6]?.message).toContain('dtmf.digit');
    stream.receive(twilio.dtmf('5'));
    expect(calls.at(-1)).toEqual({ kind: 'dtmf', digit: '5' });
  });

  it('refuses a start with another media format', () => {
    const { stream, errors } = setup();
    const start = JSON.parse(createTwilioClientScript().start()) as {
      start: { mediaFormat: { sampleRate: number } };
    };
    start.start.mediaFormat.sampleRate = 16000;
    stream.receive(JSON.stringify(start));
    expect(errors().map((e) => e.code)).toEqual(['UNSUPPORTED_AUDIO_FORMAT']);
    expect(stream.state).toBe('awaiting-start');
  });

  it('closes with 1008 after repeated errors, and drops oversized messages', () => {
    const { stream, socket, errors } = setup(undefined, {
      limits: { maxErrors: 2, maxMessageBytes: 100 },
    });
    stream.receive('x'.repeat(101));
    expect(errors()[0]?.code).toBe('PAYLOAD_TOO_LARGE');
    stream.receive('nope');
    expect(socket.closed).toBeUndefined();
    stream.receive('nope');
    expect(socket.closed).toEqual({ code: CLOSE_CODES.policy, reason: 'repeated protocol errors' });
  });
});

describe('Twilio media stream — to Twilio', () => {
  it('sends engine audio as µ-law 8 kHz media of at most 20 ms, with the streamSid', () => {
    const { stream, socket, twilio } = started({ inputRate: 16000, outputRate: 24000 });
    socket.clearSent();
    const engine = tone(24000, 24000);
    for (let at = 0; at < engine.length; at += 480) stream.sendAudio(engine.subarray(at, at + 480));
    const messages = socket.sent.map(parseTwilioOutbound);
    expect(messages.every((m) => m.event === 'media' && m.streamSid === twilio.streamSid)).toBe(
      true,
    );
    const sizes = messages.map((m) =>
      m.event === 'media' ? Buffer.from(m.media.payload, 'base64').length : 0,
    );
    expect(Math.max(...sizes)).toBe(160);
    expect(sizes.slice(1).every((n) => n === 160)).toBe(true);
    const resampled = createResampler({ from: 24000, to: 8000 }).process(engine);
    expect(Buffer.from(encodeMulaw(decodeTwilioOutboundAudio(socket.sent)))).toEqual(
      Buffer.from(encodeMulaw(resampled)),
    );
    expect(stream.stats.mediaSent).toBe(50);
  });

  it('splits a long call into 20 ms payloads without holding anything back', () => {
    const { stream, socket } = started({ inputRate: 8000, outputRate: 8000 });
    socket.clearSent();
    stream.sendAudio(tone(8000, 1000));
    const sizes = socket.sent.map((m) => {
      const message = parseTwilioOutbound(m);
      return message.event === 'media' ? Buffer.from(message.media.payload, 'base64').length : 0;
    });
    expect(sizes).toEqual([160, 160, 160, 160, 160, 160, 40]);
  });

  it('marks after a segment, flushing the resampler first; echoes report the mark played', () => {
    const { stream, socket, twilio, calls, clock } = started({
      inputRate: 16000,
      outputRate: 24000,
    });
    socket.clearSent();
    const segment = tone(24000, 2400);
    for (let at = 0; at < segment.length; at += 480)
      stream.sendAudio(segment.subarray(at, at + 480));
    stream.sendMark('seg_1');
    const messages = socket.sent.map(parseTwilioOutbound);
    expect(messages.at(-1)).toEqual({
      event: 'mark',
      streamSid: twilio.streamSid,
      mark: { name: 'seg_1' },
    });
    // Everything of the segment went out before the mark: 100 ms at 8 kHz.
    expect(decodeTwilioOutboundAudio(socket.sent).length).toBe(800);
    expect(stream.pendingMarks).toBe(1);
    clock.advance(100);
    const echo = twilio.echo(messages.at(-1)!);
    expect(echo).toBeDefined();
    stream.receive(echo!);
    expect(calls.at(-1)).toEqual({
      kind: 'mark',
      name: 'seg_1',
      info: { cleared: false, sinceSentMs: 100 },
    });
    expect(stream.pendingMarks).toBe(0);
  });

  it('clear on barge-in: sends clear, drops resampler state, flags echoes of cleared marks', () => {
    const { stream, socket, twilio, calls } = started();
    stream.sendAudio(tone(24000, 4800));
    stream.sendMark('seg_1');
    stream.sendAudio(tone(24000, 4800));
    stream.sendMark('seg_2');
    stream.receive(twilio.mark('seg_1'));
    socket.clearSent();
    stream.clear();
    expect(socket.sent.map(parseTwilioOutbound)).toEqual([
      { event: 'clear', streamSid: twilio.streamSid },
    ]);
    stream.receive(twilio.mark('seg_2'));
    stream.sendMark('seg_3');
    stream.receive(twilio.mark('seg_3'));
    stream.receive(twilio.mark('never-sent'));
    const marks = calls.filter((c) => c.kind === 'mark').map((c) => [c.name, c.info.cleared]);
    expect(marks).toEqual([
      ['seg_1', false],
      ['seg_2', true],
      ['seg_3', false],
    ]);
    expect(stream.stats.unknownMarks).toBe(1);
  });

  it('drops sends before start and after close', () => {
    const { stream, socket, twilio } = setup();
    stream.sendAudio(tone(24000, 480));
    stream.sendMark('early');
    stream.clear();
    expect(socket.sent).toEqual([]);
    stream.receive(twilio.start());
    stream.close(CLOSE_CODES.normal, 'session ended');
    stream.sendAudio(tone(24000, 480));
    expect(socket.sent).toEqual([]);
    expect(stream.stats.droppedSends).toBe(3);
    expect(socket.closed).toEqual({ code: 1000, reason: 'session ended' });
    expect(() => stream.sendMark('')).toThrow(/non-empty/);
  });

  it('reads Twilio messages given as bytes', () => {
    const { stream, twilio, calls } = setup();
    stream.receive(Buffer.from(twilio.start()));
    expect(calls[0]?.kind).toBe('start');
  });
});
