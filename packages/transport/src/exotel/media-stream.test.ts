import { describe, expect, it } from 'vitest';
import { createCarrierStreamHarness, tone } from '../testing/carrier-stream-harness.js';
import type { CarrierStreamCall } from '../testing/carrier-stream-harness.js';
import type { SampleRate } from '@prx-voice/media';
import {
  createExotelClientScript,
  decodeExotelOutboundAudio,
  exotelPayloadProblem,
  parseExotelOutbound,
} from '../testing/exotel-client.js';
import type { ExotelClientScriptOptions } from '../testing/exotel-client.js';
import { createExotelMediaStream } from './media-stream.js';
import type { ExotelStartInfo } from './media-stream.js';

type Call = CarrierStreamCall<ExotelStartInfo>;

function setup(client: ExotelClientScriptOptions = {}, outputRate: SampleRate = 24000) {
  const harness = createCarrierStreamHarness(createExotelMediaStream, { outputRate });
  const exotel = createExotelClientScript({
    customParameters: { session_id: 'ses_01', stream_token: 'tok' },
    ...client,
  });
  const sent = () => harness.socket.texts().map(parseExotelOutbound);
  return { ...harness, exotel, sent };
}

describe('Exotel media stream — messages from Exotel', () => {
  it('accepts the messages as Exotel documents them', () => {
    const { stream, calls, errors } = setup();
    const documented = [
      { event: 'connected' },
      {
        event: 'start',
        sequence_number: '1',
        stream_sid: 'MZxxxxxxxxxxxxxxxxxxxxxxxx',
        start: {
          stream_sid: 'MZxxxxxxxxxxxxxxxxxxxxxxxx',
          call_sid: 'CAxxxxxxxxxxxxxxxxxxxxxxxx',
          account_sid: 'ACxxxxxxxxxxxxxxxxxxxxxxxx',
          from: '+919876543210',
          to: '+918047491899',
          custom_parameters: { key1: 'value1' },
          media_format: { encoding: 'audio/x-raw', sample_rate: '8000', bit_rate: '16' },
        },
      },
      {
        event: 'media',
        sequence_number: '2',
        stream_sid: 'MZxxxxxxxxxxxxxxxxxxxxxxxx',
        media: { chunk: '1', timestamp: '100', payload: Buffer.alloc(1600).toString('base64') },
      },
      {
        event: 'dtmf',
        sequence_number: '3',
        stream_sid: 'MZxxxxxxxxxxxxxxxxxxxxxxxx',
        dtmf: { digit: '5', duration: '100' },
      },
      {
        event: 'stop',
        sequence_number: '4',
        stream_sid: 'MZxxxxxxxxxxxxxxxxxxxxxxxx',
        stop: { call_sid: 'CAxxxxxxxxxxxxxxxxxxxxxxxx', reason: 'callended' },
      },
    ];
    for (const m of documented) stream.receive(JSON.stringify(m));
    expect(errors()).toEqual([]);
    expect(calls.map((c) => c.kind)).toEqual(['start', 'audio', 'dtmf', 'stop']);
    const start = calls[0] as Extract<Call, { kind: 'start' }>;
    expect(start.info).toMatchObject({
      streamSid: 'MZxxxxxxxxxxxxxxxxxxxxxxxx',
      callSid: 'CAxxxxxxxxxxxxxxxxxxxxxxxx',
      from: '+919876543210',
      customParameters: { key1: 'value1' },
    });
    // 100 ms at 8 kHz → 100 ms at the engine's 16 kHz (less the resampler's look-ahead).
    const audio = calls[1] as Extract<Call, { kind: 'audio' }>;
    expect(audio.samples).toBeGreaterThan(1500);
    expect(audio.samples).toBeLessThanOrEqual(1600);
    expect(stream.format).toEqual({ encoding: 'pcm16', sampleRate: 8000 });
    expect(stream.stats.sequenceGaps).toBe(0);
  });

  it('takes a 16 kHz stream and refuses formats it cannot carry', () => {
    const wide = setup({ sampleRate: 16000 });
    wide.stream.receive(wide.exotel.start());
    expect(wide.stream.format).toEqual({ encoding: 'pcm16', sampleRate: 16000 });
    const { stream, errors } = setup();
    const start = JSON.parse(createExotelClientScript().start()) as {
      start: { media_format: { sample_rate: string } };
    };
    start.start.media_format.sample_rate = '24000';
    stream.receive(JSON.stringify(start));
    expect(stream.state).toBe('awaiting-start');
    expect(errors().map((e) => e.code)).toEqual(['UNSUPPORTED_AUDIO_FORMAT']);
  });

  it('drops malformed and out-of-order messages, reports them and keeps the connection', () => {
    const { stream, exotel, socket, errors } = setup();
    stream.receive(exotel.media(new Uint8Array(320)));
    stream.receive(exotel.start());
    stream.receive('not json');
    stream.receive(
      JSON.stringify({ event: 'media', stream_sid: exotel.streamSid, media: { payload: '%%%' } }),
    );
    stream.receive(
      JSON.stringify({ event: 'dtmf', stream_sid: exotel.streamSid, dtmf: { digit: 'X' } }),
    );
    stream.receive(JSON.stringify({ event: 'media', stream_sid: 'other', media: { payload: '' } }));
    stream.receive(exotel.media(new Uint8Array(3)));
    stream.receive(JSON.stringify({ event: 'transcript', stream_sid: exotel.streamSid }));
    expect(errors().map((e) => e.code)).toEqual([
      'INVALID_FRAME',
      'INVALID_FRAME',
      'VALIDATION_FAILED',
      'VALIDATION_FAILED',
      'INVALID_FRAME',
      'INVALID_AUDIO',
    ]);
    expect(stream.stats.unknownEvents).toBe(1);
    expect(stream.state).toBe('started');
    expect(socket.closed).toBeUndefined();
  });
});

