import { describe, expect, it } from 'vitest';
import { createCarrierStreamHarness, tone } from '../testing/carrier-stream-harness.js';
import { decodeAlaw, encodeAlaw } from '@prx-voice/media';
import {
  createTelnyxClientScript,
  decodeTelnyxOutboundAudio,
  parseTelnyxOutbound,
} from '../testing/telnyx-client.js';
import type { TelnyxClientScriptOptions } from '../testing/telnyx-client.js';
import { createTelnyxMediaStream } from './media-stream.js';

function setup(client: TelnyxClientScriptOptions = {}) {
  const harness = createCarrierStreamHarness(createTelnyxMediaStream);
  const telnyx = createTelnyxClientScript({
    customParameters: { session_id: 'ses_01', stream_token: 'tok' },
    ...client,
  });
  return { ...harness, telnyx };
}

describe('Telnyx media stream — messages from Telnyx', () => {
  it('accepts the messages as Telnyx documents them', () => {
    const { stream, calls, errors } = setup();
    const documented = [
      { event: 'connected', version: '1.0.0' },
      {
        event: 'start',
        sequence_number: '1',
        stream_id: '32DE0DEA-53CB-4B21-89A4-9E1819C043BC',
        start: {
          user_id: '3E6F995F-85F7-4705-9741-53B116D28237',
          call_control_id: 'v2:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ',
          call_session_id: 'ff55a038-6f5d-11ef-9692-02420aeffb1f',
          from: '+13122010094',
          to: '+13122123456',
          tags: ['TAG1', 'TAG2'],
          client_state: 'aGF2ZSBhIG5pY2UgZGF5ID1d',
          custom_parameters: { customer_id: 'customer_123' },
          media_format: { encoding: 'PCMU', sample_rate: 8000, channels: 1 },
        },
      },
      {
        event: 'media',
        sequence_number: '4',
        media: { track: 'inbound', chunk: '2', timestamp: '5', payload: '/////w==' },
        stream_id: '32DE0DEA-53CB-4B21-89A4-9E1819C043BC',
      },
      {
        event: 'stop',
        sequence_number: '5',
        stop: {
          user_id: '3E6F995F-85F7-4705-9741-53B116D28237',
          call_control_id: 'v2:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ',
        },
        stream_id: '32DE0DEA-53CB-4B21-89A4-9E1819C043BC',
      },
    ];
    for (const message of documented) stream.receive(JSON.stringify(message));
    expect(errors()).toEqual([]);
    expect(calls[0]).toMatchObject({
      kind: 'start',
      info: {
        streamId: '32DE0DEA-53CB-4B21-89A4-9E1819C043BC',
        callControlId: 'v2:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ',
        customParameters: { customer_id: 'customer_123' },
        mediaFormat: { encoding: 'PCMU', sampleRate: 8000, channels: 1 },
      },
    });
    expect(calls.at(-1)).toEqual({ kind: 'stop' });
    expect(stream.stats.sequenceGaps).toBe(1); // the documentation's examples skip 1 → 4
    expect(stream.format).toEqual({ encoding: 'mulaw', sampleRate: 8000 });
  });

  it('decodes PCMA 8 kHz to the engine rate, delivers DTMF, counts outbound-track media', () => {
    const { stream, telnyx, calls, errors } = setup({ codec: 'PCMA' });
    stream.receive(telnyx.connected());
    stream.receive(telnyx.start());
    for (const m of telnyx.audio(tone(8000, 1600))) stream.receive(m);
    stream.receive(telnyx.media(new Uint8Array(160), 'outbound'));
    stream.receive(telnyx.dtmf('#'));
    expect(errors()).toEqual([]);
    const samples = calls.reduce((n, c) => n + (c.kind === 'audio' ? c.samples : 0), 0);
    // 200 ms at 16 kHz, less the resampler's look-ahead.
    expect(samples).toBeGreaterThan(3000);
    expect(samples).toBeLessThanOrEqual(3200);
    expect(stream.stats).toMatchObject({ mediaReceived: 10, otherTrackMedia: 1, sequenceGaps: 0 });
    expect(calls.at(-1)).toEqual({ kind: 'dtmf', digit: '#' });
  });

  it('reports malformed, foreign and out-of-place messages and Telnyx errors, and carries on', () => {
    const { stream, telnyx, errors, calls } = setup();
    stream.receive(telnyx.dtmf('1')); // before start
    stream.receive('{not json');
    stream.receive(telnyx.connected());
    stream.receive(telnyx.start());
    stream.receive(JSON.stringify({ event: 'dtmf', stream_id: 'other', dtmf: { digit: '1' } }));
    stream.receive(
      JSON.stringify({ event: 'dtmf', stream_id: telnyx.streamId, dtmf: { digit: 'x' } }),
    );
    stream.receive(telnyx.error(100003, 'malformed_frame', 'The frame is not valid JSON'));
    stream.receive(JSON.stringify({ event: 'streaming.future', stream_id: telnyx.streamId }));
    expect(errors().map((e) => e.code)).toEqual([
      'INVALID_FRAME',
      'INVALID_FRAME',
      'INVALID_FRAME',
      'VALIDATION_FAILED',
      'PROVIDER_UNAVAILABLE',
    ]);
    expect(errors()[4]).toMatchObject({ message: expect.stringContaining('malformed_frame') });
    expect(stream.stats.unknownEvents).toBe(1);
    stream.receive(telnyx.dtmf('5'));
    expect(calls.at(-1)).toEqual({ kind: 'dtmf', digit: '5' });
  });

  it('refuses a start in a codec it cannot carry', () => {
    const { stream, errors } = setup();
    const start = JSON.parse(createTelnyxClientScript().start()) as {
      start: { media_format: { encoding: string } };
    };
    start.start.media_format.encoding = 'OPUS';
    stream.receive(JSON.stringify(start));
    expect(errors().map((e) => e.code)).toEqual(['UNSUPPORTED_AUDIO_FORMAT']);
    expect(stream.state).toBe('awaiting-start');
  });
});

