import { describe, expect, it } from 'vitest';
import type { VoiceError } from '@prx-voice/types';
import { TIER_LIMITS, effectiveLimits, limitsOfTenant, parseLimitOverrides } from './tiers.js';

describe('tiers', () => {
  it('have the contract’s concurrency and duration limits', () => {
    expect(
      [TIER_LIMITS.trial, TIER_LIMITS.starter, TIER_LIMITS.growth, TIER_LIMITS.enterprise].map(
        (l) => [l.concurrentSessions, l.maxSessionDurationS],
      ),
    ).toEqual([
      [2, 300],
      [20, 1800],
      [100, 3600],
      [500, 7200],
    ]);
  });

  it('apply per-tenant overrides, including lifting a budget to unlimited', () => {
    const l = effectiveLimits('starter', { concurrent_sessions: 35, monthly_tokens: null });
    expect(l.concurrentSessions).toBe(35);
    expect(l.monthlyTokens).toBeNull();
    expect(l.monthlyCharacters).toBe(TIER_LIMITS.starter.monthlyCharacters);
    expect(
      limitsOfTenant({ tier: 'trial', limits: { max_session_duration_s: 600 } })
        .maxSessionDurationS,
    ).toBe(600);
  });

  it('reject unknown keys, bad values and unknown tiers', () => {
    for (const bad of [
      { concurrent: 3 },
      { concurrent_sessions: -1 },
      { concurrent_sessions: 1.5 },
      { monthly_tokens: 'lots' },
    ]) {
      try {
        parseLimitOverrides(bad);
        expect.unreachable(JSON.stringify(bad));
      } catch (err) {
        expect((err as VoiceError).code).toBe('VALIDATION_FAILED');
      }
    }
    expect(() => limitsOfTenant({ tier: 'platinum', limits: {} })).toThrow(
      /unknown tier "platinum"/,
    );
  });
});
