import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createSloTracker } from './slo.js';

describe('SLO burn rates', () => {
  it('burns the error budget per window, and fires the fast-burn page only when both windows burn', async () => {
    const clock = new SimulatedClock({ start: Date.UTC(2026, 11, 6) });
    const registry = new Registry();
    const slo = createSloTracker({ clock, registry });
    // An hour of healthy traffic: 1000 sessions a minute, none failing.
    for (let m = 0; m < 60; m++) {
      for (let i = 0; i < 100; i++) slo.record('availability', true);
      clock.advance(60_000);
    }
    expect(slo.burnRate('availability', '1h')).toBe(0);
    // Then 5 minutes at 2 % errors: 20× the 0.1 % budget over 5 m, under 14.4× over the hour.
    for (let m = 0; m < 5; m++) {
      for (let i = 0; i < 100; i++) slo.record('availability', i >= 2);
      clock.advance(60_000);
    }
    expect(slo.burnRate('availability', '5m')).toBeCloseTo(20, 5);
    const hour = slo.burnRate('availability', '1h');
    expect(hour).toBeGreaterThan(1);
    expect(hour).toBeLessThan(14.4);
    let report = slo.report().find((r) => r.name === 'availability');
    expect(report?.alerts.map((a) => a.long)).not.toContain('1h');
    expect(slo.firingFactor()).toBeLessThan(14.4);
    // It goes on: the hour catches up and the page fires.
    for (let m = 0; m < 50; m++) {
      clock.advance(60_000);
      for (let i = 0; i < 100; i++) slo.record('availability', i >= 2);
    }
    report = slo.report().find((r) => r.name === 'availability');
    expect(report?.alerts).toContainEqual({
      severity: 'page',
      long: '1h',
      short: '5m',
      factor: 14.4,
    });
    expect(slo.firingFactor()).toBe(14.4);
    expect(await registry.metrics()).toMatch(
      /prx_voice_slo_burn_rate\{slo="availability",window="5m"\} (19\.9|20)/,
    );
  });

  it('does not call a handful of failures a burn worth degrading for', () => {
    const clock = new SimulatedClock({ start: Date.UTC(2026, 11, 6) });
    const slo = createSloTracker({ clock });
    slo.record('availability', true);
    slo.record('availability', false);
    expect(slo.burnRate('availability', '5m')).toBeCloseTo(500, 6);
    expect(slo.firingFactor()).toBe(0);
    for (let i = 0; i < 18; i++) slo.record('availability', false);
    expect(slo.firingFactor()).toBe(14.4);
  });

  it('counts latency objectives against their thresholds and ignores unknown names', () => {
    const clock = new SimulatedClock();
    const slo = createSloTracker({ clock });
    slo.recordLatency('tts_first_audio', 450);
    slo.recordLatency('tts_first_audio', 650);
    slo.record('no_such_slo', false);
    const tts = slo.report().find((r) => r.name === 'tts_first_audio');
    expect(tts).toMatchObject({ good: 1, total: 2, threshold_ms: 500 });
    expect(tts?.burn_rates['5m']).toBeCloseTo(10, 5); // 50 % errors over a 5 % budget
    // Three days later the minute buckets have been reused: nothing left.
    clock.advance(72 * 3_600_000);
    expect(slo.report().find((r) => r.name === 'tts_first_audio')?.total).toBe(0);
  });
});
