/**
 * The state behind in-process coordinators: what Redis holds for the Redis
 * coordinator. Several coordinators may share one hub (as several instances
 * share one Redis); every operation here is synchronous, hence atomic.
 */
import { VoiceError } from '@prx-voice/types';
import type { CheckedAcquire, CheckedTakeTokens, CheckedTrim } from './coordination-args.js';
import { DEFAULT_STREAM_RETENTION_MS } from './coordinator.js';
import type {
  BoundedIncrementResult,
  Lease,
  LeaseResult,
  MessageHandler,
  StreamEntry,
  TakeTokensResult,
} from './coordinator.js';
import { takeFromBucket } from './token-bucket.js';
import type { BucketState } from './token-bucket.js';

/** How often (clock ms) the hub drops state that has become equivalent to absent. */
const SWEEP_INTERVAL_MS = 60_000;

interface CounterState {
  value: number;
  /** Clock time the window ends; undefined for a counter without window. */
  expiresAt: number | undefined;
}

interface StreamState {
  readonly entries: StreamEntry[];
  last: number;
  touchedAt: number;
}

/** Options of {@link MemoryCoordinationHub}. */
export interface MemoryCoordinationHubOptions {
  /** Drop a stream that nobody appended to for this long (clock ms; default 24 h), like the Redis key's expiry. */
  readonly streamRetentionMs?: number;
}

/**
 * Shared in-process coordination state; pass one hub to several
 * `createMemoryCoordinator` calls to model several instances on one backend.
 *
 * @example
 * const hub = new MemoryCoordinationHub();
 * const a = createMemoryCoordinator({ clock, hub });
 * const b = createMemoryCoordinator({ clock, hub });
 */
export class MemoryCoordinationHub {
  readonly #leases = new Map<string, Map<string, number>>();
  readonly #counters = new Map<string, CounterState>();
  /** Bucket state and the clock time it is full again (then it reads as absent). */
  readonly #buckets = new Map<string, { state: BucketState; fullAt: number }>();
  readonly #streams = new Map<string, StreamState>();
  /** channel → subscriber (one coordinator) → handlers. */
  readonly #channels = new Map<string, Map<object, Set<MessageHandler>>>();
  readonly #streamRetentionMs: number;
  #nextSweepAt = Number.NEGATIVE_INFINITY;

  constructor(options: MemoryCoordinationHubOptions = {}) {
    this.#streamRetentionMs = options.streamRetentionMs ?? DEFAULT_STREAM_RETENTION_MS;
  }

