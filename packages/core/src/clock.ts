/**
 * The injectable source of time. Code that waits or timestamps takes a `Clock`,
 * so tests run on simulated time (`SimulatedClock` from `@prx-voice/core/testing`).
 */
import { VoiceError } from '@prx-voice/types';

declare const timerHandleBrand: unique symbol;

/** An opaque timer handle; only the clock that issued it can clear it. */
export interface TimerHandle {
  /** Brand; a handle has no usable members. */
  readonly [timerHandleBrand]: true;
}

/** Time and timers. */
export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds; see {@link normalizeDelay}. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a pending timer; unknown or already-fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** Longest delay a timer accepts: Node's limit, 2^31 − 1 ms (about 24.8 days). */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * The delay a clock actually uses: negative and NaN delays become 0 (Node runs
 * them as soon as possible too); delays above {@link MAX_TIMER_DELAY_MS}, or
 * infinite, are refused instead of silently firing at once as Node would.
 *
 * @throws VoiceError `VALIDATION_FAILED` for a delay that is too long.
 */
export function normalizeDelay(ms: number): number {
  if (Number.isNaN(ms) || ms < 0) return 0;
  if (ms > MAX_TIMER_DELAY_MS) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Timer delay ${ms} ms is longer than the maximum of ${MAX_TIMER_DELAY_MS} ms`,
      details: { ms, max_ms: MAX_TIMER_DELAY_MS },
    });
  }
  return ms;
}

/** Options of {@link createSystemClock}. */
export interface SystemClockOptions {
  /** Unref each timer so a pending one does not keep the process alive (default false). */
  readonly unref?: boolean;
}

/**
 * A clock on the real time and Node's timers.
 *
 * @example
 * const clock = createSystemClock({ unref: true });
 * const handle = clock.setTimeout(() => sweep(), 60_000);
 */
export function createSystemClock(options: SystemClockOptions = {}): Clock {
  const unref = options.unref ?? false;
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => {
      const timer = globalThis.setTimeout(fn, normalizeDelay(ms));
      if (unref) timer.unref();
      return timer as unknown as TimerHandle;
    },
    clearTimeout: (handle) => {
      globalThis.clearTimeout(handle as unknown as NodeJS.Timeout);
    },
  };
}

/** The real clock; its timers keep the process alive like plain `setTimeout`. */
export const systemClock: Clock = createSystemClock();
