import type { Clock, TimerHandle } from '@prx-voice/core';
import { isTransientStorageError, MAX_METER_EVENTS_PER_WRITE } from '@prx-voice/storage';
import type { NewMeterEvent, Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { METERS, isMeter } from './meters.js';

/** One measurement of usage, as it happened. */
export interface UsageEvent {
  readonly tenantId: TenantId;
  readonly sessionId?: SessionId;
  /** A meter of {@link METERS}. */
  readonly meter: string;
  /** A whole, non-negative number of the meter's unit. */
  readonly quantity: number;
  readonly provider?: string;
  /**
   * Deterministic, from what was measured (session, turn, run, meter, sequence): the
   * same key again — a retry, a replay, a restart — records once.
   */
  readonly idempotencyKey: string;
  /** When the usage happened, epoch ms (a late event keeps its own time). */
  readonly occurredAt: number;
  readonly metadata?: Record<string, unknown>;
}

/** Counters of a recorder, for metrics. */
export interface MeterRecorderStats {
  /** Waiting to be written. */
  readonly queued: number;
  /** Written as new meter events. */
  readonly recorded: number;
  /** Found already recorded (same key). */
  readonly duplicates: number;
  /** Refused because the queue was full or the recorder closed. */
  readonly dropped: number;
  /** Given up on an error no retry can cure. */
  readonly failed: number;
}

/** Records usage off the hot path. */
export interface MeterRecorder {
  /**
   * Queues a usage event and returns at once (never waits on the database). Throws
   * `VALIDATION_FAILED` for an unknown meter or a quantity that is not a non-negative
   * integer; false when the queue is full or the recorder closed (counted, reported).
   */
  record(event: UsageEvent): boolean;
  /** Resolves when everything queued before the call is written (or given up). */
  flush(): Promise<void>;
  /** Flushes, then refuses further events. */
  close(): Promise<void>;
  readonly stats: MeterRecorderStats;
}

/** Options of {@link createMeterRecorder}. */
export interface MeterRecorderOptions {
  readonly repos: Pick<Repositories, 'forTenant'>;
  readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** Most events waiting; more are refused (default 10 000). */
  readonly maxQueue?: number;
  /** Longest an event waits before a write starts, ms (default 200). */
  readonly flushIntervalMs?: number;
  /** First retry delay of a transient failure, doubled up to `maxRetryDelayMs` (100 / 5000). */
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  /** A write failed (`retryInMs` set: it is retried) or an event was refused. */
  readonly onError?: (
    error: VoiceError,
    context: { event: UsageEvent; retryInMs?: number },
  ) => void;
}

/**
 * Creates a recorder: events wait in a bounded in-process queue and are written in
 * order by one drain — what is queued in one statement per tenant, each event an
 * idempotent meter event (`tenant_id`, `idempotency_key` unique) — so a session's audio path never waits on storage and a
 * database outage delays usage without losing it.
 *
 * @example
 * const recorder = createMeterRecorder({ repos, clock, onError: (e) => log(e.message) });
 * recorder.record({ tenantId, sessionId, meter: 'tts_characters', quantity: 42,
 *   idempotencyKey: `${sessionId}:seg_1:tts_characters`, occurredAt: clock.now() });
 */
export function createMeterRecorder(options: MeterRecorderOptions): MeterRecorder {
  const { repos, clock } = options;
  const maxQueue = options.maxQueue ?? 10_000;
  const flushIntervalMs = options.flushIntervalMs ?? 200;
  const first = options.retryDelayMs ?? 100;
  const max = options.maxRetryDelayMs ?? 5_000;
  const queue: UsageEvent[] = [];
  const waiters: { upTo: number; resolve: () => void }[] = [];
  let taken = 0; // events ever queued
  let done = 0; // events ever written or given up
  let timer: TimerHandle | undefined;
  let draining: Promise<void> | undefined;
  let closed = false;
  const stats = { recorded: 0, duplicates: 0, dropped: 0, failed: 0 };

  const report = (error: unknown, context: { event: UsageEvent; retryInMs?: number }): void => {
    try {
      options.onError?.(VoiceError.from(error, 'STORAGE_UNAVAILABLE'), context);
    } catch {
      // A throwing reporter must not stop the drain.
    }
  };

  const settle = (): void => {
    for (const w of waiters.filter((x) => x.upTo <= done)) w.resolve();
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w !== undefined && w.upTo <= done) waiters.splice(i, 1);
    }
  };

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      clock.setTimeout(resolve, ms);
    });

  const rowOf = (event: UsageEvent): NewMeterEvent => ({
    sessionId: event.sessionId ?? null,
    meter: event.meter,
    quantity: event.quantity,
    unit: METERS[event.meter as keyof typeof METERS].unit,
    provider: event.provider ?? null,
    idempotencyKey: event.idempotencyKey,
    occurredAt: new Date(event.occurredAt),
    ...(event.metadata === undefined ? {} : { metadata: event.metadata }),
  });

  /**
   * Runs `attempt` until it succeeds, retrying a transient failure with backoff (reported
   * with `event`); false when it failed for good (reported, counted by the caller).
   */
  const retrying = async (event: UsageEvent, attempt: () => Promise<void>): Promise<boolean> => {
    for (let n = 1; ; n++) {
      try {
        await attempt();
        return true;
      } catch (error) {
        if (!isTransientStorageError(error)) {
          report(error, { event });
          return false;
        }
        const retryInMs = Math.min(first * 2 ** (n - 1), max);
        report(error, { event, retryInMs });
        await pause(retryInMs);
      }
    }
  };

  const write = async (event: UsageEvent): Promise<void> => {
    const ok = await retrying(event, async () => {
      const { created } = await repos.forTenant(event.tenantId).billing.recordUsage(rowOf(event));
      if (created) stats.recorded++;
      else stats.duplicates++;
    });
    if (!ok) stats.failed++;
  };

  /**
   * A tenant's events in one statement; should the database refuse it (not a transient
   * failure), one by one, so that only the event it refuses fails.
   */
  const writeMany = async (events: readonly UsageEvent[]): Promise<void> => {
    const head = events[0];
    if (head === undefined) return;
    if (events.length === 1) return write(head);
    const billing = repos.forTenant(head.tenantId).billing;
    const outcome = { refused: false };
    await retrying(head, async () => {
      try {
        const r = await billing.recordUsageMany(events.map(rowOf));
        stats.recorded += r.created;
        stats.duplicates += r.duplicates;
      } catch (error) {
        if (isTransientStorageError(error)) throw error;
        outcome.refused = true;
      }
    });
    if (outcome.refused) for (const event of events) await write(event);
  };

  /** Writes the queue's head, up to one statement's worth, a statement per tenant in it. */
  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_METER_EVENTS_PER_WRITE);
      const byTenant = new Map<string, UsageEvent[]>();
      for (const event of batch) {
        const of = byTenant.get(event.tenantId);
        if (of === undefined) byTenant.set(event.tenantId, [event]);
        else of.push(event);
      }
      for (const events of byTenant.values()) await writeMany(events);
      done += batch.length;
      settle();
    }
    draining = undefined;
  };

  const start = (): void => {
    if (timer !== undefined) {
      clock.clearTimeout(timer);
      timer = undefined;
    }
    draining ??= drain();
  };

  const refuse = (event: UsageEvent, why: string): false => {
    stats.dropped++;
    report(new VoiceError('OVERLOADED', { message: `usage event refused: ${why}` }), { event });
    return false;
  };

  return {
    record(event) {
      if (!isMeter(event.meter)) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `unknown meter "${event.meter}"; expected one of ${Object.keys(METERS).join(', ')}`,
          details: { field: 'meter' },
        });
      }
      if (!Number.isSafeInteger(event.quantity) || event.quantity < 0) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `meter quantity must be a non-negative integer, got ${String(event.quantity)}`,
          details: { field: 'quantity' },
        });
      }
      if (event.idempotencyKey === '') {
        throw new VoiceError('VALIDATION_FAILED', {
          message: 'a usage event needs an idempotency key',
          details: { field: 'idempotency_key' },
        });
      }
      if (closed) return refuse(event, 'the recorder is closed');
      if (queue.length >= maxQueue) return refuse(event, `the queue is full (${maxQueue})`);
      queue.push(event);
      taken++;
      if (draining === undefined) timer ??= clock.setTimeout(start, flushIntervalMs);
      return true;
    },
    flush() {
      const upTo = taken;
      if (done >= upTo) return Promise.resolve();
      const settled = new Promise<void>((resolve) => waiters.push({ upTo, resolve }));
      start();
      return settled;
    },
    async close() {
      closed = true;
      await this.flush();
    },
    get stats() {
      return { queued: queue.length, ...stats };
    },
  };
}
