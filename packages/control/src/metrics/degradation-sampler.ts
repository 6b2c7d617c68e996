/**
 * Samples what the degradation controller decides on — the event loop's delay (p99
 * since the last sample), live sessions against the instance's capacity, heap use, the
 * provider error rate and the confirmed error-budget burn — every `everyMs` on the
 * clock, and feeds the controller. The event loop's delay counts only when sustained
 * (see {@link sustainedLag}): one stall — start-up loading modules and probing engines, a
 * long GC — must not put a healthy instance at L4.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { Clock, TimerHandle } from '@prx-voice/core';
import type { DegradationController, DegradationSignals } from '@prx-voice/observe';

/** How often the signals are sampled (default). */
export const DEGRADATION_SAMPLE_MS = 5_000;

/**
 * A filter of the event loop's p99 delay per sample: what the controller is told is
 * the lower of this sample's and the previous one's, so lag counts when it lasts two
 * samples (10 s by default), and the first sample after start-up counts as 0.
 *
 * @example
 * const lagOf = sustainedLag(); lagOf(900) === 0; lagOf(150) === 150; lagOf(20) === 20;
 */
export function sustainedLag(): (p99Ms: number) => number {
  let previous: number | undefined;
  return (p99Ms) => {
    const sustained = previous === undefined ? 0 : Math.min(previous, p99Ms);
    previous = p99Ms;
    return sustained;
  };
}

/** A running sampler. */
export interface DegradationSampler {
  /** Takes one sample now (also what the timer does). */
  sample(): void;
  /** The signals of the last sample, the event loop's delay as measured (zeros before the first). */
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
  const lagOf = sustainedLag();
  const sample = (): void => {
    const injected = opts.signals?.();
    last = injected ?? measured();
    opts.controller.update(injected ?? { ...last, eventLoopLagMs: lagOf(last.eventLoopLagMs) });
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
