/**
 * A breaker's recent calls on simulated time: successes with their durations,
 * failures, calls refused while open, the window they fall out of, and the
 * breaker's own behaviour unchanged.
 */
import { describe, expect, it } from 'vitest';
import { createCircuitBreaker } from '@prx-voice/adapter';
import { SimulatedClock } from '@prx-voice/core/testing';
import { CALL_RING_SIZE, recordCalls } from './breaker-stats.js';

describe('recordCalls', () => {
  it('counts calls, failures and refusals in the window, and percentiles of durations', () => {
    const clock = new SimulatedClock({ start: 1_000_000 });
    const b = recordCalls(createCircuitBreaker({ clock, failureThreshold: 2 }), clock, 10_000);
    expect(b.stats()).toMatchObject({ calls: 0, errorRate: null, latencyP50Ms: null });
    for (const ms of [10, 20, 30, 40, 100]) {
      expect(b.tryAcquire()).toBe(true);
      b.onSuccess(ms);
    }
    b.onFailure();
    clock.advance(1_000);
    b.onFailure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    expect(b.stats()).toEqual({
      windowMs: 10_000,
      calls: 7,
      failures: 2,
      refused: 1,
      errorRate: 2 / 7,
      latencyP50Ms: 30,
      latencyP95Ms: 100,
      lastFailureAt: 1_001_000,
    });
    clock.advance(9_500); // the first five calls and the first failure fall out
    expect(b.stats()).toMatchObject({ calls: 1, failures: 1, refused: 1, errorRate: 1 });
    clock.advance(1_000);
    expect(b.stats()).toMatchObject({ calls: 0, failures: 0, refused: 0, lastFailureAt: null });
  });

  it('keeps only the last ring of calls', () => {
    const clock = new SimulatedClock();
    const b = recordCalls(createCircuitBreaker({ clock }), clock);
    for (let i = 0; i < CALL_RING_SIZE + 10; i++) b.onSuccess(i);
    const s = b.stats();
    expect(s.calls).toBe(CALL_RING_SIZE);
    expect(s.latencyP50Ms).toBeGreaterThanOrEqual(10 + CALL_RING_SIZE / 2 - 1);
  });
});
