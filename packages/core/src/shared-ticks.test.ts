import { describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import type { Clock, TimerHandle } from './clock.js';
import { createSharedTicks } from './shared-ticks.js';
import { SimulatedClock } from './testing/index.js';

/** A simulated clock that counts the timers set on it. */
function counted(start = 1_000_000): {
  clock: Clock & { advance(ms: number): void };
  set: () => number;
} {
  const sim = new SimulatedClock({ start });
  let set = 0;
  return {
    clock: {
      now: () => sim.now(),
      setTimeout: (fn: () => void, ms: number): TimerHandle => {
        set++;
        return sim.setTimeout(fn, ms);
      },
      clearTimeout: (h: TimerHandle) => sim.clearTimeout(h),
      advance: (ms: number) => sim.advance(ms),
    },
    set: () => set,
  };
}

describe('shared ticks', () => {
  it('fires each timer at the first grid instant at or after its due time, never before', () => {
    const { clock } = counted(1_000_003);
    const ticks = createSharedTicks(clock, 5);
    const fired: [string, number][] = [];
    ticks.setTimeout(() => fired.push(['a', clock.now()]), 0); // due 1_000_003 → 1_000_005
    ticks.setTimeout(() => fired.push(['b', clock.now()]), 2); // due 1_000_005 → 1_000_005
    ticks.setTimeout(() => fired.push(['c', clock.now()]), 3); // due 1_000_006 → 1_000_010
    clock.advance(1);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([
      ['a', 1_000_005],
      ['b', 1_000_005],
    ]);
    clock.advance(4);
    expect(fired).toHaveLength(2);
    clock.advance(1);
    expect(fired.at(-1)).toEqual(['c', 1_000_010]);
  });

  it('runs many users due at one instant from one timer of the clock', () => {
    const { clock, set } = counted(2_000_000);
    const ticks = createSharedTicks(clock, 5);
    let runs = 0;
    // Forty pacers at forty phases of a 20 ms frame, each re-arming after it runs.
    const pacer = (): void => {
      runs++;
      ticks.setTimeout(pacer, 20);
    };
    for (let i = 0; i < 40; i++) ticks.setTimeout(pacer, i / 2);
    const before = set();
    clock.advance(1000);
    expect(runs).toBeGreaterThanOrEqual(40 * 49);
    // A timer per grid instant in use (every 5 ms), not one per pacer and frame.
    expect(set() - before).toBeLessThanOrEqual(1000 / 5 + 1);
  });

  it('cancels: a cleared timer never runs, others of its instant still do; an empty grid holds no timer', () => {
    const { clock } = counted(3_000_000);
    const ticks = createSharedTicks(clock, 10);
    const fired: string[] = [];
    const a = ticks.setTimeout(() => fired.push('a'), 10);
    ticks.setTimeout(() => fired.push('b'), 10);
    ticks.clearTimeout(a);
    ticks.clearTimeout(a); // twice: ignored
    clock.advance(10);
    expect(fired).toEqual(['b']);
    const c = ticks.setTimeout(() => fired.push('c'), 50);
    ticks.clearTimeout(c);
    clock.advance(100);
    expect(fired).toEqual(['b']);
  });

  it('runs a timer set while others run at the next wake, and the others despite one throwing', () => {
    const { clock } = counted(4_000_000);
    const ticks = createSharedTicks(clock, 5);
    const fired: string[] = [];
    ticks.setTimeout(() => {
      fired.push('a');
      ticks.setTimeout(() => fired.push('a-again'), 0);
      throw new Error('boom');
    }, 5);
    ticks.setTimeout(() => fired.push('b'), 5);
    expect(() => clock.advance(5)).toThrow('boom');
    expect(fired).toEqual(['a', 'b']);
    clock.advance(0);
    expect(fired).toEqual(['a', 'b', 'a-again']);
  });

  it('refuses a slot that is not 1–1000 whole ms', () => {
    const { clock } = counted();
    for (const slot of [0, -5, 2.5, 1001, Number.NaN]) {
      expect(() => createSharedTicks(clock, slot)).toThrow(VoiceError);
    }
  });
});
