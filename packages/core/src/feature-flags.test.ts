import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import { createFeatureFlags, rolloutBucket } from './feature-flags.js';

const tenants = Array.from({ length: 10_000 }, (_, index) => `tenant_${index.toString(36)}`);

describe('createFeatureFlags', () => {
  it('turns unknown flags off and says so', () => {
    const flags = createFeatureFlags({});
    expect(flags.isEnabled('nope', { tenantId: 't1' })).toBe(false);
    expect(flags.explain('nope')).toMatchObject({
      flag: 'nope',
      enabled: false,
      reason: 'unknown_flag',
    });
    expect(flags.explain('nope').text).toContain('no such flag');
  });

  it('turns a disabled flag off for everyone, allow-listed tenants included', () => {
    const flags = createFeatureFlags({ f: { enabled: false, tenants: ['t1'], percentage: 100 } });
    expect(flags.isEnabled('f', { tenantId: 't1' })).toBe(false);
    expect(flags.isEnabled('f')).toBe(false);
    expect(flags.explain('f', { tenantId: 't1' }).reason).toBe('disabled');
  });

  it('turns a flag with neither list nor percentage on for everyone', () => {
    const flags = createFeatureFlags({ f: { enabled: true } });
    expect(flags.isEnabled('f')).toBe(true);
    expect(flags.isEnabled('f', { tenantId: 'any' })).toBe(true);
    expect(flags.explain('f').reason).toBe('everyone');
  });

  it('limits a flag with only an allow-list to the listed tenants', () => {
    const flags = createFeatureFlags({
      f: { enabled: true, tenants: ['t1', 't2'] },
      none: { enabled: true, tenants: [] },
    });
    expect(flags.isEnabled('f', { tenantId: 't1' })).toBe(true);
    expect(flags.explain('f', { tenantId: 't1' }).reason).toBe('allow_list');
    expect(flags.isEnabled('f', { tenantId: 't3' })).toBe(false);
    expect(flags.explain('f', { tenantId: 't3' }).reason).toBe('not_listed');
    expect(flags.isEnabled('f')).toBe(false);
    expect(flags.isEnabled('none', { tenantId: 't1' })).toBe(false);
  });

  it('gives the allow-list precedence over the percentage', () => {
    const outside = tenants.find((tenant) => rolloutBucket('f', tenant) >= 1);
    if (outside === undefined) throw new Error('no tenant outside a 1% rollout');
    const flags = createFeatureFlags({
      f: { enabled: true, percentage: 1, tenants: [outside] },
      g: { enabled: true, percentage: 1 },
    });
    expect(flags.isEnabled('f', { tenantId: outside })).toBe(true);
    expect(flags.explain('f', { tenantId: outside }).reason).toBe('allow_list');
    expect(flags.isEnabled('g', { tenantId: outside })).toBe(false);
    expect(flags.explain('g', { tenantId: outside })).toMatchObject({
      reason: 'outside_rollout',
      bucket: rolloutBucket('g', outside),
    });
  });

  it('needs a tenant for a partial rollout, but not at 0 or 100', () => {
    const flags = createFeatureFlags({
      half: { enabled: true, percentage: 50 },
      all: { enabled: true, percentage: 100 },
      zero: { enabled: true, percentage: 0 },
    });
    expect(flags.isEnabled('half')).toBe(false);
    expect(flags.explain('half').reason).toBe('no_tenant');
    expect(flags.isEnabled('all')).toBe(true);
    expect(flags.isEnabled('zero')).toBe(false);
    expect(tenants.slice(0, 500).every((tenantId) => flags.isEnabled('all', { tenantId }))).toBe(
      true,
    );
    expect(tenants.slice(0, 500).some((tenantId) => flags.isEnabled('zero', { tenantId }))).toBe(
      false,
    );
  });

  it('gives the same tenant the same answer every time and from every instance', () => {
    const a = createFeatureFlags({ f: { enabled: true, percentage: 37 } });
    const b = createFeatureFlags({ f: { enabled: true, percentage: 37 } });
    for (const tenantId of tenants.slice(0, 1_000)) {
      const first = a.isEnabled('f', { tenantId });
      expect(a.isEnabled('f', { tenantId })).toBe(first);
      expect(b.isEnabled('f', { tenantId })).toBe(first);
    }
  });

  it('only adds tenants when the percentage rises', () => {
    const steps = [0, 5, 10, 30, 50, 75, 99, 100];
    let previous = new Set<string>();
    for (const percentage of steps) {
      const flags = createFeatureFlags({ f: { enabled: true, percentage } });
      const enabled = new Set(tenants.filter((tenantId) => flags.isEnabled('f', { tenantId })));
      for (const tenantId of previous) expect(enabled.has(tenantId)).toBe(true);
      expect(enabled.size).toBeGreaterThanOrEqual(previous.size);
      previous = enabled;
    }
    expect(previous.size).toBe(tenants.length);
  });

  it.each([1, 10, 30, 50, 90])('enables about %d%% of 10 000 tenants (±2%%)', (percentage) => {
    const flags = createFeatureFlags({ f: { enabled: true, percentage } });
    const share =
      (tenants.filter((tenantId) => flags.isEnabled('f', { tenantId })).length / tenants.length) *
      100;
    expect(Math.abs(share - percentage)).toBeLessThanOrEqual(2);
  });

  it('buckets tenants independently per flag', () => {
    const a = createFeatureFlags({ a: { enabled: true, percentage: 50 } });
    const b = createFeatureFlags({ b: { enabled: true, percentage: 50 } });
    const same = tenants.filter(
      (tenantId) => a.isEnabled('a', { tenantId }) === b.isEnabled('b', { tenantId }),
    ).length;
    expect(same / tenants.length).toBeGreaterThan(0.45);
    expect(same / tenants.length).toBeLessThan(0.55);
  });

  it('keeps buckets in [0, 100) and stable across releases', () => {
    expect(rolloutBucket('flag', 'tenant')).toBeCloseTo(rolloutBucket('flag', 'tenant'), 12);
    // Pinned: changing the hash would silently reshuffle every rollout.
    expect(rolloutBucket('semantic_vad', 'acme').toFixed(6)).toBe('64.186894');
    for (const tenantId of tenants.slice(0, 1_000)) {
      const bucket = rolloutBucket('f', tenantId);
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(100);
    }
  });

  it('rejects invalid definitions with VALIDATION_FAILED', () => {
    const attempt = (definitions: unknown) => () =>
      createFeatureFlags(definitions as Parameters<typeof createFeatureFlags>[0]);
    for (const bad of [
      { f: { enabled: true, percentage: 150 } },
      { f: { percentage: 10 } },
      { 'Bad Name': { enabled: true } },
      { f: { enabled: 'yes' } },
    ]) {
      try {
        attempt(bad)();
        throw new Error(`accepted ${JSON.stringify(bad)}`);
      } catch (error) {
        expect(VoiceError.is(error) && error.code).toBe('VALIDATION_FAILED');
      }
    }
  });
});
