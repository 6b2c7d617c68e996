/**
 * The coordination interface shared by every PRX Voice instance: expiring
 * leases (admission control, session ownership), counters, token buckets,
 * pub/sub and per-stream append-only logs. Two implementations honour it — the
 * in-process one (`createMemoryCoordinator`) and Redis (`createRedisCoordinator`)
 * — and one contract suite (`coordinator.contract.ts`) runs against both.
 *
 * Time is always the injected `Clock`'s: lease expiry, counter windows and
 * token-bucket refill are computed from `clock.now()`, never from the backend's
 * own time, so a simulated clock drives the Redis implementation as well.
 */

/** How long a stream nobody appends to is kept before the backend drops it: 24 h. */
export const DEFAULT_STREAM_RETENTION_MS = 24 * 60 * 60 * 1000;

/** A live lease: `holder` owns one slot of `key` until `expiresAt` (epoch ms, clock time). */
export interface Lease {
  /** The lease key, e.g. `tenant:t_123:sessions`. */
  readonly key: string;
  /** Who holds the slot, e.g. a session or instance id. */
  readonly holder: string;
  /** When the lease lapses unless renewed (epoch ms on the coordinator's clock). */
  readonly expiresAt: number;
}

/** Outcome of {@link Coordinator.acquireLease}: a slot, or the key is full. */
export type LeaseResult =
  | { readonly kind: 'acquired'; readonly lease: Lease }
  | {
      readonly kind: 'full';
      /** Live leases on the key. */
      readonly active: number;
      /** Milliseconds until the earliest live lease expires (a slot may free sooner by release). */
      readonly retryAfterMs: number;
    };

/** Request of {@link Coordinator.acquireLease}. */
export interface AcquireLeaseRequest {
  /** The lease key. */
  readonly key: string;
  /** The holder id; acquiring again with the same holder refreshes its lease. */
  readonly holder: string;
  /** Lifetime from now, in ms (> 0). */
  readonly ttlMs: number;
  /** Most live leases the key may hold (integer ≥ 1, default 1). */
  readonly limit?: number;
}

/** Request of {@link Coordinator.renewLease}. */
export interface RenewLeaseRequest {
  /** The lease key. */
  readonly key: string;
  /** The holder whose lease is extended. */
  readonly holder: string;
  /** New lifetime from now, in ms (> 0). */
  readonly ttlMs: number;
}

/** Options of the counter operations. */
export interface CounterOptions {
  /**
   * Window length in ms: the counter resets to 0 this long after the increment that
   * created it (a fixed window; later increments do not extend it).
   */
  readonly ttlMs?: number;
}

/** Result of {@link Coordinator.incrementIfWithin}. */
export interface BoundedIncrementResult {
  /** Whether the increment was applied. */
  readonly ok: boolean;
  /** The counter after the call (unchanged when `ok` is false). */
  readonly value: number;
}

/** Request of {@link Coordinator.takeTokens}. */
export interface TakeTokensRequest {
  /** The bucket key. */
  readonly key: string;
  /** Most tokens the bucket holds; a new bucket starts full (> 0). */
  readonly capacity: number;
  /** Tokens added per second of clock time (> 0). */
  readonly refillPerSecond: number;
  /** Tokens this request takes (≥ 0, default 1); 0 only inspects the bucket. */
  readonly cost?: number;
}

/** Result of {@link Coordinator.takeTokens}. */
export interface TakeTokensResult {
  /** Whether `cost` tokens were taken. */
  readonly allowed: boolean;
  /** Whole tokens left after the call. */
  readonly remaining: number;
  /**
   * 0 when allowed; otherwise ms until `cost` tokens are available —
   * `Infinity` when `cost` exceeds `capacity`, as waiting can never help.
   */
  readonly retryAfterMs: number;
  /** Ms until the bucket is full again. */
  readonly resetMs: number;
}