describe('Exotel media stream — audio to Exotel', () => {
  it('sends payloads of at least 3200 bytes in multiples of 320, naming the stream', () => {
    const { stream, exotel, socket, sent } = setup();
    stream.receive(exotel.start());
    // 30 ms at 24 kHz: less than a payload (200 ms at 8 kHz), held back.
    stream.sendSegmentAudio('seg_1', tone(24000, 720));
    expect(socket.texts()).toEqual([]);
    // 500 ms more: two full payloads go out, the rest waits.
    stream.sendSegmentAudio('seg_1', tone(24000, 12000));
    expect(sent().map((m) => m.event)).toEqual(['media', 'media']);
    // The segment ends: the rest is padded with silence to a full payload, then the mark.
    expect(stream.endSegment('seg_1')).toBe(true);
    const messages = sent();
    expect(messages.map((m) => m.event)).toEqual(['media', 'media', 'media', 'mark']);
    for (const m of messages) expect(m.stream_sid).toBe(exotel.streamSid);
    for (const m of messages) {
      if (m.event === 'media') {
        expect(exotelPayloadProblem(Buffer.from(m.media.payload, 'base64').length)).toBeUndefined();
      }
    }
    const audio = decodeExotelOutboundAudio(socket.texts());
    expect(audio.length).toBe(3 * 1600);
    expect(Math.max(...Array.from(audio.subarray(0, 1600), Math.abs))).toBeGreaterThan(5000);
    // 530 ms of tone, then silence to the payload's end.
    expect(Array.from(audio.subarray(4300), Math.abs).every((v) => v === 0)).toBe(true);
  });

  it('plays back as Exotel does: marks come back once played; a clear drops held audio too', () => {
    const { stream, exotel, socket, calls, sent } = setup();
    stream.receive(exotel.start());
    stream.sendSegmentAudio('seg_1', tone(24000, 4800 * 3));
    stream.endSegment('seg_1');
    stream.sendSegmentAudio('seg_2', tone(24000, 4800 * 2 + 500));
    for (const m of sent()) for (const ack of exotel.outbound(m)) stream.receive(ack);
    expect(exotel.pendingMarks).toEqual(['seg_1']);
    const ack = exotel.playToMark();
    if (ack === undefined) throw new Error('no mark');
    stream.receive(ack);
    expect(calls.filter((c) => c.kind === 'mark')).toEqual([
      { kind: 'mark', name: 'seg_1', info: { cleared: false, sinceSentMs: 0 } },
    ]);
    const before = socket.texts().length;
    stream.clear();
    expect(sent().slice(before)).toEqual([{ event: 'clear', stream_sid: exotel.streamSid }]);
    // The 500 samples held back were dropped, not sent after the clear.
    stream.sendMark('after');
    expect(
      sent()
        .slice(before + 1)
        .map((m) => m.event),
    ).toEqual(['mark']);
  });

  it('sends 100 ms payloads on a 16 kHz stream', () => {
    const { stream, exotel, sent } = setup({ sampleRate: 16000 }, 16000);
    stream.receive(exotel.start());
    for (let i = 0; i < 10; i++) stream.sendAudio(tone(16000, 320));
    stream.sendMark('end');
    const media = sent().filter((m) => m.event === 'media');
    // 200 ms at 16 kHz: two payloads of 3200 bytes (100 ms each).
    expect(media.map((m) => Buffer.from(m.media.payload, 'base64').length)).toEqual([3200, 3200]);
  });
});
