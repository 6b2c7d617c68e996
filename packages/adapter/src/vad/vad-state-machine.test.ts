import { describe, expect, it } from 'vitest';
import type { VadEvent } from '../interfaces.js';
import { createVadStateMachine } from './vad-state-machine.js';

const OPTIONS = { threshold: 0.5, minSpeechMs: 100, minSilenceMs: 100, minVolume: 0.01 };

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

  it('drops a speech run shorter than minSpeechMs', () => {
    const { events, states } = feed([...speech(4), ...silence(10)]);
    expect(events).toEqual([]);
    expect(states.at(4)).toBe('quiet');
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