/** Options of {@link Coordinator.append}. */
export interface AppendOptions {
  /** Explicit position; must be greater than the stream's last (else `CONFLICT`). */
  readonly position?: number;
  /** After appending, keep only the newest `maxLength` entries (exact trimming). */
  readonly maxLength?: number;
}

/** Options of {@link Coordinator.readAfter}. */
export interface ReadAfterOptions {
  /** Most entries to return (integer ≥ 1; default: all). */
  readonly limit?: number;
}

/** What {@link Coordinator.trim} removes: all but the newest `maxLength`, or all before `beforePosition`. */
export type TrimOptions = { readonly maxLength: number } | { readonly beforePosition: number };

/** One entry of a stream. */
export interface StreamEntry {
  /** Position in the stream: an integer from 1, strictly increasing. */
  readonly position: number;
  /** The stored string. */
  readonly payload: string;
}

/** Handler of {@link Coordinator.subscribe}; called asynchronously, once per message. */
export type MessageHandler = (message: string) => void;

/** Ends a subscription; calling it again does nothing. */
export type Unsubscribe = () => Promise<void>;

/**
 * Leases, counters, token buckets, pub/sub and streams shared by the instances
 * of one deployment. Backend failures reject with `VoiceError('STORAGE_UNAVAILABLE')`,
 * invalid arguments with `VALIDATION_FAILED`.
 *
 * @example
 * const result = await coordinator.acquireLease({ key: `tenant:${tenantId}:sessions`, holder: sessionId, ttlMs: 30_000, limit: 20 });
 * if (result.kind === 'full') throw new VoiceError('QUOTA_EXCEEDED', { details: { retry_after_ms: result.retryAfterMs } });
 */
export interface Coordinator {
  /** Which implementation this is. */
  readonly kind: 'memory' | 'redis';

  /** Takes one of the key's `limit` slots for `holder` (or refreshes the holder's own); prunes expired leases. */
  acquireLease(req: AcquireLeaseRequest): Promise<LeaseResult>;
  /** Heartbeat: extends the holder's live lease to now + ttl; false when it was lost or expired. */
  renewLease(req: RenewLeaseRequest): Promise<boolean>;
  /** Gives the holder's slot back; false when it held no live lease. */
  releaseLease(key: string, holder: string): Promise<boolean>;
  /** The key's live leases, earliest expiry first. */
  listLeases(key: string): Promise<Lease[]>;

  /** Adds `by` (a safe integer, default 1) and returns the new value. */
  increment(key: string, by?: number, opts?: CounterOptions): Promise<number>;
  /** Adds `by` only if the result stays ≤ `limit`, atomically (budget consumption). */
  incrementIfWithin(
    key: string,
    by: number,
    limit: number,
    opts?: CounterOptions,
  ): Promise<BoundedIncrementResult>;
  /** The counter's value; 0 when absent or its window ended. */
  getCounter(key: string): Promise<number>;

  /** Takes `cost` tokens from a refilling bucket, atomically. */
  takeTokens(req: TakeTokensRequest): Promise<TakeTokensResult>;

  /** Sends a message; resolves to the number of coordinator instances subscribed to the channel. */
  publish(channel: string, message: string): Promise<number>;
  /** Calls `handler` for each later message on `channel`; resolves once subscribed. */
  subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe>;

  /** Appends a payload and returns its position (last + 1 unless `opts.position` is given). */
  append(stream: string, payload: string, opts?: AppendOptions): Promise<number>;
  /** Entries with position > `after`, ascending. */
  readAfter(stream: string, after: number, opts?: ReadAfterOptions): Promise<StreamEntry[]>;
  /** Removes old entries; returns how many. Positions already used are never reused. */
  trim(stream: string, opts: TrimOptions): Promise<number>;
  /** The last position ever appended (kept after trimming); 0 for a new stream. */
  lastPosition(stream: string): Promise<number>;

  /** Resolves when the backend answers (readiness probe). */
  ping(): Promise<void>;
  /** Releases connections and subscriptions; later calls reject with `STORAGE_UNAVAILABLE`. */
  close(): Promise<void>;
}
