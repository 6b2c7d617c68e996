import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { DEGRADATION_ACTIONS, createDegradationController } from './degradation.js';
import type { DegradationChange, DegradationSignals } from './degradation.js';

const calm: DegradationSignals = { eventLoopLagMs: 10, load: 0.1, heap: 0.3 };

describe('degradation controller', () => {
  it('climbs at once to the highest level any signal reaches, and comes down one level per dwell', () => {
    const clock = new SimulatedClock();
    const changes: DegradationChange[] = [];
    const c = createDegradationController({
      clock,
      minDwellMs: 30_000,
      onChange: (x) => changes.push(x),
    });
    expect(c.update(calm)).toBe(0);
    expect(c.update({ ...calm, eventLoopLagMs: 300 })).toBe(2);
    expect(c.update({ ...calm, load: 1.0 })).toBe(4);
    expect(changes.map((x) => [x.from, x.to, x.signal])).toEqual([
      [0, 2, 'eventLoopLagMs'],
      [2, 4, 'load'],
    ]);
    // Cleared, but the level holds for its dwell…
    clock.advance(29_999);
    expect(c.update(calm)).toBe(4);
    clock.advance(1);
    // … then comes down one level per dwell.
    expect(c.update(calm)).toBe(3);
    expect(c.update(calm)).toBe(3);
    for (const expected of [2, 1, 0]) {
      clock.advance(30_000);
      expect(c.update(calm)).toBe(expected);
    }
    expect(changes.at(-1)).toMatchObject({ from: 1, to: 0 });
  });

  it('does not come down while a signal hovers just under the threshold (hysteresis)', () => {
    const clock = new SimulatedClock();
    const c = createDegradationController({ clock, minDwellMs: 1_000, hysteresis: 0.2 });
    expect(c.update({ ...calm, heap: 0.81 })).toBe(2);
    clock.advance(5_000);
    // 0.79 is under L2's 0.8 but not by 20 %: L2 holds.
    expect(c.update({ ...calm, heap: 0.79 })).toBe(2);
    expect(c.update({ ...calm, heap: 0.63 })).toBe(1);
  });

  it('takes provider errors into account when measured, and ignores what is not a number', () => {
    const clock = new SimulatedClock();
    const c = createDegradationController({ clock });
    expect(c.update({ ...calm, providerErrorRate: Number.NaN })).toBe(0);
    expect(c.update({ ...calm, providerErrorRate: 0.12 })).toBe(1);
    // However bad a provider gets, it is fallbacks and less work, never refusing everyone.
    expect(c.update({ ...calm, providerErrorRate: 1 })).toBe(2);
  });

  it('climbs with a confirmed error-budget burn up to L3, never to L4', () => {
    const clock = new SimulatedClock();
    const c = createDegradationController({ clock });
    expect(c.update({ ...calm, burnRate: 2 })).toBe(0);
    expect(c.update({ ...calm, burnRate: 6.5 })).toBe(2);
    expect(c.update({ ...calm, burnRate: 1000 })).toBe(3);
  });

  it('does more at each level than at the one below', () => {
    for (const l of [1, 2, 3, 4] as const) {
      const below = DEGRADATION_ACTIONS[(l - 1) as 0 | 1 | 2 | 3];
      const at = DEGRADATION_ACTIONS[l];
      expect(at.tenantRateFactor).toBeLessThanOrEqual(below.tenantRateFactor);
      expect(at.agentContextMessages ?? Infinity).toBeLessThanOrEqual(
        below.agentContextMessages ?? Infinity,
      );
      if (below.dropDebugEvents) expect(at.dropDebugEvents).toBe(true);
    }
    expect(DEGRADATION_ACTIONS[4].shedNewSessions).toBe(true);
    expect(DEGRADATION_ACTIONS[3].shedNewSessions).toBe(false);
  });
});
