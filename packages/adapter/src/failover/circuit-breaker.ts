import type { Clock } from '@prx-voice/core';

/** A breaker's state: closed (normal), open (failing fast), half-open (probing). */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** Settings of a {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  readonly clock: Pick<Clock, 'now'>;
  /** Failures (errors or slow calls) within `windowMs` that open the breaker (default 3). */
  readonly failureThreshold?: number;
  /** The window failures are counted in, ms (default 30 000). */
  readonly windowMs?: number;
  /** How long an open breaker rejects calls before probing, ms (default 15 000). */
  readonly openMs?: number;
  /** A success slower than this counts as a failure, ms (default: none). */
  readonly slowCallMs?: number;
  /** Called on every state change. */
  readonly onStateChange?: (from: BreakerState, to: BreakerState) => void;
}

/** A circuit breaker for one provider. */
export interface CircuitBreaker {
  readonly state: BreakerState;
  /** Whether a call may start now (an open breaker past `openMs` lets one probe through). */
  tryAcquire(): boolean;
  /** The call succeeded, taking `latencyMs`. */
  onSuccess(latencyMs: number): void;
  /** The call failed. */
  onFailure(): void;
}

/**
 * Creates a breaker: closed until `failureThreshold` failures fall within
 * `windowMs`; then open, rejecting calls for `openMs`; then half-open, where
 * one probe decides: success closes it, failure opens it again.
 *
 * @example
 * const breaker = createCircuitBreaker({ clock, failureThreshold: 3 });
 * if (breaker.tryAcquire()) { try { await call(); breaker.onSuccess(ms) } catch { breaker.onFailure() } }
 */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const threshold = options.failureThreshold ?? 3;
  const windowMs = options.windowMs ?? 30_000;
  const openMs = options.openMs ?? 15_000;
  let state: BreakerState = 'closed';
  let failures: number[] = [];
  let openedAt = 0;
  let probing = false;
  const move = (to: BreakerState): void => {
    if (to === state) return;
    const from = state;
    state = to;
    options.onStateChange?.(from, to);
  };
  const fail = (): void => {
    const now = options.clock.now();
    if (state === 'half_open') {
      probing = false;
      openedAt = now;
      move('open');
      return;
    }
    failures = failures.filter((t) => now - t < windowMs);
    failures.push(now);
    if (failures.length >= threshold) {
      failures = [];
      openedAt = now;
      move('open');
    }
  };
  return {
    get state() {
      return state;
    },
    tryAcquire() {
      if (state === 'closed') return true;
      if (state === 'open') {
        if (options.clock.now() - openedAt < openMs) return false;
        move('half_open');
      }
      if (probing) return false;
      probing = true;
      return true;
    },
    onSuccess(latencyMs) {
      if (options.slowCallMs !== undefined && latencyMs > options.slowCallMs) {
        fail();
        return;
      }
      if (state === 'half_open') {
        probing = false;
        failures = [];
        move('closed');
      }
    },
    onFailure: fail,
  };
}
