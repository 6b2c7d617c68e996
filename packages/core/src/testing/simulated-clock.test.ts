import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SIMULATED_START, SimulatedClock } from './simulated-clock.js';

const T0 = Date.UTC(2026, 0, 1);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return VoiceError.is(error) ? error.code : 'not a VoiceError';
  }
  return undefined;
}

describe('SimulatedClock', () => {
  it('starts at 2026-01-01T00:00:00Z unless told otherwise', () => {
    expect(DEFAULT_SIMULATED_START).toBe(T0);
    expect(new SimulatedClock().now()).toBe(T0);
    expect(new SimulatedClock({ start: 5 }).now()).toBe(5);
    expect(new SimulatedClock({ start: new Date('2030-06-01T12:00:00Z') }).now()).toBe(
      Date.UTC(2030, 5, 1, 12),
    );
    expect(codeOf(() => new SimulatedClock({ start: Number.NaN }))).toBe('VALIDATION_FAILED');
  });

  it('moves only when advanced, and fires timers at their due time', () => {
    const clock = new SimulatedClock();
    const seen: number[] = [];
    clock.setTimeout(() => seen.push(clock.now()), 30_000);
    expect(clock.advance(29_999)).toBe(0);
    expect(seen).toEqual([]);
    expect(clock.now()).toBe(T0 + 29_999);
    expect(clock.advance(1)).toBe(1);
    expect(seen).toEqual([T0 + 30_000]);
  });

  it('fires in order of due time, then of scheduling, with now() at each due time', () => {
    const clock = new SimulatedClock({ start: 0 });
    const order: string[] = [];
    const at = (name: string) => () => order.push(`${name}@${clock.now()}`);
    clock.setTimeout(at('c'), 30);
    clock.setTimeout(at('a1'), 10);
    clock.setTimeout(at('b'), 20);
    clock.setTimeout(at('a2'), 10);
    clock.setTimeout(at('a3'), 10);
    expect(clock.advance(100)).toBe(5);
    expect(order).toEqual(['a1@10', 'a2@10', 'a3@10', 'b@20', 'c@30']);
    expect(clock.now()).toBe(100);
  });

  it('fires timers scheduled by callbacks when they fall due within the window', () => {
    const clock = new SimulatedClock({ start: 0 });
    const order: string[] = [];
    clock.setTimeout(() => {
      order.push(`outer@${clock.now()}`);
      clock.setTimeout(() => order.push(`inner@${clock.now()}`), 5);
      clock.setTimeout(() => order.push(`late@${clock.now()}`), 100);
      clock.setTimeout(() => order.push(`now@${clock.now()}`), 0);
    }, 10);
    clock.setTimeout(() => order.push(`sibling@${clock.now()}`), 10);
    clock.advance(20);
    expect(order).toEqual(['outer@10', 'sibling@10', 'now@10', 'inner@15']);
    expect(clock.pendingCount).toBe(1);
    expect(clock.nextDueAt()).toBe(110);
  });

  it('runs a timer that reschedules itself at every period within the window', () => {
    const clock = new SimulatedClock({ start: 0 });
    const ticks: number[] = [];
    const tick = (): void => {
      ticks.push(clock.now());
      clock.setTimeout(tick, 250);
    };
    clock.setTimeout(tick, 250);
    clock.advance(1_000);
    expect(ticks).toEqual([250, 500, 750, 1_000]);
  });

  it('cancels timers, also from inside a callback due at the same instant', () => {
    const clock = new SimulatedClock({ start: 0 });
    const fired: string[] = [];
    const b = clock.setTimeout(() => fired.push('b'), 10);
    clock.setTimeout(() => {
      fired.push('a');
      clock.clearTimeout(b);
      clock.clearTimeout(c);
    }, 5);
    const c = clock.setTimeout(() => fired.push('c'), 5);
    const d = clock.setTimeout(() => fired.push('d'), 1);
    clock.clearTimeout(d);
    expect(clock.pendingCount).toBe(3);
    clock.advance(50);
    expect(fired).toEqual(['a']);
    expect(clock.pendingCount).toBe(0);
  });

  it('ignores clearing fired, cleared, self and foreign handles', () => {
    const clock = new SimulatedClock({ start: 0 });
    const other = new SimulatedClock({ start: 0 });
    const foreign = other.setTimeout(() => undefined, 5);
    const handles: Array<ReturnType<SimulatedClock['setTimeout']>> = [];
    handles.push(
      clock.setTimeout(() => {
        for (const handle of handles) clock.clearTimeout(handle);
      }, 1),
    );
    clock.clearTimeout(foreign);
    expect(other.pendingCount).toBe(1);
    expect(clock.advance(1)).toBe(1);
    for (const handle of handles) clock.clearTimeout(handle);
    expect(clock.pendingCount).toBe(0);
  });

  it('treats negative and NaN delays as 0', () => {
    const clock = new SimulatedClock({ start: 0 });
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), -100);
    clock.setTimeout(() => fired.push(clock.now()), Number.NaN);
    expect(clock.nextDueAt()).toBe(0);
    expect(clock.advance(0)).toBe(2);
    expect(fired).toEqual([0, 0]);
    expect(codeOf(() => clock.setTimeout(() => undefined, Number.POSITIVE_INFINITY))).toBe(
      'VALIDATION_FAILED',
    );
  });

  it('advances to an absolute time, never backwards', () => {
    const clock = new SimulatedClock({ start: 1_000 });
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 500);
    expect(clock.advanceTo(1_500)).toBe(1);
    expect(clock.now()).toBe(1_500);
    expect(fired).toEqual([1_500]);
    expect(codeOf(() => clock.advanceTo(1_499))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => clock.advance(-1))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => clock.advance(Number.NaN))).toBe('VALIDATION_FAILED');
    expect(clock.now()).toBe(1_500);
  });

  it('runAll jumps from timer to timer until none is pending', () => {
    const clock = new SimulatedClock({ start: 0 });
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 1_000);
    }, 60_000);
    clock.setTimeout(() => fired.push(clock.now()), 5);
    expect(clock.nextDueAt()).toBe(5);
    expect(clock.runAll()).toBe(3);
    expect(fired).toEqual([5, 60_000, 61_000]);
    expect(clock.now()).toBe(61_000);
    expect(clock.pendingCount).toBe(0);
    expect(clock.nextDueAt()).toBeUndefined();
  });

  it('runAll stops a timer that reschedules itself forever', () => {
    const clock = new SimulatedClock({ start: 0 });
    let count = 0;
    const again = (): void => {
      count += 1;
      clock.setTimeout(again, 10);
    };
    clock.setTimeout(again, 10);
    expect(codeOf(() => clock.runAll({ maxTimers: 50 }))).toBe('INTERNAL');
    expect(count).toBe(50);
    expect(codeOf(() => clock.runAll({ maxTimers: -1 }))).toBe('VALIDATION_FAILED');
  });

  it('stops a zero-delay loop instead of hanging', () => {
    const clock = new SimulatedClock({ start: 0 });
    const spin = (): void => {
      clock.setTimeout(spin, 0);
    };
    clock.setTimeout(spin, 0);
    expect(codeOf(() => clock.advance(1))).toBe('INTERNAL');
  });

  it('lets an exception from a callback propagate with time at its due time', () => {
    const clock = new SimulatedClock({ start: 0 });
    const fired: string[] = [];
    clock.setTimeout(() => {
      throw new Error('boom');
    }, 10);
    clock.setTimeout(() => fired.push('after'), 20);
    expect(() => clock.advance(100)).toThrow('boom');
    expect(clock.now()).toBe(10);
    clock.advance(90);
    expect(fired).toEqual(['after']);
  });
});
