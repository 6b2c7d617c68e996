import { describe, expect, it } from 'vitest';
import { parseConfig, rolloutBucket } from '@prx-voice/core';
import { SESSION_FEATURES, sessionConfigFor } from './session-features.js';

const runtime = { hostname: 'test', pid: 1 };

describe('session feature flags', () => {
  it('leave the session defaults alone when not configured', () => {
    const config = parseConfig({}, { runtime });
    expect(sessionConfigFor(config.session, config.features, 'ten_1')).toEqual(config.session);
  });

  it('decide their setting per tenant: allow list, rollout share, or off', () => {
    const config = parseConfig(
      {
        features: {
          speculative_endpointing: { enabled: true, tenants: ['ten_allowed'] },
          interruptions: { enabled: false },
        },
      },
      { runtime },
    );
    const allowed = sessionConfigFor(config.session, config.features, 'ten_allowed');
    expect(allowed.endpointing.speculative).toBe(true);
    expect(allowed.interrupt_enabled).toBe(false);
    const other = sessionConfigFor(config.session, config.features, 'ten_other');
    expect(other.endpointing.speculative).toBe(false);
    // The rest of the section is the config's.
    expect(other.endpointing.min_delay_ms).toBe(config.session.endpointing.min_delay_ms);
  });

  it('roll out to a stable share of tenants', () => {
    const config = parseConfig(
      { features: { speculative_endpointing: { enabled: true, percentage: 50 } } },
      { runtime },
    );
    for (const tenant of ['ten_a', 'ten_b', 'ten_c', 'ten_d']) {
      const inside = rolloutBucket('speculative_endpointing', tenant) < 50;
      expect(
        sessionConfigFor(config.session, config.features, tenant).endpointing.speculative,
      ).toBe(inside);
    }
  });

  it('are the ones the README lists', () => {
    expect(Object.keys(SESSION_FEATURES)).toEqual(['speculative_endpointing', 'interruptions']);
  });
});
