import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createFakeSocket } from '../testing/fake-socket.js';
import { createTwilioClientScript, parseTwilioOutbound } from '../testing/twilio-client.js';
import { createTwilioMediaStream } from './media-stream.js';
import type { TwilioMarkInfo } from './media-stream.js';
import { createSegmentMarks } from '../telephony/segment-marks.js';

/** 20 ms at 24 kHz, the engine's output rate here. */
const FRAME = 480;

function started() {
  const socket = createFakeSocket();
  const clock = new SimulatedClock();
  const echoes: { name: string; info: TwilioMarkInfo }[] = [];
  const stream = createTwilioMediaStream({
    socket,
    clock,
    engine: { inputRate: 16000, outputRate: 24000 },
    handlers: {
      onStart: () => undefined,
      onAudio: () => undefined,
      onDtmf: () => undefined,
      onMarkPlayed: (name, info) => echoes.push({ name, info }),
      onStop: () => undefined,
      onProtocolError: (error) => {
        throw error;
      },
    },
  });
  const twilio = createTwilioClientScript();
  stream.receive(twilio.connected());
  stream.receive(twilio.start());
  /** What the server sent, compactly: a run of `media` as `audio`, marks by name, `clear`. */
  const sent = (): string[] => {
    const out: string[] = [];
    for (const data of socket.sent) {
      const m = parseTwilioOutbound(data);
      const item =
        m.event === 'media' ? 'audio' : m.event === 'mark' ? `mark ${m.mark.name}` : 'clear';
      if (item !== 'audio' || out.at(-1) !== 'audio') out.push(item);
    }
    return out;
  };
  return { socket, clock, stream, twilio, echoes, sent };
}

function frame(): Int16Array {
  return new Int16Array(FRAME).fill(1000);
}

describe('createSegmentMarks', () => {
  it('names the open segment to mark when another starts, and ends each one once', () => {
    const marks = createSegmentMarks();
    expect(marks.audio('s1')).toBeUndefined();
    expect(marks.audio('s1')).toBeUndefined();
    expect(marks.audio('s2')).toBe('s1');
    expect(marks.end('s1')).toBe(false);
    expect(marks.end('s2')).toBe(true);
    expect(marks.end('s2')).toBe(false);
    expect(marks.open).toBeUndefined();
    marks.audio('s3');
    marks.reset();
    expect(marks.end('s3')).toBe(false);
  });
});