describe('Telnyx media stream — to Telnyx', () => {
  it('sends 20 ms media in the stream codec, a mark after each segment, clear on barge-in', () => {
    const { stream, socket, telnyx, calls, clock } = setup({ codec: 'PCMA' });
    stream.receive(telnyx.connected());
    stream.receive(telnyx.start());
    const segment = tone(24000, 2400); // 100 ms
    for (let at = 0; at < segment.length; at += 480)
      stream.sendSegmentAudio('seg_1', segment.subarray(at, at + 480));
    expect(stream.endSegment('seg_1')).toBe(true);
    const sent = socket.sent.map(parseTelnyxOutbound);
    expect(sent.at(-1)).toEqual({ event: 'mark', mark: { name: 'seg_1' } });
    const payloads = sent.flatMap((m) =>
      m.event === 'media' ? [Buffer.from(m.media.payload, 'base64').length] : [],
    );
    expect(payloads.every((n) => n <= 160)).toBe(true);
    const audio = decodeTelnyxOutboundAudio(socket.sent, 'PCMA');
    expect(audio.length).toBe(800);
    // A-law really: re-encoding the decoded audio gives the same bytes.
    expect(decodeAlaw(encodeAlaw(audio))).toEqual(audio);
    for (const m of sent) for (const ack of telnyx.outbound(m)) stream.receive(ack);
    expect(telnyx.pendingMarks).toEqual(['seg_1']);
    clock.advance(100);
    for (const ack of telnyx.play(100)) stream.receive(ack);
    expect(calls.at(-1)).toEqual({
      kind: 'mark',
      name: 'seg_1',
      info: { cleared: false, sinceSentMs: 100 },
    });
    // A second segment, cut short: clear, and its mark comes back flagged cleared.
    socket.clearSent();
    stream.sendSegmentAudio('seg_2', tone(24000, 4800));
    stream.endSegment('seg_2');
    for (const m of socket.sent.map(parseTelnyxOutbound)) telnyx.outbound(m);
    socket.clearSent();
    stream.clear();
    expect(socket.sent.map(parseTelnyxOutbound)).toEqual([{ event: 'clear' }]);
    for (const ack of telnyx.outbound({ event: 'clear' })) stream.receive(ack);
    expect(calls.at(-1)).toMatchObject({ kind: 'mark', name: 'seg_2', info: { cleared: true } });
    expect(stream.pendingMarks).toBe(0);
  });
});
