/**
 * The Redis coordinator: the production backend shared by every instance.
 * Read-modify-write operations run as Lua scripts (EVALSHA, falling back to
 * EVAL when the script cache is cold); key layout in `redis-keys.ts`, scripts in
 * `redis-scripts.ts`. Every key also carries a PEXPIRE safety net so abandoned
 * keys vanish; it never fires before the key's own clock-based logic would.
 */
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { Clock } from '@prx-voice/core';
import { VoiceError } from '@prx-voice/types';
import {
  checkAcquire,
  checkAppend,
  checkIncrement,
  checkName,
  checkReadAfter,
  checkRenew,
  checkTakeTokens,
  checkTrim,
  closedError,
} from './coordination-args.js';
import { DEFAULT_STREAM_RETENTION_MS } from './coordinator.js';
import type { Coordinator, Lease, StreamEntry } from './coordinator.js';
import { isNoScriptError, toVoiceError } from './redis-errors.js';
import { createRedisKeyspace } from './redis-keys.js';
import { replyArray, replyFlag, replyInteger, replyNumber, replyString } from './redis-replies.js';
import {
  ACQUIRE_LEASE,
  APPEND,
  INCREMENT,
  LAST_POSITION,
  LIST_LEASES,
  RELEASE_LEASE,
  RENEW_LEASE,
  TAKE_TOKENS,
} from './redis-scripts.js';
import type { LuaScript } from './redis-scripts.js';
import { quitConnection, RedisSubscriptions } from './redis-subscriptions.js';

/** Extra real time a key outlives its clock-based expiry (tolerates clock skew between instances). */
const SAFETY_MARGIN_MS = 60_000;

/** How long a coordination command may go unanswered before it fails (ioredis `commandTimeout`). */
const COMMAND_TIMEOUT_MS = 1_000;

/**
 * Connection defaults when the coordinator opens the connection from a URL: fail fast instead
 * of queueing for long.
 * - `commandTimeout`: a command without an answer fails after 1 s. A Redis that hangs (stopped,
 *   or a half-open connection) leaves the socket open, so nothing else would ever fail it: every
 *   request needing coordination (rate limits, admission) would hang for the whole outage.
 * - No offline queue and no resending after a reconnect: a command is only sent while connected
 *   (each operation waits for the connection first, see `connectionGate`), so a command that
 *   failed — its caller told so — is never sent later behind the caller's back, when Redis is
 *   back (a usage increment counted after the budget was seeded again, a seeding marker taken
 *   by nobody). What Redis received before it hung may still run when it resumes: a failure is
 *   "unknown", never retried blindly.
 * - `retryStrategy`: reconnect every 50 ms more, at most 500 ms apart (ioredis: 2 s), so after
 *   Redis restarts every instance and subscriber is back within half a second of each other.
 */
export const URL_CONNECTION_DEFAULTS: RedisOptions = {
  maxRetriesPerRequest: 2,
  connectTimeout: 5_000,
  commandTimeout: COMMAND_TIMEOUT_MS,
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  retryStrategy: (times: number) => Math.min(times * 50, 500),
};

/**
 * Lets operations wait for `redis` to be connected and ready: `wait(ms)` resolves at once when
 * it is, else when it becomes so (connecting it when it waits for a first command), and
 * rejects when it is not within `ms` or has ended. One listener per event, however many wait.
 */
