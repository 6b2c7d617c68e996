/** Checking the protocol's sequencing guarantee on a list of events. */
import type { AnyVoiceEvent } from '../voice-event.js';

/** Options of {@link assertGapFree}. */
export interface AssertGapFreeOptions {
  /** The `prxseq` each session's events must start at; default 1. */
  readonly from?: number;
}

/**
 * Throws unless, for every session among `events`, the `prxseq`s are exactly
 * `from, from + 1, …` in the order given (no gap, no repeat, no reordering).
 *
 * @example
 * assertGapFree(await log.readAfter(tenantId, sessionId, 0, 10_000));
 */
export function assertGapFree(
  events: Iterable<AnyVoiceEvent>,
  options: AssertGapFreeOptions = {},
): void {
  const from = options.from ?? 1;
  const next = new Map<string, number>();
  let i = 0;
  for (const event of events) {
    const key = `${event.prxtenantid}/${event.prxsessionid}`;
    const expected = next.get(key) ?? from;
    if (event.prxseq !== expected) {
      throw new Error(
        `prxseq not gap-free: event #${i} (${event.type}, ${event.id}) of session ${event.prxsessionid} has prxseq ${event.prxseq}, expected ${expected}`,
      );
    }
    next.set(key, expected + 1);
    i++;
  }
}
