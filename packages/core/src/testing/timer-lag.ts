/**
 * How late this thread's timers fire: the benchmarks' reading of an event loop
 * under load (a stalled loop delays every session's audio on it).
 */

/** What {@link sampleTimerLag} saw. */
export interface TimerLag {
  /** 99th percentile (nearest rank) of the lateness, ms. */
  readonly p99Ms: number;
  /** The longest single stall, ms. */
  readonly maxMs: number;
}

/**
 * Samples this thread's timer lateness every `tickMs` (real time) until `stop()`.
 *
 * @example
 * const loop = sampleTimerLag();
 * await runLoad();
 * const { p99Ms, maxMs } = loop.stop();
 */
export function sampleTimerLag(tickMs = 1): { stop(): TimerLag } {
  const lags: number[] = [];
  let due = performance.now() + tickMs;
  const tick = (): void => {
    const now = performance.now();
    lags.push(Math.max(0, now - due));
    due = now + tickMs;
    timer = setTimeout(tick, tickMs);
  };
  let timer = setTimeout(tick, tickMs);
  return {
    stop() {
      clearTimeout(timer);
      lags.push(Math.max(0, performance.now() - due));
      const sorted = lags.sort((a, b) => a - b);
      const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)] ?? 0;
      return { p99Ms: p99, maxMs: sorted.at(-1) ?? 0 };
    },
  };
}
