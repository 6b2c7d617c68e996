import { describe, expect, it } from 'vitest';
import { createCarrierStreamHarness, tone } from '../testing/carrier-stream-harness.js';
import {
  createPlivoClientScript,
  decodePlivoOutboundAudio,
  parsePlivoOutbound,
} from '../testing/plivo-client.js';
import type { PlivoClientScriptOptions } from '../testing/plivo-client.js';
import { createPlivoMediaStream, parsePlivoExtraHeaders } from './media-stream.js';

function setup(client: PlivoClientScriptOptions = {}) {
  const harness = createCarrierStreamHarness(createPlivoMediaStream, { recordStop: false });
  return { ...harness, plivo: createPlivoClientScript(client) };
}

describe('Plivo audio stream — messages from Plivo', () => {
  it('accepts the messages as Plivo documents them', () => {
    const { stream, calls, errors } = setup();
    const documented = [
      {
        event: 'start',
        sequenceNumber: 1,
        start: {
          callId: '12345678-1234-1234-1234-123456789abc',
          streamId: '87654321-4321-4321-4321-cba987654321',
          accountId: 'MAXXXXXXXXXXXXXXXXXX',
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000 },
        },
        extra_headers: 'userId=12345;sessionId=abc-xyz',
      },
      {
        event: 'media',
        sequenceNumber: 2,
        streamId: '87654321-4321-4321-4321-cba987654321',
        media: { track: 'inbound', timestamp: '1705312200000', chunk: 1, payload: '/////w==' },
        extra_headers: 'userId=12345;sessionId=abc-xyz',
      },
      {
        event: 'dtmf',
        sequenceNumber: 3,
        streamId: '87654321-4321-4321-4321-cba987654321',
        dtmf: { track: 'inbound', digit: '5', timestamp: '1705312201000' },
      },
      { event: 'playedStream', streamId: '87654321-4321-4321-4321-cba987654321', name: 'x' },
      { event: 'clearedAudio', streamId: '87654321-4321-4321-4321-cba987654321' },
    ];
    for (const message of documented) stream.receive(JSON.stringify(message));
    expect(errors()).toEqual([]);
    expect(calls[0]).toEqual({
      kind: 'start',
      info: {
        streamId: '87654321-4321-4321-4321-cba987654321',
        callId: '12345678-1234-1234-1234-123456789abc',
        accountId: 'MAXXXXXXXXXXXXXXXXXX',
        tracks: ['inbound'],
        extraHeaders: { userId: '12345', sessionId: 'abc-xyz' },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000 },
      },
    });
    expect(calls.filter((c) => c.kind === 'dtmf')).toEqual([{ kind: 'dtmf', digit: '5' }]);
    // A checkpoint we never sent is counted, not delivered.
    expect(stream.stats).toMatchObject({ mediaReceived: 1, unknownMarks: 1, sequenceGaps: 0 });
    expect(stream.format).toEqual({ encoding: 'mulaw', sampleRate: 8000 });
  });

  it('decodes µ-law 8 kHz and L16 16 kHz to the engine rate', () => {
    for (const contentType of ['audio/x-mulaw;rate=8000', 'audio/x-l16;rate=16000'] as const) {
      const { stream, plivo, errors, audioSamples } = setup({ contentType });
      stream.receive(plivo.start());
      for (const m of plivo.audio(tone(plivo.sampleRate, plivo.sampleRate / 5))) stream.receive(m);
      stream.receive(plivo.media(new Uint8Array(160), 'outbound'));
      expect(errors()).toEqual([]);
      // 200 ms at 16 kHz, less the resampler's look-ahead.
      expect(audioSamples()).toBeGreaterThan(3000);
      expect(audioSamples()).toBeLessThanOrEqual(3200);
      expect(stream.stats).toMatchObject({ mediaReceived: 10, otherTrackMedia: 1 });
    }
  });

  it('reports malformed and out-of-place messages, drops them, and carries on', () => {
    const { stream, plivo, errors, calls } = setup({ contentType: 'audio/x-l16;rate=8000' });
    stream.receive(plivo.dtmf('1')); // before start
    stream.receive('{not json');
    stream.receive(plivo.start());
    stream.receive(JSON.stringify({ event: 'media', streamId: plivo.streamId, media: {} }));
    stream.receive(plivo.media(new Uint8Array(3))); // L16 of odd length
    stream.receive(JSON.stringify({ event: 'dtmf', streamId: 'other', dtmf: { digit: '1' } }));
    stream.receive(JSON.stringify({ event: 'stopStream', streamId: plivo.streamId }));
    expect(errors().map((e) => e.code)).toEqual([
      'INVALID_FRAME',
      'INVALID_FRAME',
      'VALIDATION_FAILED',
      'INVALID_AUDIO',
      'INVALID_FRAME',
    ]);
    expect(stream.stats.unknownEvents).toBe(1);
    stream.receive(plivo.dtmf('5'));
    expect(calls.at(-1)).toEqual({ kind: 'dtmf', digit: '5' });
  });

  it('refuses a start in a format it cannot carry', () => {
    const { stream, errors } = setup();
    stream.receive(
      JSON.stringify({
        event: 'start',
        sequenceNumber: 1,
        start: {
          callId: 'c',
          streamId: 's',
          mediaFormat: { encoding: 'audio/x-l16', sampleRate: 24000 },
        },
      }),
    );
    expect(errors().map((e) => e.code)).toEqual(['UNSUPPORTED_AUDIO_FORMAT']);
    expect(stream.state).toBe('awaiting-start');
  });

  it('reads extra headers separated by ";" or ","', () => {
    expect(parsePlivoExtraHeaders('a=1;b=x=y, c = 3;junk')).toEqual({ a: '1', b: 'x=y', c: '3' });
    expect(parsePlivoExtraHeaders(undefined)).toEqual({});
  });
});

