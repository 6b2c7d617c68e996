/**
 * Keeps a held lease alive: renews it on the injected clock every ttl/3 and
 * reports, once, when it is lost — the coordinator says it expired or was taken
 * away, or renewals kept failing until the lease's expiry passed.
 */
import type { Clock, TimerHandle } from '@prx-voice/core';
import { VoiceError } from '@prx-voice/types';
import { checkName, checkTtl } from './coordination-args.js';
import type { Coordinator, Lease } from './coordinator.js';

/** Why a kept lease was lost. */
export type LeaseLoss =
  /** A renewal answered false: the lease had expired or was released by someone else. */
  | { readonly reason: 'expired' }
  /** Renewals failed until the lease's expiry passed; `error` is the last failure. */
  | { readonly reason: 'unreachable'; readonly error: VoiceError };

/** Options of {@link createLeaseKeeper}. */
export interface LeaseKeeperOptions {
  /** Where the lease lives. */
  readonly coordinator: Coordinator;
  /** Schedules the renewals. */
  readonly clock: Clock;
  /** The lease key. */
  readonly key: string;
  /** The holder whose lease is kept. */
  readonly holder: string;
  /** Lifetime each renewal grants, in ms. */
  readonly ttlMs: number;
  /** Expiry of the lease as acquired (default `clock.now() + ttlMs`). */
  readonly expiresAt?: number;
  /** Delay between renewals (default `ttlMs / 3`); must be shorter than `ttlMs`. */
  readonly renewEveryMs?: number;
  /** Called once when the lease is lost; renewing stops. */
  readonly onLost: (loss: LeaseLoss) => void;
  /** Called after each successful renewal with the new expiry. */
  readonly onRenewed?: (lease: Lease) => void;
  /** Called when a renewal fails but the lease has not expired yet (it is retried). */
  readonly onRenewError?: (error: VoiceError) => void;
  /**
   * Ride out coordination loss: when a renewal answers false (the coordinator lost the
   * lease, e.g. Redis restarted without its data) or fails past the expiry (an outage),
   * take the lease again (with this `limit`) instead of reporting it lost, retrying every
   * `renewEveryMs` until the coordinator answers. `onLost` is then called only when
   * taking it again answers `full`.
   */
  readonly reestablish?: { readonly limit: number };
  /** Called when the lease was taken again after a loss. */
  readonly onReestablished?: (lease: Lease) => void;
}

/** A running renewal loop for one lease. */
export interface LeaseKeeper {
  /** The lease key. */
  readonly key: string;
  /** The holder. */
  readonly holder: string;
  /** `keeping` while renewing; `lost` after `onLost`; `stopped` after `stop()`/`release()`. */
  readonly state: 'keeping' | 'lost' | 'stopped';
  /** Expiry as of the last successful renewal (clock ms). */
  readonly expiresAt: number;
  /** Stops renewing; the lease then expires on its own. */
  stop(): void;
  /** Stops renewing and releases the lease; false when it was no longer held. */
  release(): Promise<boolean>;
}

/**
 * Starts renewing a lease the caller has just acquired. The first renewal runs
 * `renewEveryMs` after the call. A renewal that fails before the lease's expiry is
 * retried, at the latest at the expiry itself.
 *
 * @example
 * const result = await coordinator.acquireLease({ key: `session:${id}:owner`, holder: instanceId, ttlMs: 15_000 });
 * if (result.kind === 'acquired') {
 *   const keeper = createLeaseKeeper({ coordinator, clock, key: result.lease.key, holder: instanceId, ttlMs: 15_000,
 *     expiresAt: result.lease.expiresAt, onLost: () => session.abandon() });
 *   // … on session end: await keeper.release();
 * }
 */
export function createLeaseKeeper(options: LeaseKeeperOptions): LeaseKeeper {
  const { coordinator, clock } = options;
  const key = checkName('key', options.key);
  const holder = checkName('holder', options.holder);
  const ttlMs = checkTtl(options.ttlMs);
  const interval = options.renewEveryMs ?? ttlMs / 3;
  if (!(interval > 0 && interval < ttlMs)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: 'renewEveryMs must be greater than 0 and less than ttlMs',
      details: { renewEveryMs: interval, ttlMs },
    });
  }
  let state: LeaseKeeper['state'] = 'keeping';
  let expiresAt = options.expiresAt ?? clock.now() + ttlMs;
  let timer: TimerHandle | undefined;
  // The lease was lost while `reestablish` is set: the next attempt takes it again.
  let retaking = false;

  function halt(next: 'lost' | 'stopped'): boolean {
    if (state !== 'keeping') return false;
    state = next;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    return true;
  }

  function lose(loss: LeaseLoss): void {
    if (halt('lost')) options.onLost(loss);
  }

  function schedule(delay: number): void {
    timer = clock.setTimeout(renew, delay);
  }

  function renewed(sentAt: number): void {
    expiresAt = sentAt + ttlMs;
    options.onRenewed?.({ key, holder, expiresAt });
    schedule(interval);
  }

  function failed(error: unknown): void {
    const failure = VoiceError.from(error);
    const remaining = expiresAt - clock.now();
    if (remaining <= 0 && options.reestablish === undefined) {
      lose({ reason: 'unreachable', error: failure });
      return;
    }
    options.onRenewError?.(failure);
    if (remaining <= 0) retaking = true;
    schedule(remaining <= 0 ? interval : Math.min(interval, remaining));
  }

  function retake(limit: number): void {
    const sentAt = clock.now();
    void coordinator.acquireLease({ key, holder, ttlMs, limit }).then(
      (result) => {
        if (state !== 'keeping') return;
        if (result.kind === 'full') {
          lose({ reason: 'expired' });
          return;
        }
        retaking = false;
        options.onReestablished?.(result.lease);
        renewed(sentAt);
      },
      (error: unknown) => {
        if (state === 'keeping') failed(error);
      },
    );
  }

  function renew(): void {
    timer = undefined;
    if (state !== 'keeping') return;
    if (retaking && options.reestablish !== undefined) {
      retake(options.reestablish.limit);
      return;
    }
    const sentAt = clock.now();
    void coordinator.renewLease({ key, holder, ttlMs }).then(
      (ok) => {
        if (state !== 'keeping') return;
        if (ok) renewed(sentAt);
        else if (options.reestablish !== undefined) retake(options.reestablish.limit);
        else lose({ reason: 'expired' });
      },
      (error: unknown) => {
        if (state === 'keeping') failed(error);
      },
    );
  }

  schedule(interval);

  return {
    key,
    holder,
    get state() {
      return state;
    },
    get expiresAt() {
      return expiresAt;
    },
    stop: () => {
      halt('stopped');
    },
    release: async () => {
      halt('stopped');
      return coordinator.releaseLease(key, holder);
    },
  };
}
