/**
 * Redis key names of the coordinator. Every name is `<prefix><kind>:{<name>}`:
 * the caller's key sits inside a hash tag, so under Redis Cluster everything
 * derived from one caller key (its lease set, counter, bucket, stream) hashes to
 * the same slot and a future multi-key script stays possible. One Redis key per
 * operation today, so scripts never span slots.
 *
 * | kind | Redis type | contents |
 * |---|---|---|
 * | `lease:{k}` | sorted set | member = holder, score = expiresAt (clock ms) |
 * | `counter:{k}` | hash | `v` = value, `exp` = window end (clock ms, optional) |
 * | `bucket:{k}` | hash | `mtokens` (thousandths of a token), `updatedAt` (clock ms) |
 * | `stream:{s}` | stream | entry id `<position>-0`, field `p` = payload |
 * | `chan:{c}` | pub/sub channel | string messages |
 */
import { VoiceError } from '@prx-voice/types';

/** Prefix used when none is configured. */
export const DEFAULT_KEY_PREFIX = 'prx:';

/** Maps coordinator names to Redis key and channel names. */
export interface RedisKeyspace {
  /** The prefix every name starts with. */
  readonly prefix: string;
  /** Sorted set of a lease key. */
  lease(key: string): string;
  /** Hash of a counter. */
  counter(key: string): string;
  /** Hash of a token bucket. */
  bucket(key: string): string;
  /** Redis stream of a coordinator stream. */
  stream(name: string): string;
  /** Pub/sub channel. */
  channel(name: string): string;
}

/**
 * Builds the key names under `prefix` (default `prx:`); the prefix must not contain
 * `{` or `}`, which would move the hash tag.
 *
 * @example
 * createRedisKeyspace('prx:').lease('tenant:t1:sessions'); // 'prx:lease:{tenant:t1:sessions}'
 */
export function createRedisKeyspace(prefix: string = DEFAULT_KEY_PREFIX): RedisKeyspace {
  if (/[{}]/.test(prefix)) {
    throw new VoiceError('CONFIG_INVALID', {
      message:
        'The coordination key prefix must not contain "{" or "}" (they delimit the Redis Cluster hash tag)',
      details: { keyPrefix: prefix },
    });
  }
  const name = (kind: string) => (value: string) => `${prefix}${kind}:{${value}}`;
  return {
    prefix,
    lease: name('lease'),
    counter: name('counter'),
    bucket: name('bucket'),
    stream: name('stream'),
    channel: name('chan'),
  };
}
