/**
 * Samples what the degradation controller decides on — the event loop's delay (p99
 * since the last sample), live sessions against the instance's capacity, heap use, the
 * provider error rate and the confirmed error-budget burn — every `everyMs` on the
 * clock, and feeds the controller.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { Clock, TimerHandle } from '@prx-voice/core';
import type { DegradationController, DegradationSignals } from '@prx-voice/observe';

/** How often the signals are sampled (default). */
export const DEGRADATION_SAMPLE_MS = 5_000;

/** A running sampler. */
export interface DegradationSampler {
  /** Takes one sample now (also what the timer does). */
  sample(): void;
  /** The signals of the last sample (zeros before the first). */
  readonly last: DegradationSignals;
  stop(): void;
}

/** Starts sampling. */
export function startDegradationSampler(opts: {
  readonly clock: Clock;
  readonly controller: DegradationController;
  /** Live sessions over capacity, 0…1+. */
  readonly load: () => number;
  /** Failed provider requests over all since the last sample (undefined: too few to tell). */
  readonly providerErrorRate?: () => number | undefined;
  /** The factor of the strongest SLO burn alert tier firing (0: none). */
  readonly burnRate?: () => number;
  readonly everyMs?: number;
  /** Signals to use instead of the measured ones (tests). */
  readonly signals?: () => DegradationSignals;
}): DegradationSampler {
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const everyMs = opts.everyMs ?? DEGRADATION_SAMPLE_MS;
  let timer: TimerHandle | undefined;
  let stopped = false;
  const measured = (): DegradationSignals => {
    const heap = getHeapStatistics();
    const p99 = lag.count > 0 ? lag.percentile(99) / 1e6 : 0;
    lag.reset();
    const errorRate = opts.providerErrorRate?.();
    return {
      eventLoopLagMs: p99,
      load: opts.load(),
      heap: heap.heap_size_limit > 0 ? heap.used_heap_size / heap.heap_size_limit : 0,
      ...(errorRate === undefined ? {} : { providerErrorRate: errorRate }),
      ...(opts.burnRate === undefined ? {} : { burnRate: opts.burnRate() }),
    };
  };
  let last: DegradationSignals = { eventLoopLagMs: 0, load: 0, heap: 0 };
  const sample = (): void => {
    last = opts.signals?.() ?? measured();
    opts.controller.update(last);
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = opts.clock.setTimeout(() => {
      sample();
      schedule();
    }, everyMs);
  };
  schedule();
  return {
    sample,
    get last() {
      return last;
    },
    stop() {
      stopped = true;
      if (timer !== undefined) opts.clock.clearTimeout(timer);
      lag.disable();
    },
  };
}
