/**
 * A `Clock` whose time moves only when a test says so. Timers fire in order of
 * due time, then of scheduling; a callback sees `now()` equal to its due time.
 */
import { VoiceError } from '@prx-voice/types';
import { normalizeDelay } from '../clock.js';
import type { Clock, TimerHandle } from '../clock.js';

/** Default start: 2026-01-01T00:00:00Z. */
export const DEFAULT_SIMULATED_START = Date.UTC(2026, 0, 1);

/** Timers that may fire at one instant before the clock assumes a callback reschedules itself forever. */
const SAME_INSTANT_LIMIT = 10_000;

/** Options of {@link SimulatedClock}. */
export interface SimulatedClockOptions {
  /** Start time, epoch ms or a Date (default 2026-01-01T00:00:00Z). */
  readonly start?: number | Date;
}

/** Options of {@link SimulatedClock.runAll}. */
export interface RunAllOptions {
  /** Most timers to fire before giving up (default 10 000). */
  readonly maxTimers?: number;
}

class SimulatedTimer {
  constructor(
    readonly owner: SimulatedClock,
    readonly seq: number,
    readonly dueAt: number,
    readonly fn: () => void,
  ) {}
}

function before(a: SimulatedTimer, b: SimulatedTimer): boolean {
  return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq);
}

function invalid(message: string, details: Record<string, unknown>): VoiceError {
  return new VoiceError('VALIDATION_FAILED', { message, details });
}

/**
 * Simulated time for tests. Delays are normalized like the system clock's:
 * negative and NaN delays count as 0 (the timer fires on the next advance, even
 * `advance(0)`), and delays above 2^31 − 1 ms are refused.
 *
 * @example
 * const clock = new SimulatedClock();
 * clock.setTimeout(() => fired.push(clock.now()), 30_000);
 * clock.advance(30_000); // fired: [Date.UTC(2026, 0, 1) + 30_000]
 */
export class SimulatedClock implements Clock {
  #now: number;
  #seq = 0;
  /** Pending timers sorted by (dueAt, seq). */
  readonly #queue: SimulatedTimer[] = [];

  constructor(options: SimulatedClockOptions = {}) {
    const start =
      options.start instanceof Date
        ? options.start.getTime()
        : (options.start ?? DEFAULT_SIMULATED_START);
    if (!Number.isFinite(start))
      throw invalid('SimulatedClock start must be a finite time', { start });
    this.#now = start;
  }

  /** The simulated time, epoch ms. */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at `now() + ms` (see the class note on delays). */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = new SimulatedTimer(this, this.#seq++, this.#now + normalizeDelay(ms), fn);
    let low = 0;
    let high = this.#queue.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const other = this.#queue[mid];
      if (other !== undefined && before(other, timer)) low = mid + 1;
      else high = mid;
    }
    this.#queue.splice(low, 0, timer);
    return timer as unknown as TimerHandle;
  }

  /** Cancels a pending timer; fired, cleared or foreign handles are ignored. */
  clearTimeout(handle: TimerHandle): void {
    const timer: unknown = handle;
    if (!(timer instanceof SimulatedTimer) || timer.owner !== this) return;
    const index = this.#queue.indexOf(timer);
    if (index !== -1) this.#queue.splice(index, 1);
  }

  /** How many timers are pending. */
  get pendingCount(): number {
    return this.#queue.length;
  }

  /** Due time of the next pending timer, or `undefined` when none is pending. */
  nextDueAt(): number | undefined {
    return this.#queue[0]?.dueAt;
  }

  /**
   * Moves time forward by `ms`, firing every timer due within the window —
   * including ones scheduled by callbacks during the advance. Returns how many fired.
   *
   * @throws VoiceError `VALIDATION_FAILED` for a negative or non-finite `ms`.
   */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0)
      throw invalid(`advance() needs a finite ms >= 0, got ${ms}`, { ms });
    return this.#runUntil(this.#now + ms, Number.POSITIVE_INFINITY);
  }

  /**
   * Moves time forward to the epoch-ms instant `time`, firing due timers on the way.
   *
   * @throws VoiceError `VALIDATION_FAILED` when `time` is before `now()` or not finite.
   */
  advanceTo(time: number): number {
    if (!Number.isFinite(time) || time < this.#now) {
      throw invalid(`advanceTo() needs a finite time >= now (${this.#now}), got ${time}`, {
        time,
        now: this.#now,
      });
    }
    return this.#runUntil(time, Number.POSITIVE_INFINITY);
  }

  /**
   * Fires timers, jumping time to each due time, until none is pending.
   * Returns how many fired.
   *
   * @throws VoiceError `INTERNAL` when more than `maxTimers` fire (a timer keeps rescheduling itself).
   */
  runAll(options: RunAllOptions = {}): number {
    const maxTimers = options.maxTimers ?? 10_000;
    if (!Number.isInteger(maxTimers) || maxTimers < 0) {
      throw invalid(`runAll() needs an integer maxTimers >= 0, got ${maxTimers}`, { maxTimers });
    }
    const fired = this.#runUntil(Number.POSITIVE_INFINITY, maxTimers);
    if (this.#queue.length > 0) {
      throw new VoiceError('INTERNAL', {
        message: `runAll() fired ${fired} timers and ${this.#queue.length} are still pending; a timer probably reschedules itself forever`,
        details: { fired, pending: this.#queue.length, max_timers: maxTimers },
      });
    }
    return fired;
  }

  #runUntil(target: number, maxTimers: number): number {
    let fired = 0;
    let sameInstant = 0;
    for (;;) {
      const next = this.#queue[0];
      if (next === undefined || next.dueAt > target || fired >= maxTimers) break;
      this.#queue.shift();
      sameInstant = next.dueAt === this.#now ? sameInstant + 1 : 1;
      if (sameInstant > SAME_INSTANT_LIMIT) {
        throw new VoiceError('INTERNAL', {
          message: `More than ${SAME_INSTANT_LIMIT} timers fired at one instant; a timer probably reschedules itself with no delay`,
          details: { now: this.#now },
        });
      }
      this.#now = next.dueAt;
      fired += 1;
      next.fn();
    }
    if (Number.isFinite(target)) this.#now = target;
    return fired;
  }
}
