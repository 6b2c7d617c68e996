/**
 * Timers of many users on one grid: each timer fires at the first grid instant (a multiple
 * of `slotMs` on the clock) at or after its due time, and every timer due at the same
 * instant runs from one timer of the underlying clock. Many sessions' pacers, each waking
 * every 20 ms at its own phase, then wake the process once per slot instead of once each —
 * fewer wake-ups, timer-list operations and microtask drains — at the cost of firing up to
 * `slotMs` after the time asked (a user that must not be late asks that much sooner).
 */
import { VoiceError } from '@prx-voice/types';
import { normalizeDelay } from './clock.js';
import type { Clock, TimerHandle } from './clock.js';

/** A clock whose timers fire on a shared grid. */
export interface SharedTicks extends Clock {
  /** The grid's step: how late, at most, a timer fires after its due time (before loop lag). */
  readonly slotMs: number;
}

interface Entry {
  readonly fn: () => void;
  readonly slot: number;
}

/**
 * Creates shared ticks over `clock` (its `now`, and one of its timers at a time).
 *
 * @example
 * const ticks = createSharedTicks(systemClock, 5);
 * ticks.setTimeout(sendFrame, 18); // runs at the next multiple of 5 ms at or after now + 18
 */
export function createSharedTicks(clock: Clock, slotMs: number): SharedTicks {
  if (!Number.isInteger(slotMs) || slotMs < 1 || slotMs > 1000) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Shared ticks need a slot of 1–1000 whole ms, not ${String(slotMs)}.`,
      details: { slot_ms: slotMs },
    });
  }
  /** Pending timers by the grid instant they fire at, each in the order they were set. */
  const slots = new Map<number, Set<Entry>>();
  let timer: TimerHandle | undefined;
  let armedFor: number | undefined;

  function arm(): void {
    let earliest = Number.POSITIVE_INFINITY;
    for (const slot of slots.keys()) if (slot < earliest) earliest = slot;
    if (armedFor === earliest) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    armedFor = undefined;
    if (earliest === Number.POSITIVE_INFINITY) return;
    armedFor = earliest;
    timer = clock.setTimeout(fire, earliest - clock.now());
  }

  function fire(): void {
    timer = undefined;
    armedFor = undefined;
    const now = clock.now();
    const due = [...slots.keys()].filter((slot) => slot <= now).sort((a, b) => a - b);
    const failures: unknown[] = [];
    for (const slot of due) {
      const entries = slots.get(slot);
      slots.delete(slot);
      // Timers set meanwhile for this instant are in a new set: they run on the next wake.
      for (const entry of entries ?? []) {
        try {
          entry.fn();
        } catch (err) {
          failures.push(err);
        }
      }
    }
    arm();
    // A throwing callback fails as on the clock's own timer, once the others have run.
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, 'shared tick callbacks failed');
  }

  return {
    slotMs,
    now: () => clock.now(),
    setTimeout(fn, ms) {
      const dueAt = clock.now() + normalizeDelay(ms);
      const slot = Math.ceil(dueAt / slotMs) * slotMs;
      const entry: Entry = { fn, slot };
      let set = slots.get(slot);
      if (set === undefined) {
        set = new Set();
        slots.set(slot, set);
      }
      set.add(entry);
      if (armedFor === undefined || slot < armedFor) arm();
      return entry as unknown as TimerHandle;
    },
    clearTimeout(handle) {
      const entry = handle as unknown as Entry;
      const set = slots.get(entry.slot);
      if (set === undefined || !set.delete(entry)) return;
      if (set.size === 0) {
        slots.delete(entry.slot);
        // The underlying timer stays for a later slot; an empty grid needs none.
        if (slots.size === 0) arm();
      }
    },
  };
}
