/**
 * The in-process coordinator: the embedded default when no Redis is configured.
 * All state lives in a {@link MemoryCoordinationHub}; every call completes its
 * work synchronously inside the returned promise, so it is atomic.
 */
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
import type { Coordinator, MessageHandler, Unsubscribe } from './coordinator.js';
import { MemoryCoordinationHub } from './memory-hub.js';

/** Options of {@link createMemoryCoordinator}. */
export interface MemoryCoordinatorOptions {
  /** Source of time for lease expiry, counter windows and token refill. */
  readonly clock: Clock;
  /** State shared with other in-process coordinators (default: a new, private hub). */
  readonly hub?: MemoryCoordinationHub;
  /** Receives errors thrown by subscription handlers (default: ignored). */
  readonly onError?: (error: VoiceError) => void;
}

/**
 * Creates an in-process coordinator. Pub/sub delivers in a later microtask, never
 * inside `publish`, as a remote backend would.
 *
 * @example
 * const coordinator = createMemoryCoordinator({ clock: systemClock });
 * const result = await coordinator.acquireLease({ key: 'tenant:t1:sessions', holder: 'ses_1', ttlMs: 30_000, limit: 10 });
 */
export function createMemoryCoordinator(options: MemoryCoordinatorOptions): Coordinator {
  const { clock } = options;
  const hub = options.hub ?? new MemoryCoordinationHub();
  const onError = options.onError ?? (() => undefined);
  /** This coordinator's identity as a subscriber in the hub. */
  const self = {};
  let closed = false;

  /** Runs `fn` unless closed; argument errors become rejections, not throws. */
  function run<T>(fn: () => T): Promise<T> {
    try {
      if (closed) throw closedError('memory');
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(VoiceError.from(error));
    }
  }

  return {
    kind: 'memory',

    acquireLease: (req) => run(() => hub.acquire(checkAcquire(req), clock.now())),

    renewLease: (req) =>
      run(() => {
        const { key, holder, ttlMs } = checkRenew(req);
        return hub.renew(key, holder, ttlMs, clock.now());
      }),

    releaseLease: (key, holder) =>
      run(() => hub.release(checkName('key', key), checkName('holder', holder), clock.now())),

    listLeases: (key) => run(() => hub.list(checkName('key', key), clock.now())),

    increment: (key, by = 1, opts) =>
      run(() => {
        const ttlMs = checkIncrement(key, by, opts);
        return hub.increment(key, by, { ttlMs, limit: undefined }, clock.now()).value;
      }),

    incrementIfWithin: (key, by, limit, opts) =>
      run(() => {
        const ttlMs = checkIncrement(key, by, opts, limit);
        return hub.increment(key, by, { ttlMs, limit }, clock.now());
      }),

    getCounter: (key) => run(() => hub.counter(checkName('key', key), clock.now())),

    takeTokens: (req) => run(() => hub.takeTokens(checkTakeTokens(req), clock.now())),

    publish: (channel, message) =>
      run(() => {
        checkName('channel', channel);
        return hub.publish(channel, message, (error) => {
          onError(
            new VoiceError('INTERNAL', {
              message: 'A subscription handler threw',
              details: { channel },
              cause: error,
            }),
          );
        });
      }),

    subscribe: (channel: string, handler: MessageHandler) =>
      run((): Unsubscribe => {
        checkName('channel', channel);
        // A distinct function per subscription, so subscribing one handler twice needs two unsubscribes.
        const registered: MessageHandler = (message) => {
          handler(message);
        };
        hub.subscribe(channel, self, registered);
        return () => {
          hub.unsubscribe(self, channel, registered);
          return Promise.resolve();
        };
      }),

    append: (stream, payload, opts) =>
      run(() => {
        const { position, maxLength } = checkAppend(stream, payload, opts);
        const at = hub.append(stream, payload, position, maxLength, clock.now());
        if (at === undefined) {
          const last = hub.lastPosition(stream, clock.now());
          throw new VoiceError('CONFLICT', {
            message: `Position ${position ?? '?'} is not after the stream's last position ${last}`,
            details: { stream, position, last_position: last },
          });
        }
        return at;
      }),

    readAfter: (stream, after, opts) =>
      run(() => hub.readAfter(stream, after, checkReadAfter(stream, after, opts), clock.now())),

    trim: (stream, opts) => run(() => hub.trim(stream, checkTrim(stream, opts), clock.now())),

    lastPosition: (stream) => run(() => hub.lastPosition(checkName('stream', stream), clock.now())),

    ping: () => run(() => undefined),

    close: () => {
      if (!closed) {
        closed = true;
        hub.unsubscribe(self);
      }
      return Promise.resolve();
    },
  };
}
