import { describe, expect, it } from 'vitest';
import { createCarrierStreamHarness, tone } from '../testing/carrier-stream-harness.js';
import { createVonageClientScript } from '../testing/vonage-client.js';
import type { VonageClientScriptOptions, VonageOutbound } from '../testing/vonage-client.js';
import { createVonageMediaStream } from './media-stream.js';

function setup(client: VonageClientScriptOptions = {}) {
  const harness = createCarrierStreamHarness(createVonageMediaStream, { recordStop: false });
  const vonage = createVonageClientScript(client);
  /** What the server sent, read as Vonage reads it (text frames are strings in the fake socket). */
  const sent = (): VonageOutbound[] =>
    harness.socket.sent.map((data) => vonage.read(data, typeof data !== 'string'));
  return { ...harness, vonage, sent };
}

describe('Vonage WebSocket — from Vonage', () => {
  it('starts on websocket:connected with the NCCO headers, then takes binary L16 and DTMF', () => {
    const { stream, vonage, calls, errors, audioSamples } = setup({
      headers: { session_id: 'ses_1', caller: { number: '447700900000' } },
    });
    stream.receive(vonage.connected());
    expect(calls[0]).toEqual({
      kind: 'start',
      info: {
        contentType: 'audio/l16;rate=16000',
        sampleRate: 16000,
        headers: { session_id: 'ses_1', caller: '{"number":"447700900000"}' },
      },
    });
    for (const frame of vonage.audio(tone(16000, 3200))) stream.receive(frame, true);
    stream.receive(vonage.dtmf('7'));
    expect(errors()).toEqual([]);
    expect(audioSamples()).toBe(3200); // 16 kHz in, 16 kHz engine: no resampling
    expect(calls.at(-1)).toEqual({ kind: 'dtmf', digit: '7' });
    expect(stream.format).toEqual({ encoding: 'pcm16', sampleRate: 16000 });
  });

  it('resamples 8 kHz to the engine rate', () => {
    const { stream, vonage, errors, audioSamples } = setup({ contentType: 'audio/l16;rate=8000' });
    stream.receive(vonage.connected());
    for (const frame of vonage.audio(tone(8000, 1600))) stream.receive(frame, true);
    expect(errors()).toEqual([]);
    expect(audioSamples()).toBeGreaterThan(3000);
    expect(audioSamples()).toBeLessThanOrEqual(3200);
  });

  it('reports malformed frames and out-of-place messages, drops them, and carries on', () => {
    const { stream, vonage, errors, calls } = setup();
    stream.receive(new Uint8Array(640), true); // audio before websocket:connected
    stream.receive('{not json');
    stream.receive(vonage.connected());
    stream.receive(new Uint8Array(641), true); // not whole samples
    stream.receive(JSON.stringify({ event: 'websocket:dtmf', digit: '12' }));
    stream.receive(JSON.stringify({ event: 'websocket:media:update' }));
    expect(errors().map((e) => e.code)).toEqual([
      'INVALID_FRAME',
      'INVALID_FRAME',
      'INVALID_AUDIO',
      'VALIDATION_FAILED',
    ]);
    expect(stream.stats.unknownEvents).toBe(1);
    stream.receive(vonage.dtmf('#'));
    expect(calls.at(-1)).toEqual({ kind: 'dtmf', digit: '#' });
  });

  it('refuses a content type it cannot carry', () => {
    const { stream, errors } = setup();
    stream.receive(
      JSON.stringify({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=24000' }),
    );
    expect(errors().map((e) => e.code)).toEqual(['UNSUPPORTED_AUDIO_FORMAT']);
    expect(stream.state).toBe('awaiting-start');
  });
});

describe('Vonage WebSocket — to Vonage', () => {
  it('sends whole 20 ms binary frames, a notify after each segment, clear on barge-in', () => {
    const { stream, socket, vonage, calls, clock, sent } = setup();
    stream.receive(vonage.connected());
    // 110 ms: five whole frames and a half, padded to six at the segment's end.
    const segment = tone(24000, 2640);
    for (let at = 0; at < segment.length; at += 480)
      stream.sendSegmentAudio('seg_1', segment.subarray(at, at + 480));
    expect(stream.endSegment('seg_1')).toBe(true);
    const out = sent(); // throws for a frame that is not exactly 640 bytes
    const frames = out.filter((o) => o.kind === 'audio');
    expect(frames).toHaveLength(6);
    expect(out.at(-1)).toEqual({
      kind: 'message',
      message: { action: 'notify', payload: { name: 'seg_1' } },
    });
    // Real audio, and silence only in the padding.
    const first = frames[0]?.kind === 'audio' ? frames[0].samples : new Int16Array(0);
    expect(Math.max(...Array.from(first.subarray(40), Math.abs))).toBeGreaterThan(4000);
    for (const o of out) for (const ack of vonage.outbound(o)) stream.receive(ack);
    expect(vonage.pendingMarks).toEqual(['seg_1']);
    clock.advance(120);
    for (const ack of vonage.play(120)) stream.receive(ack);
    expect(calls.at(-1)).toEqual({
      kind: 'mark',
      name: 'seg_1',
      info: { cleared: false, sinceSentMs: 120 },
    });
    // A second segment cut short: clear; Vonage answers websocket:cleared and no notify.
    socket.clearSent();
    stream.sendSegmentAudio('seg_2', tone(24000, 4800));
    stream.endSegment('seg_2');
    for (const o of sent()) vonage.outbound(o);
    socket.clearSent();
    stream.clear();
    expect(sent()).toEqual([{ kind: 'message', message: { action: 'clear' } }]);
    const answers = vonage.outbound({ kind: 'message', message: { action: 'clear' } });
    expect(answers).toEqual(['{"event":"websocket:cleared"}']);
    for (const ack of answers) stream.receive(ack);
    expect(stream.pendingMarks).toBe(0);
    expect(calls.filter((c) => c.kind === 'mark')).toHaveLength(1);
  });

  it('sends nothing before websocket:connected', () => {
    const { stream, socket } = setup();
    stream.sendSegmentAudio('seg_1', tone(24000, 480));
    expect(socket.sent).toEqual([]);
    expect(stream.stats.droppedSends).toBe(1);
  });
});
