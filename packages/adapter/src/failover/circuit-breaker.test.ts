import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createCircuitBreaker } from './circuit-breaker.js';

describe('circuit breaker', () => {
  it('opens after the threshold within the window, probes after openMs, closes on a good probe', () => {
    const clock = new SimulatedClock();
    const changes: string[] = [];
    const b = createCircuitBreaker({
      clock,
      failureThreshold: 3,
      windowMs: 10_000,
      openMs: 5000,
      onStateChange: (f, t) => changes.push(`${f}>${t}`),
    });
    b.onFailure();
    clock.advance(11_000); // the first failure leaves the window
    b.onFailure();
    b.onFailure();
    expect(b.state).toBe('closed');
    b.onFailure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    clock.advance(5000);
    expect(b.tryAcquire()).toBe(true);
    expect(b.state).toBe('half_open');
    expect(b.tryAcquire()).toBe(false); // one probe at a time
    b.onSuccess(10);
    expect(b.state).toBe('closed');
    expect(changes).toEqual(['closed>open', 'open>half_open', 'half_open>closed']);
  });

  it('reopens on a failed probe and counts slow calls as failures', () => {
    const clock = new SimulatedClock();
    const b = createCircuitBreaker({ clock, failureThreshold: 2, openMs: 1000, slowCallMs: 500 });
    b.onSuccess(900);
    b.onSuccess(600);
    expect(b.state).toBe('open');
    clock.advance(1000);
    expect(b.tryAcquire()).toBe(true);
    b.onFailure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
  });
});
