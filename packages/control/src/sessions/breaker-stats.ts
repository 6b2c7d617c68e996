/**
 * What the failover machinery knows of a provider lately: each call its circuit
 * breaker saw — a success with its duration, a failure, a call refused while the
 * breaker was open — within a recent window, kept in a fixed ring (no allocation
 * per call). Read by `GET /providers/health`.
 */
import type { CircuitBreaker } from '@prx-voice/adapter';
import type { Clock } from '@prx-voice/core';

/** The window the recent calls of a provider are counted in (default 5 minutes). */
export const CALL_WINDOW_MS = 300_000;
/** Calls remembered per provider; older ones fall out even inside the window. */
export const CALL_RING_SIZE = 256;

const FAILED = -1;
const REFUSED = -2;

/** A provider's recent calls, as its breaker saw them. */
export interface CallStats {
  /** The window counted, ms. */
  readonly windowMs: number;
  /** Calls that ran (succeeded or failed). */
  readonly calls: number;
  readonly failures: number;
  /** Calls the open breaker refused (failed over without trying). */
  readonly refused: number;
  /** Failures over calls that ran; null without calls. */
  readonly errorRate: number | null;
  /** Durations of the successful calls, ms; null without any. */
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
  /** Epoch ms of the last failure in the window. */
  readonly lastFailureAt: number | null;
}

/** A breaker that remembers its recent calls. */
export interface RecordedBreaker extends CircuitBreaker {
  /** The calls within the window, now. */
  stats(): CallStats;
}

function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? null;
}

/** Wraps `breaker` so its calls are remembered; its behaviour is unchanged. */
export function recordCalls(
  breaker: CircuitBreaker,
  clock: Pick<Clock, 'now'>,
  windowMs = CALL_WINDOW_MS,
): RecordedBreaker {
  const at = new Float64Array(CALL_RING_SIZE);
  const outcome = new Float64Array(CALL_RING_SIZE);
  let next = 0;
  let count = 0;
  const remember = (value: number): void => {
    at[next] = clock.now();
    outcome[next] = value;
    next = (next + 1) % CALL_RING_SIZE;
    count = Math.min(count + 1, CALL_RING_SIZE);
  };
  return {
    get state() {
      return breaker.state;
    },
    tryAcquire() {
      const acquired = breaker.tryAcquire();
      if (!acquired) remember(REFUSED);
      return acquired;
    },
    onSuccess(latencyMs) {
      remember(Math.max(0, latencyMs));
      breaker.onSuccess(latencyMs);
    },
    onFailure() {
      remember(FAILED);
      breaker.onFailure();
    },
    stats() {
      const since = clock.now() - windowMs;
      const latencies: number[] = [];
      let failures = 0;
      let refused = 0;
      let lastFailureAt: number | null = null;
      for (let i = 0; i < count; i++) {
        const t = at[i] ?? 0;
        if (t <= since) continue;
        const v = outcome[i] ?? 0;
        if (v === REFUSED) refused++;
        else if (v === FAILED) {
          failures++;
          lastFailureAt = Math.max(lastFailureAt ?? t, t);
        } else latencies.push(v);
      }
      latencies.sort((a, b) => a - b);
      const calls = latencies.length + failures;
      return {
        windowMs,
        calls,
        failures,
        refused,
        errorRate: calls === 0 ? null : failures / calls,
        latencyP50Ms: percentile(latencies, 0.5),
        latencyP95Ms: percentile(latencies, 0.95),
        lastFailureAt,
      };
    },
  };
}