describe('Plivo audio stream — to Plivo', () => {
  it('sends 20 ms playAudio, a checkpoint after each segment, clearAudio on barge-in', () => {
    const { stream, socket, plivo, calls, clock } = setup();
    stream.receive(plivo.start());
    const segment = tone(24000, 2400); // 100 ms
    for (let at = 0; at < segment.length; at += 480)
      stream.sendSegmentAudio('seg_1', segment.subarray(at, at + 480));
    expect(stream.endSegment('seg_1')).toBe(true);
    const sent = socket.sent.map(parsePlivoOutbound);
    expect(sent[0]).toMatchObject({
      event: 'playAudio',
      media: { contentType: 'audio/x-mulaw', sampleRate: 8000 },
    });
    expect(sent.at(-1)).toEqual({ event: 'checkpoint', streamId: plivo.streamId, name: 'seg_1' });
    const sizes = sent.flatMap((m) =>
      m.event === 'playAudio' ? [Buffer.from(m.media.payload, 'base64').length] : [],
    );
    expect(sizes.every((n) => n <= 160)).toBe(true);
    expect(decodePlivoOutboundAudio(socket.sent).length).toBe(800);
    for (const m of sent) for (const ack of plivo.outbound(m)) stream.receive(ack);
    expect(plivo.pendingMarks).toEqual(['seg_1']);
    clock.advance(100);
    for (const ack of plivo.play(100)) stream.receive(ack);
    expect(calls.at(-1)).toEqual({
      kind: 'mark',
      name: 'seg_1',
      info: { cleared: false, sinceSentMs: 100 },
    });
    // A second segment cut short: clearAudio; Plivo answers clearedAudio and never the checkpoint.
    socket.clearSent();
    stream.sendSegmentAudio('seg_2', tone(24000, 4800));
    stream.endSegment('seg_2');
    for (const m of socket.sent.map(parsePlivoOutbound)) plivo.outbound(m);
    expect(stream.pendingMarks).toBe(1);
    socket.clearSent();
    stream.clear();
    expect(socket.sent.map(parsePlivoOutbound)).toEqual([
      { event: 'clearAudio', streamId: plivo.streamId },
    ]);
    const answers = plivo.outbound({ event: 'clearAudio', streamId: plivo.streamId });
    expect(answers.map((a) => (JSON.parse(a) as { event: string }).event)).toEqual([
      'clearedAudio',
    ]);
    for (const ack of answers) stream.receive(ack);
    expect(stream.pendingMarks).toBe(0);
    expect(calls.filter((c) => c.kind === 'mark')).toHaveLength(1);
  });

  it('sends L16 16 kHz as playAudio of 640 bytes', () => {
    const { stream, socket, plivo } = setup({ contentType: 'audio/x-l16;rate=16000' });
    stream.receive(plivo.start());
    stream.sendSegmentAudio('seg_1', tone(24000, 2400));
    stream.endSegment('seg_1');
    const sent = socket.sent.map(parsePlivoOutbound);
    expect(sent[0]).toMatchObject({
      event: 'playAudio',
      media: { contentType: 'audio/x-l16', sampleRate: 16000 },
    });
    expect(decodePlivoOutboundAudio(socket.sent).length).toBe(1600);
  });
});
