/** Counting protocol errors in a sliding time window, to close on repeated abuse. */
import type { Clock } from '@prx-voice/core';

/** Tracks error times; see {@link createErrorWindow}. */
export interface ErrorWindow {
  /** Records one error now; true when more than `max` fell within the window. */
  record(): boolean;
  /** Errors recorded within the window ending now. */
  count(): number;
}

/**
 * Creates a sliding window that trips when more than `max` errors occur within
 * `windowMs` by `clock`. Keeps the last `max + 1` times in a ring; no allocation per error.
 */
export function createErrorWindow(options: {
  readonly clock: Clock;
  readonly max: number;
  readonly windowMs: number;
}): ErrorWindow {
  const { clock, max, windowMs } = options;
  const times = new Float64Array(max + 1);
  let next = 0;
  let stored = 0;
  return {
    record: () => {
      const now = clock.now();
      times[next] = now;
      next = (next + 1) % times.length;
      if (stored < times.length) stored++;
      // With the ring full, `next` now points at the oldest of the last max + 1.
      return stored === times.length && now - (times[next] as number) < windowMs;
    },
    count: () => {
      const now = clock.now();
      let n = 0;
      for (let i = 0; i < stored; i++) if (now - (times[i] as number) < windowMs) n++;
      return n;
    },
  };
}
