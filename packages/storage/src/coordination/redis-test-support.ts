/**
 * Helpers for Redis integration tests (exported from `@prx-voice/storage/testing`):
 * whether to run them, a random key prefix per run, and cleanup by prefix.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { VoiceError } from '@prx-voice/types';

/** Whether Redis integration tests run, and against which URL. */
export type RedisTestTarget =
  | { readonly kind: 'available'; readonly url: string }
  | { readonly kind: 'skipped'; readonly reason: string };

function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/**
 * Reads `REDIS_URL`: the URL when set; when unset, a skip reason — except under
 * `CI`, where it throws so the suite fails instead of silently skipping.
 *
 * @example
 * const target = redisTestTarget();
 * describe.skipIf(target.kind === 'skipped')('redis', () => { … });
 */
export function redisTestTarget(
  env: Readonly<Record<string, string | undefined>> = process.env,
): RedisTestTarget {
  const url = env['REDIS_URL'];
  if (url !== undefined && url !== '') return { kind: 'available', url };
  if (isSet(env['CI'])) {
    throw new VoiceError('CONFIG_INVALID', {
      message:
        'REDIS_URL is not set but CI is: Redis integration tests must run in CI, not be skipped',
    });
  }
  return { kind: 'skipped', reason: 'REDIS_URL is not set' };
}

/** A fresh key prefix such as `prx-test:3f9a0c1b2d4e:`, so concurrent runs never share keys. */
export function randomKeyPrefix(label = 'test'): string {
  return `prx-${label}:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key starting with `prefix` (SCAN + UNLINK); returns how many. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
