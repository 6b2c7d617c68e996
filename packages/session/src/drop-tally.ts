/**
 * Totals of discarded audio, kept outside the reducer (the audio path must not
 * allocate or step per frame): the first drop of a window arms one timer, and
 * when it fires each non-zero total is reported as one input.
 */
import type { Clock, TimerHandle } from '@prx-voice/core';
import type { AudioDropReason, SessionInput } from './model.js';

/** How long drops are totalled before they are reported, ms. */
export const DROP_REPORT_WINDOW_MS = 1000;

const DIRECTIONS = ['inbound', 'outbound'] as const;
const REASONS: readonly AudioDropReason[] = ['backpressure', 'invalid_audio', 'paused', 'late'];

/** The running totals of one session. */
export interface DropTally {
  /** Counts one discarded frame of `samples` samples. */
  add(direction: 'inbound' | 'outbound', reason: AudioDropReason, samples: number): void;
  /** Reports what is pending now (before the session ends). */
  flush(): void;
  /** Stops the timer; later drops are ignored. */
  close(): void;
}

/** Creates a session's drop tally. */
export function createDropTally(opts: {
  readonly clock: Clock;
  readonly inputRate: number;
  readonly outputRate: number;
  readonly report: (input: Extract<SessionInput, { type: 'audio_dropped' }>) => void;
  readonly windowMs?: number;
}): DropTally {
  // [direction × reason] slots, allocated once.
  const frames = new Float64Array(DIRECTIONS.length * REASONS.length);
  const samples = new Float64Array(DIRECTIONS.length * REASONS.length);
  let timer: TimerHandle | null = null;
  let closed = false;

  const flush = (): void => {
    if (timer !== null) opts.clock.clearTimeout(timer);
    timer = null;
    for (let d = 0; d < DIRECTIONS.length; d++) {
      const direction = DIRECTIONS[d] ?? 'inbound';
      const rate = direction === 'inbound' ? opts.inputRate : opts.outputRate;
      for (let r = 0; r < REASONS.length; r++) {
        const slot = d * REASONS.length + r;
        const count = frames[slot] ?? 0;
        if (count === 0) continue;
        const durationMs = ((samples[slot] ?? 0) * 1000) / rate;
        frames[slot] = 0;
        samples[slot] = 0;
        opts.report({
          type: 'audio_dropped',
          direction,
          reason: REASONS[r] ?? 'late',
          frames: count,
          durationMs,
        });
      }
    }
  };

  return {
    add(direction, reason, count) {
      if (closed) return;
      const slot = (direction === 'inbound' ? 0 : 1) * REASONS.length + REASONS.indexOf(reason);
      frames[slot] = (frames[slot] ?? 0) + 1;
      samples[slot] = (samples[slot] ?? 0) + count;
      timer ??= opts.clock.setTimeout(flush, opts.windowMs ?? DROP_REPORT_WINDOW_MS);
    },
    flush,
    close() {
      closed = true;
      if (timer !== null) opts.clock.clearTimeout(timer);
      timer = null;
    },
  };
}
