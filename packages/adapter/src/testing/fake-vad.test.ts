import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import type { VadEvent, VadOptions } from '../interfaces.js';
import { createFakeVad } from './fake-vad.js';

const OPTIONS: VadOptions = {
  sampleRate: 16000,
  threshold: 0.5,
  minSpeechMs: 250,
  minSilenceMs: 500,
  minVolume: 0,
};
const FRAME = new Int16Array(320);

describe('createFakeVad', () => {
  it('emits each event when the pushed audio reaches its time, with the state following', () => {
    const clock = new SimulatedClock();
    const vad = createFakeVad({
      clock,
      steps: [
        { event: { type: 'speech_start', atMs: 100, probability: 0.9 }, atAudioMs: 350 },
        { event: { type: 'speech_end', atMs: 900, speechMs: 800 } },
      ],
    });
    const seen: [number, VadEvent][] = [];
    let pushedMs = 0;
    const stream = vad.open(OPTIONS, (event) => seen.push([pushedMs, event]));
    for (let i = 0; i < 60; i++) {
      pushedMs += 20;
      stream.push(FRAME);
      if (pushedMs === 400) expect([stream.state, stream.probability]).toEqual(['speaking', 0.9]);
    }
    expect(seen).toEqual([
      [360, { type: 'speech_start', atMs: 100, probability: 0.9 }],
      [900, { type: 'speech_end', atMs: 900, speechMs: 800 }],
    ]);
    expect(stream.state).toBe('quiet');
    expect(vad.streams[0]).toMatchObject({ audioMs: 1200, closed: false });
  });

  it('delays delivery on the clock and reports a scripted error, closing the stream', () => {
    const clock = new SimulatedClock();
    const failure = new VoiceError('PROVIDER_ERROR');
    const vad = createFakeVad({
      clock,
      steps: [
        { event: { type: 'speech_start', atMs: 0, probability: 1 }, delayMs: 30 },
        { error: failure, atAudioMs: 100 },
        { event: { type: 'speech_end', atMs: 200, speechMs: 200 } },
      ],
    });
    const events: VadEvent[] = [];
    const errors: VoiceError[] = [];
    const stream = vad.open(
      OPTIONS,
      (e) => events.push(e),
      (e) => errors.push(e),
    );
    stream.push(FRAME);
    expect(events).toEqual([]);
    clock.advance(30);
    expect(events.map((e) => e.type)).toEqual(['speech_start']);
    for (let i = 0; i < 20; i++) stream.push(FRAME);
    expect(errors).toEqual([failure]);
    expect(events).toHaveLength(1);
    expect(vad.streams[0]?.closed).toBe(true);
  });

  it('cancels delayed events on close()', () => {
    const clock = new SimulatedClock();
    const vad = createFakeVad({
      clock,
      steps: [{ event: { type: 'speech_start', atMs: 0, probability: 1 }, delayMs: 30 }],
    });
    const events: VadEvent[] = [];
    const stream = vad.open(OPTIONS, (e) => events.push(e));
    stream.push(FRAME);
    stream.close();
    expect(clock.pendingCount).toBe(0);
    clock.advance(100);
    expect(events).toEqual([]);
  });
});
