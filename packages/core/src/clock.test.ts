import { VoiceError } from '@prx-voice/types';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSystemClock, MAX_TIMER_DELAY_MS, normalizeDelay, systemClock } from './clock.js';

describe('normalizeDelay', () => {
  it('treats negative and NaN delays as 0 and keeps others', () => {
    expect(normalizeDelay(-5)).toBe(0);
    expect(normalizeDelay(Number.NaN)).toBe(0);
    expect(normalizeDelay(0)).toBe(0);
    expect(normalizeDelay(12.5)).toBe(12.5);
    expect(normalizeDelay(MAX_TIMER_DELAY_MS)).toBe(MAX_TIMER_DELAY_MS);
  });

  it('refuses delays Node would silently turn into 1 ms', () => {
    for (const ms of [MAX_TIMER_DELAY_MS + 1, Number.POSITIVE_INFINITY]) {
      expect(() => normalizeDelay(ms)).toThrow(VoiceError);
      try {
        normalizeDelay(ms);
      } catch (error) {
        expect(VoiceError.is(error) && error.code).toBe('VALIDATION_FAILED');
      }
    }
  });
});

describe('systemClock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads Date.now()', () => {
    expect(systemClock.now()).toBe(Date.UTC(2026, 0, 1));
  });

  it('schedules and cancels through the global timers', () => {
    const fired: string[] = [];
    systemClock.setTimeout(() => fired.push('a'), 100);
    const b = systemClock.setTimeout(() => fired.push('b'), 50);
    systemClock.setTimeout(() => fired.push('negative'), -10);
    systemClock.clearTimeout(b);
    vi.advanceTimersByTime(99);
    expect(fired).toEqual(['negative']);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['negative', 'a']);
  });

  it('unrefs timers only when asked', () => {
    const plain = systemClock.setTimeout(() => undefined, 10) as unknown as NodeJS.Timeout;
    const unrefd = createSystemClock({ unref: true }).setTimeout(
      () => undefined,
      10,
    ) as unknown as NodeJS.Timeout;
    expect(plain.hasRef()).toBe(true);
    expect(unrefd.hasRef()).toBe(false);
  });
});
