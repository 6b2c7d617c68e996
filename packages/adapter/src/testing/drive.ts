/**
 * Driving async code on a SimulatedClock: let every pending callback and
 * promise run, then move time to the next timer, until the work is done.
 */
import type { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';

/** Resolves after every promise callback queued so far (and those they queue) has run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(resolve);
  });
}

/** Options of {@link drainOnClock}. */
export interface DrainOnClockOptions<T> {
  /** Called with each item as it arrives, at its simulated time. */
  readonly onItem?: (item: T, index: number) => void;
  /** Most timers to fire before giving up (default 10 000). */
  readonly maxTimers?: number;
}

/**
 * Collects an async iterable whose waits are timers of `clock`: whenever the
 * iteration is blocked, time jumps to the next due timer. Rejects with the
 * iteration's error, or with `INTERNAL` when it waits while no timer is pending
 * (it would never finish).
 *
 * @example
 * const clock = new SimulatedClock();
 * const events = await drainOnClock(createMockAgent({ clock }).run(request), clock);
 */
export async function drainOnClock<T>(
  source: AsyncIterable<T>,
  clock: SimulatedClock,
  options: DrainOnClockOptions<T> = {},
): Promise<T[]> {
  const items: T[] = [];
  let outcome: { readonly error: unknown } | 'done' | undefined;
  void (async () => {
    try {
      for await (const item of source) {
        options.onItem?.(item, items.length);
        items.push(item);
      }
      outcome = 'done';
    } catch (error) {
      outcome = { error };
    }
  })();
  const maxTimers = options.maxTimers ?? 10_000;
  for (let fired = 0; ; fired += 1) {
    await settle();
    if (outcome === 'done') return items;
    if (outcome !== undefined) throw outcome.error as Error;
    const due = clock.nextDueAt();
    if (due === undefined) {
      throw new VoiceError('INTERNAL', {
        message: `The iteration is waiting after ${items.length} items but no timer is pending`,
      });
    }
    if (fired >= maxTimers) {
      throw new VoiceError('INTERNAL', { message: `Gave up after ${maxTimers} timers` });
    }
    clock.advanceTo(due);
  }
}
