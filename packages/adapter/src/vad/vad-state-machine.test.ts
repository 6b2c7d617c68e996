import { describe, expect, it } from 'vitest';
import type { VadEvent } from '../interfaces.js';
import { createVadStateMachine } from './vad-state-machine.js';
import type { VadStateMachineOptions } from './vad-state-machine.js';

const OPTIONS: VadStateMachineOptions = {
  threshold: 0.5,
  minSpeechMs: 100,
  minSilenceMs: 100,
  minVolume: 0.01,
};

/** Feeds 20 ms frames of (probability, rms) and returns [frame end, event] pairs. */
function feed(
  frames: readonly (readonly [number, number])[],
  options = OPTIONS,
): { events: [number, VadEvent][]; states: string[] } {
  const machine = createVadStateMachine(options);
  const events: [number, VadEvent][] = [];
  const states: string[] = [];
  for (const [probability, level] of frames) {
    const event = machine.process(probability, level, 20);
    if (event !== undefined) events.push([machine.timeMs, event]);
    states.push(machine.state);
  }
  return { events, states };
}

const speech = (n: number, p = 0.9): [number, number][] =>
  Array.from({ length: n }, () => [p, 0.1]);
const silence = (n: number): [number, number][] => Array.from({ length: n }, () => [0.1, 0.1]);

describe('createVadStateMachine', () => {
  it('walks quiet → starting → speaking → stopping → quiet with timestamps at the run starts', () => {
    const { events, states } = feed([...silence(3), ...speech(10), ...silence(6)]);
    expect(states).toEqual([
      ...Array<string>(3).fill('quiet'),
      ...Array<string>(4).fill('starting'),
      ...Array<string>(6).fill('speaking'),
      ...Array<string>(4).fill('stopping'),
      'quiet',
      'quiet',
    ]);
    expect(events).toEqual([
      [160, { type: 'speech_start', atMs: 60, probability: 0.9 }],
      [360, { type: 'speech_end', atMs: 260, speechMs: 200 }],
    ]);
  });

  it('drops a speech run shorter than minSpeechMs once its dip outlasts its speech', () => {
    const { events, states } = feed([...speech(4), ...silence(10)]);
    expect(events).toEqual([]);
    // 80 ms of speech: a dip of up to 80 ms (within maxDipMs 100) might still be a syllable gap.
    expect(states.slice(4, 9)).toEqual(Array<string>(4).fill('starting').concat('quiet'));
  });

  it('starts through syllable dips: voiced time counts, the run keeps its start', () => {
    // 60 ms voiced, 40 ms dip, 60 ms voiced, 80 ms dip, 40 ms voiced: 160 ms voiced over 280 ms.
    const { events } = feed(
      [
        ...silence(2),
        ...speech(3),
        ...silence(2),
        ...speech(3),
        ...silence(4),
        ...speech(2, 0.7),
        ...silence(20),
      ],
      { ...OPTIONS, minSpeechMs: 160 },
    );
    expect(events).toEqual([
      // The mean probability is that of the speech frames: (0.9 × 120 + 0.7 × 40) / 160.
      [320, { type: 'speech_start', atMs: 40, probability: expect.closeTo(0.85, 10) as number }],
      [420, { type: 'speech_end', atMs: 320, speechMs: 280 }],
    ]);
  });

  it('drops the run at a dip longer than maxDipMs, or whose dips outlast its speech', () => {
    expect(feed([...speech(4), ...silence(6), ...speech(4), ...silence(10)]).events).toEqual([]);
    // maxDipMs 60: the 80 ms dip ends the first run; the second is too short on its own.
    expect(
      feed([...speech(3), ...silence(4), ...speech(3), ...silence(10)], {
        ...OPTIONS,
        maxDipMs: 60,
      }).events,
    ).toEqual([]);
    // A click train: 20 ms clicks 80 ms apart never add up, each dip being longer than the speech.
    const clicks = Array.from({ length: 20 }, () => [...speech(1), ...silence(3)]).flat();
    expect(feed(clicks).events).toEqual([]);
  });

  it('with maxDipMs 0, any non-speech frame drops the starting run', () => {
    const options = { ...OPTIONS, maxDipMs: 0 };
    expect(
      feed([...speech(4), ...silence(1), ...speech(4), ...silence(10)], options).events,
    ).toEqual([]);
    expect(feed([...speech(4), ...silence(1), ...speech(5)], options).events).toEqual([
      [200, { type: 'speech_start', atMs: 100, probability: 0.9 }],
    ]);
  });

  it('does not split speech at a dip shorter than minSilenceMs', () => {
    const { events } = feed([...speech(10), ...silence(4), ...speech(10), ...silence(5)]);
    expect(events).toEqual([
      [100, { type: 'speech_start', atMs: 0, probability: 0.9 }],
      [580, { type: 'speech_end', atMs: 480, speechMs: 480 }],
    ]);
  });

  it('counts a frame as speech only when both probability and volume reach their floors', () => {
    const quietButConfident: [number, number][] = Array.from({ length: 20 }, () => [0.99, 0.005]);
    expect(feed(quietButConfident).events).toEqual([]);
    const atThresholds: [number, number][] = Array.from({ length: 5 }, () => [0.5, 0.01]);
    expect(feed(atThresholds).events).toEqual([
      [100, { type: 'speech_start', atMs: 0, probability: 0.5 }],
    ]);
  });

  it('reports the mean probability of the starting run', () => {
    const { events } = feed([
      [0.6, 0.1],
      [0.8, 0.1],
      [1, 0.1],
      [0.6, 0.1],
      [1, 0.1],
    ]);
    expect(events[0]?.[1]).toMatchObject({ type: 'speech_start', atMs: 0 });
    expect((events[0]?.[1] as { probability: number }).probability).toBeCloseTo(0.8, 10);
  });

  it('with zero durations, starts and ends on the first frame; reset() starts over', () => {
    const machine = createVadStateMachine({ ...OPTIONS, minSpeechMs: 0, minSilenceMs: 0 });
    expect(machine.process(0.9, 0.1, 32)).toEqual({
      type: 'speech_start',
      atMs: 0,
      probability: 0.9,
    });
    expect(machine.process(0, 0, 32)).toEqual({ type: 'speech_end', atMs: 32, speechMs: 32 });
    expect(machine.probability).toBe(0);
    machine.process(0.9, 0.1, 32);
    machine.reset();
    expect([machine.state, machine.timeMs, machine.probability]).toEqual(['quiet', 0, 0]);
  });
});