describe('Twilio media stream — a mark after every segment', () => {
  it('marks a segment when it ends, the last one included, after all its audio', () => {
    const { stream, sent } = started();
    stream.sendSegmentAudio('seg_1', frame());
    stream.sendSegmentAudio('seg_1', frame());
    expect(stream.endSegment('seg_1')).toBe(true);
    stream.sendSegmentAudio('seg_2', frame());
    expect(stream.endSegment('seg_2')).toBe(true);
    expect(sent()).toEqual(['audio', 'mark seg_1', 'audio', 'mark seg_2']);
    expect(stream.pendingMarks).toBe(2);
    // Ending again, or a segment that sent nothing, sends no second mark.
    expect(stream.endSegment('seg_2')).toBe(false);
    expect(stream.endSegment('seg_9')).toBe(false);
    expect(stream.pendingMarks).toBe(2);
  });

  it('marks the previous segment when the next one starts without an end', () => {
    const { stream, sent } = started();
    stream.sendSegmentAudio('seg_1', frame());
    stream.sendSegmentAudio('seg_2', frame());
    expect(sent()).toEqual(['audio', 'mark seg_1', 'audio']);
    expect(stream.endSegment('seg_1')).toBe(false);
    expect(stream.endSegment('seg_2')).toBe(true);
    expect(sent().at(-1)).toBe('mark seg_2');
  });

  it('sends the audio the resampler holds back before the mark', () => {
    const { stream, socket } = started();
    const audioMs = (): number =>
      socket.sent.reduce((sum: number, data) => {
        const m = parseTwilioOutbound(data);
        return sum + (m.event === 'media' ? Buffer.from(m.media.payload, 'base64').length / 8 : 0);
      }, 0);
    stream.sendSegmentAudio('seg_1', new Int16Array(600).fill(1000)); // 25 ms
    expect(audioMs()).toBeLessThan(25);
    stream.endSegment('seg_1');
    expect(audioMs()).toBe(25);
    expect(parseTwilioOutbound(socket.sent.at(-1) ?? '')).toMatchObject({ event: 'mark' });
  });

  it('a clear drops the open segment: it owes no mark, the next segment starts afresh', () => {
    const { stream, sent, socket } = started();
    stream.sendSegmentAudio('seg_1', frame());
    stream.clear();
    expect(stream.endSegment('seg_1')).toBe(false);
    socket.clearSent();
    stream.sendSegmentAudio('seg_2', frame());
    expect(stream.endSegment('seg_2')).toBe(true);
    expect(sent()).toEqual(['audio', 'mark seg_2']);
  });

  it('answers false and sends nothing when the stream cannot send', () => {
    const { stream, socket } = started();
    stream.sendSegmentAudio('seg_1', frame());
    stream.close(1000, 'bye');
    socket.clearSent();
    expect(stream.endSegment('seg_1')).toBe(false);
    stream.sendSegmentAudio('seg_2', frame());
    expect(socket.sent).toEqual([]);
    expect(stream.stats.droppedSends).toBe(2);
  });

  it('echoes from a client that plays the buffer report each segment once it was played', () => {
    const { stream, twilio, echoes, socket, clock } = started();
    const deliver = (): string[] => {
      const out = socket.sent.flatMap((data) => twilio.outbound(parseTwilioOutbound(data)));
      socket.clearSent();
      return out;
    };
    for (let i = 0; i < 5; i++) stream.sendSegmentAudio('seg_1', frame());
    stream.endSegment('seg_1');
    for (let i = 0; i < 3; i++) stream.sendSegmentAudio('seg_2', frame());
    stream.endSegment('seg_2');
    expect(deliver()).toEqual([]);
    expect(twilio.pendingMarks).toEqual(['seg_1', 'seg_2']);
    expect(twilio.bufferedMs).toBe(160);
    // Just short of seg_1's 100 ms played: no echo yet.
    expect(twilio.play(99.875)).toEqual([]);
    clock.advance(100);
    for (const echo of twilio.play(0.125)) stream.receive(echo);
    expect(echoes.map((e) => e.name)).toEqual(['seg_1']);
    expect(echoes[0]?.info).toEqual({ cleared: false, sinceSentMs: 100 });
    const last = twilio.playToMark();
    expect(last).toBeDefined();
    stream.receive(last ?? '');
    expect(echoes.map((e) => e.name)).toEqual(['seg_1', 'seg_2']);
    expect(twilio.playedMs).toBe(160);
    expect(twilio.playToMark()).toBeUndefined();
    expect(stream.pendingMarks).toBe(0);
  });

  it('on clear the client echoes the marks it dropped, flagged as cleared', () => {
    const { stream, twilio, echoes, socket } = started();
    stream.sendSegmentAudio('seg_1', frame());
    stream.endSegment('seg_1');
    stream.sendSegmentAudio('seg_2', frame());
    stream.endSegment('seg_2');
    stream.clear();
    const due = socket.sent.flatMap((data) => twilio.outbound(parseTwilioOutbound(data)));
    expect(twilio.bufferedMs).toBe(0);
    for (const echo of due) stream.receive(echo);
    expect(echoes.map((e) => [e.name, e.info.cleared])).toEqual([
      ['seg_1', true],
      ['seg_2', true],
    ]);
  });
});

describe('scripted Twilio client — playback buffer', () => {
  it('echoes a mark with nothing unplayed before it at once, and refuses a negative duration', () => {
    const twilio = createTwilioClientScript();
    const echo = twilio.outbound({
      event: 'mark',
      streamSid: twilio.streamSid,
      mark: { name: 'a' },
    });
    expect(echo.map((m) => JSON.parse(m) as unknown)).toEqual([
      { event: 'mark', sequenceNumber: '1', streamSid: twilio.streamSid, mark: { name: 'a' } },
    ]);
    expect(() => twilio.play(-1)).toThrow(RangeError);
    expect(twilio.play(Number.POSITIVE_INFINITY)).toEqual([]);
  });
});