export function connectionGate(redis: Redis): { wait(timeoutMs: number): Promise<void> } {
  const waiters = new Set<(err?: Error) => void>();
  const settle = (err?: Error): void => {
    for (const w of [...waiters]) w(err);
  };
  redis.on('ready', () => {
    settle();
  });
  redis.on('end', () => {
    settle(new Error('Connection is closed.'));
  });
  return {
    wait(timeoutMs) {
      if (redis.status === 'ready') return Promise.resolve();
      if (redis.status === 'end') return Promise.reject(new Error('Connection is closed.'));
      if (redis.status === 'wait') redis.connect().catch(() => undefined);
      return new Promise((resolve, reject) => {
        const waiter = (err?: Error): void => {
          clearTimeout(timer);
          waiters.delete(waiter);
          if (err === undefined) resolve();
          else reject(err);
        };
        const timer = setTimeout(() => {
          waiter(new Error(`not connected within ${String(timeoutMs)} ms (${redis.status})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}

/** Options of {@link createRedisCoordinator}. */
export interface RedisCoordinatorOptions {
  /** Source of time for lease expiry, counter windows and token refill (passed into the scripts). */
  readonly clock: Clock;
  /** `redis://` or `rediss://` URL; give this or `redis`. */
  readonly url?: string;
  /** An existing connection; the coordinator takes it over and `close()` quits it. */
  readonly redis?: Redis;
  /** ioredis options for a connection opened from `url` (merged over fail-fast defaults). */
  readonly redisOptions?: RedisOptions;
  /** Prefix of every key and channel (default `prx:`; no braces). */
  readonly keyPrefix?: string;
  /** Real-time expiry of a stream after its last append (default 24 h). */
  readonly streamRetentionMs?: number;
  /** Receives background errors: subscriber connection errors and handler exceptions (default: ignored). */
  readonly onError?: (error: VoiceError) => void;
}

function openConnection(
  options: RedisCoordinatorOptions,
  onError: (error: VoiceError) => void,
): Redis {
  if ((options.url === undefined) === (options.redis === undefined)) {
    throw new VoiceError('CONFIG_INVALID', {
      message: 'createRedisCoordinator needs exactly one of `url` and `redis`',
    });
  }
  if (options.redis !== undefined) return options.redis;
  const connection = new Redis(options.url ?? '', {
    ...URL_CONNECTION_DEFAULTS,
    ...options.redisOptions,
  });
  connection.on('error', (error: unknown) => {
    onError(toVoiceError(error, 'connection'));
  });
  return connection;
}

/**
 * Creates a coordinator on Redis. Failures to reach Redis reject with
 * `VoiceError('STORAGE_UNAVAILABLE', { cause })`.
 *
 * @example
 * const coordinator = createRedisCoordinator({ url: process.env.REDIS_URL, clock: systemClock });
 * await coordinator.ping();
 * const unsubscribe = await coordinator.subscribe(`session:${sessionId}:commands`, (message) => route(message));
 */
export function createRedisCoordinator(options: RedisCoordinatorOptions): Coordinator {
  const { clock } = options;
  const onError = options.onError ?? (() => undefined);
  const keys = createRedisKeyspace(options.keyPrefix);
  const streamRetentionMs = options.streamRetentionMs ?? DEFAULT_STREAM_RETENTION_MS;
  const redis = openConnection(options, onError);
  // Subscribing is idempotent: the subscriber queues while disconnected and subscribes again
  // after a reconnect, as ioredis does by default.
  const subscriptions = new RedisSubscriptions({
    connect: () =>
      redis.duplicate({ enableOfflineQueue: true, autoResendUnfulfilledCommands: true }),
    onError,
  });
  // Waiting for the connection: the connect timeout until it first connected, then a command's.
  const connectTimeoutMs = redis.options.connectTimeout ?? 10_000;
  const commandTimeoutMs = redis.options.commandTimeout ?? COMMAND_TIMEOUT_MS;
  let connected = redis.status === 'ready';
  redis.once('ready', () => {
    connected = true;
  });
  const gate = connectionGate(redis);
  let closed = false;

  /** Runs one Redis operation once connected, mapping every failure to a VoiceError. */
  async function op<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (closed) throw closedError('redis');
    try {
      await gate.wait(connected ? commandTimeoutMs : connectTimeoutMs);
      return await fn();
    } catch (error) {
      throw toVoiceError(error, operation);
    }
  }

  async function runScript(
    script: LuaScript,
    key: string,
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await redis.evalsha(script.sha, 1, key, ...args);
    } catch (error) {
      if (!isNoScriptError(error)) throw error;
      return await redis.eval(script.source, 1, key, ...args);
    }
  }

  function parseLeases(key: string, reply: unknown): Lease[] {
    const flat = replyArray('list-leases', reply);
    const leases: Lease[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      leases.push({
        key,
        holder: replyString('list-leases', flat[i]),
        expiresAt: replyNumber('list-leases', flat[i + 1]),
      });
    }
    return leases;
  }

  function parseEntries(reply: unknown): StreamEntry[] {
    return replyArray('XRANGE', reply).map((item) => {
      const [id, fields] = replyArray('XRANGE', item);
      const match = /^(\d+)-0$/.exec(replyString('XRANGE', id));
      const flat = replyArray('XRANGE', fields);
      if (match?.[1] === undefined || flat[0] !== 'p')
        throw toVoiceError(new Error('malformed entry'), 'XRANGE');
      return {
        position: replyInteger('XRANGE', match[1]),
        payload: replyString('XRANGE', flat[1]),
      };
    });
  }

  return {
    kind: 'redis',

    acquireLease: (req) =>
      op('acquire-lease', async () => {
        const { key, holder, ttlMs, limit } = checkAcquire(req);
        const now = clock.now();
        const reply = replyArray(
          'acquire-lease',
          await runScript(ACQUIRE_LEASE, keys.lease(key), [
            holder,
            now,
            ttlMs,
            limit,
            SAFETY_MARGIN_MS,
          ]),
        );
        if (reply[0] === 1)
          return { kind: 'acquired', lease: { key, holder, expiresAt: now + ttlMs } };
        return {
          kind: 'full',
          active: replyInteger('acquire-lease', reply[1]),
          retryAfterMs: replyNumber('acquire-lease', reply[2]) - now,
        };
      }),

    renewLease: (req) =>
      op('renew-lease', async () => {
        const { key, holder, ttlMs } = checkRenew(req);
        return replyFlag(
          'renew-lease',
          await runScript(RENEW_LEASE, keys.lease(key), [
            holder,
            clock.now(),
            ttlMs,
            SAFETY_MARGIN_MS,
          ]),
        );
      }),

    releaseLease: (key, holder) =>
      op('release-lease', async () => {
        const lease = keys.lease(checkName('key', key));
        return replyFlag(
          'release-lease',
          await runScript(RELEASE_LEASE, lease, [checkName('holder', holder), clock.now()]),
        );
      }),

    listLeases: (key) =>
      op('list-leases', async () =>
        parseLeases(
          key,
          await runScript(LIST_LEASES, keys.lease(checkName('key', key)), [clock.now()]),
        ),
      ),

    increment: (key, by = 1, opts) =>
      op('increment', async () => {
        const ttlMs = checkIncrement(key, by, opts);
        const reply = replyArray(
          'increment',
          await runScript(INCREMENT, keys.counter(key), [
            by,
            clock.now(),
            ttlMs ?? '',
            '',
            SAFETY_MARGIN_MS,
          ]),
        );
        return replyInteger('increment', reply[1]);
      }),

    incrementIfWithin: (key, by, limit, opts) =>
      op('increment', async () => {
        const ttlMs = checkIncrement(key, by, opts, limit);
        const reply = replyArray(
          'increment',
          await runScript(INCREMENT, keys.counter(key), [
            by,
            clock.now(),
            ttlMs ?? '',
            limit,
            SAFETY_MARGIN_MS,
          ]),
        );
        return { ok: replyFlag('increment', reply[0]), value: replyInteger('increment', reply[1]) };
      }),

    getCounter: (key) =>
      op('HMGET', async () => {
        const [value, exp] = await redis.hmget(keys.counter(checkName('key', key)), 'v', 'exp');
        if (value === null || value === undefined) return 0;
        if (exp !== null && exp !== undefined && replyNumber('HMGET', exp) <= clock.now()) return 0;
        return replyInteger('HMGET', value);
      }),

    takeTokens: (req) =>
      op('take-tokens', async () => {
        const { key, capacity, refillPerSecond, cost } = checkTakeTokens(req);
        const args = [capacity, refillPerSecond, cost, clock.now(), SAFETY_MARGIN_MS];
        const [allowed, milli, retry, reset] = replyArray(
          'take-tokens',
          await runScript(TAKE_TOKENS, keys.bucket(key), args),
        );
        const retryAfterMs = replyInteger('take-tokens', retry);
        return {
          allowed: replyFlag('take-tokens', allowed),
          remaining: Math.floor(replyNumber('take-tokens', milli) / 1000),
          retryAfterMs: retryAfterMs < 0 ? Number.POSITIVE_INFINITY : retryAfterMs,
          resetMs: replyNumber('take-tokens', reset),
        };
      }),

    publish: (channel, message) =>
      op('PUBLISH', async () =>
        replyInteger(
          'PUBLISH',
          await redis.publish(keys.channel(checkName('channel', channel)), message),
        ),
      ),

    subscribe: (channel, handler) =>
      op('SUBSCRIBE', () =>
        subscriptions.subscribe(keys.channel(checkName('channel', channel)), handler),
      ),

    append: (stream, payload, opts) =>
      op('append', async () => {
        const { position, maxLength } = checkAppend(stream, payload, opts);
        const args = [payload, position ?? '', maxLength ?? '', streamRetentionMs];
        const [ok, at] = replyArray('append', await runScript(APPEND, keys.stream(stream), args));
        const value = replyInteger('append', at);
        if (replyFlag('append', ok)) return value;
        throw new VoiceError('CONFLICT', {
          message: `Position ${position ?? '?'} is not after the stream's last position ${value}`,
          details: { stream, position, last_position: value },
        });
      }),

    readAfter: (stream, after, opts) =>
      op('XRANGE', async () => {
        const limit = checkReadAfter(stream, after, opts);
        const key = keys.stream(stream);
        const start = `${after + 1}-0`;
        const reply =
          limit === undefined
            ? await redis.xrange(key, start, '+')
            : await redis.xrange(key, start, '+', 'COUNT', limit);
        return parseEntries(reply);
      }),

    trim: (stream, opts) =>
      op('XTRIM', async () => {
        const trim = checkTrim(stream, opts);
        const key = keys.stream(stream);
        const reply =
          trim.kind === 'length'
            ? await redis.xtrim(key, 'MAXLEN', '=', trim.maxLength)
            : await redis.xtrim(key, 'MINID', '=', `${trim.position}-0`);
        return replyInteger('XTRIM', reply);
      }),

    lastPosition: (stream) =>
      op('last-position', async () =>
        replyInteger(
          'last-position',
          await runScript(LAST_POSITION, keys.stream(checkName('stream', stream)), []),
        ),
      ),

    ping: () =>
      op('PING', async () => {
        replyString('PING', await redis.ping());
      }),

    close: async () => {
      if (closed) return;
      closed = true;
      await subscriptions.close();
      await quitConnection(redis);
    },
  };
}