  /** Live leases of a key after pruning expired ones (undefined when none is live). */
  #live(key: string, now: number): Map<string, number> | undefined {
    const holders = this.#leases.get(key);
    if (holders === undefined) return undefined;
    for (const [holder, expiresAt] of holders) if (expiresAt <= now) holders.delete(holder);
    if (holders.size > 0) return holders;
    this.#leases.delete(key);
    return undefined;
  }

  /** Takes or refreshes a slot. */
  acquire(req: CheckedAcquire, now: number): LeaseResult {
    this.#sweep(now);
    const holders = this.#live(req.key, now) ?? new Map<string, number>();
    if (!holders.has(req.holder) && holders.size >= req.limit) {
      let earliest = Number.POSITIVE_INFINITY;
      for (const expiresAt of holders.values()) earliest = Math.min(earliest, expiresAt);
      return { kind: 'full', active: holders.size, retryAfterMs: earliest - now };
    }
    const expiresAt = now + req.ttlMs;
    holders.set(req.holder, expiresAt);
    this.#leases.set(req.key, holders);
    return { kind: 'acquired', lease: { key: req.key, holder: req.holder, expiresAt } };
  }

  /** Extends a live lease. */
  renew(key: string, holder: string, ttlMs: number, now: number): boolean {
    const holders = this.#live(key, now);
    if (holders?.has(holder) !== true) return false;
    holders.set(holder, now + ttlMs);
    return true;
  }

  /** Removes a live lease. */
  release(key: string, holder: string, now: number): boolean {
    const holders = this.#live(key, now);
    if (holders === undefined) return false;
    const removed = holders.delete(holder);
    if (holders.size === 0) this.#leases.delete(key);
    return removed;
  }

  /** Live leases, earliest expiry first (ties by holder). */
  list(key: string, now: number): Lease[] {
    const holders = this.#live(key, now);
    if (holders === undefined) return [];
    return [...holders]
      .map(([holder, expiresAt]) => ({ key, holder, expiresAt }))
      .sort(
        (a, b) =>
          a.expiresAt - b.expiresAt || (a.holder < b.holder ? -1 : a.holder > b.holder ? 1 : 0),
      );
  }

  #counter(key: string, now: number): CounterState | undefined {
    const counter = this.#counters.get(key);
    if (counter?.expiresAt !== undefined && counter.expiresAt <= now) {
      this.#counters.delete(key);
      return undefined;
    }
    return counter;
  }

  /** Adds to a counter, if `limit` is given only when the result stays within it. */
  increment(
    key: string,
    by: number,
    opts: { ttlMs: number | undefined; limit: number | undefined },
    now: number,
  ): BoundedIncrementResult {
    this.#sweep(now);
    const counter = this.#counter(key, now);
    const current = counter?.value ?? 0;
    const value = current + by;
    if (opts.limit !== undefined && value > opts.limit) return { ok: false, value: current };
    if (!Number.isSafeInteger(value)) {
      throw new VoiceError('VALIDATION_FAILED', {
        message: 'The counter would leave the safe integer range',
        details: { key, by },
      });
    }
    const state = counter ?? { value: 0, expiresAt: undefined };
    state.value = value;
    if (opts.ttlMs !== undefined && state.expiresAt === undefined)
      state.expiresAt = now + opts.ttlMs;
    this.#counters.set(key, state);
    return { ok: true, value };
  }

  /** A counter's value, 0 when absent or its window ended. */
  counter(key: string, now: number): number {
    return this.#counter(key, now)?.value ?? 0;
  }

  /** Takes tokens from a bucket. */
  takeTokens(req: CheckedTakeTokens, now: number): TakeTokensResult {
    this.#sweep(now);
    const step = takeFromBucket(this.#buckets.get(req.key)?.state, req, now);
    this.#buckets.set(req.key, { state: step.state, fullAt: now + step.result.resetMs });
    return step.result;
  }

  /** Registers a handler of `subscriber` on a channel. */
  subscribe(channel: string, subscriber: object, handler: MessageHandler): void {
    const subscribers = this.#channels.get(channel) ?? new Map<object, Set<MessageHandler>>();
    const handlers = subscribers.get(subscriber) ?? new Set<MessageHandler>();
    handlers.add(handler);
    subscribers.set(subscriber, handlers);
    this.#channels.set(channel, subscribers);
  }

  /** Removes one handler, or (without `handler`) all of the subscriber's on every channel. */
  unsubscribe(subscriber: object, channel?: string, handler?: MessageHandler): void {
    const channels = channel === undefined ? [...this.#channels.keys()] : [channel];
    for (const name of channels) {
      const subscribers = this.#channels.get(name);
      const handlers = subscribers?.get(subscriber);
      if (subscribers === undefined || handlers === undefined) continue;
      if (handler === undefined) handlers.clear();
      else handlers.delete(handler);
      if (handlers.size === 0) subscribers.delete(subscriber);
      if (subscribers.size === 0) this.#channels.delete(name);
    }
  }

  /**
   * Queues delivery to every handler subscribed now, each in its own microtask (never
   * synchronously); a handler unsubscribed before its turn is skipped. Returns the
   * number of subscribers (coordinators) reached, as Redis counts connections.
   */
  publish(channel: string, message: string, onHandlerError: (error: unknown) => void): number {
    const subscribers = this.#channels.get(channel);
    if (subscribers === undefined) return 0;
    for (const [subscriber, handlers] of subscribers) {
      for (const handler of handlers) {
        queueMicrotask(() => {
          if (this.#channels.get(channel)?.get(subscriber)?.has(handler) !== true) return;
          try {
            handler(message);
          } catch (error) {
            onHandlerError(error);
          }
        });
      }
    }
    return subscribers.size;
  }

  #stream(name: string, now: number): StreamState | undefined {
    const stream = this.#streams.get(name);
    if (stream !== undefined && stream.touchedAt + this.#streamRetentionMs <= now) {
      this.#streams.delete(name);
      return undefined;
    }
    return stream;
  }

  /** Appends at `position` (or last + 1); `undefined` when the position is not after the last. */
  append(
    name: string,
    payload: string,
    position: number | undefined,
    maxLength: number | undefined,
    now: number,
  ): number | undefined {
    this.#sweep(now);
    const stream = this.#stream(name, now) ?? { entries: [], last: 0, touchedAt: now };
    const at = position ?? stream.last + 1;
    if (at <= stream.last) return undefined;
    stream.entries.push({ position: at, payload });
    stream.last = at;
    stream.touchedAt = now;
    if (maxLength !== undefined && stream.entries.length > maxLength) {
      stream.entries.splice(0, stream.entries.length - maxLength);
    }
    this.#streams.set(name, stream);
    return at;
  }

  /** Entries after a position, ascending. */
  readAfter(name: string, after: number, limit: number | undefined, now: number): StreamEntry[] {
    const entries = this.#stream(name, now)?.entries ?? [];
    let low = 0;
    let high = entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((entries[mid]?.position ?? Number.POSITIVE_INFINITY) <= after) low = mid + 1;
      else high = mid;
    }
    return entries
      .slice(low, limit === undefined ? undefined : low + limit)
      .map((entry) => ({ ...entry }));
  }

  /** Removes old entries; returns how many. */
  trim(name: string, opts: CheckedTrim, now: number): number {
    const entries = this.#stream(name, now)?.entries;
    if (entries === undefined) return 0;
    let count: number;
    switch (opts.kind) {
      case 'length':
        count = Math.max(0, entries.length - opts.maxLength);
        break;
      case 'before':
        count = entries.findIndex((entry) => entry.position >= opts.position);
        if (count === -1) count = entries.length;
        break;
    }
    entries.splice(0, count);
    return count;
  }

  /** The last position appended, 0 for a new stream. */
  lastPosition(name: string, now: number): number {
    return this.#stream(name, now)?.last ?? 0;
  }

  /** At most once a minute of clock time, drops state that reads the same as absent. */
  #sweep(now: number): void {
    if (now < this.#nextSweepAt) return;
    this.#nextSweepAt = now + SWEEP_INTERVAL_MS;
    for (const key of [...this.#leases.keys()]) this.#live(key, now);
    for (const key of [...this.#counters.keys()]) this.#counter(key, now);
    for (const key of [...this.#streams.keys()]) this.#stream(key, now);
    for (const [key, bucket] of this.#buckets) if (bucket.fullAt <= now) this.#buckets.delete(key);
  }
}
