import { describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import { loadDriver } from './optional-driver.js';

describe('loadDriver', () => {
  it('names the package to install when the driver is missing', async () => {
    const pkg = 'prx-voice-no-such-driver';
    const err: unknown = await loadDriver(
      pkg,
      'Redis coordination (storage.redis_url)',
      () => import(/* @vite-ignore */ pkg),
    ).catch((e: unknown) => e);
    expect(VoiceError.is(err)).toBe(true);
    const e = err as VoiceError;
    expect(e.code).toBe('STORAGE_UNAVAILABLE');
    expect(e.retryable).toBe(false);
    expect(e.message).toBe(
      `Redis coordination (storage.redis_url) needs the package ${pkg}, which is not installed: add it (npm install ${pkg})`,
    );
  });

  it('passes other failures through unchanged', async () => {
    const boom = new Error('the driver threw while loading');
    await expect(loadDriver('pg', 'PostgreSQL', () => Promise.reject(boom))).rejects.toBe(boom);
  });

  it('returns the loaded module', async () => {
    const mod = await loadDriver('kysely', 'the query builder', () => import('kysely'));
    expect(typeof mod.Kysely).toBe('function');
  });
});
