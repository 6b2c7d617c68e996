/**
 * The event log's one writer per instance: each tick it takes a batch of every session's
 * pending events and stores them all in one statement, settles each session from what
 * the statement did (written, its own earlier write met, fenced, or failed and retried
 * with backoff), and keeps one batch of a session in flight at a time.
 */
import { VoiceError } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import type { Clock, TimerHandle } from '@prx-voice/core';
import { isTransientStorageError } from '@prx-voice/storage';
import type {
  SessionEventWriter,
  SkippedSessionEvent,
  TenantSessionEvent,
} from '@prx-voice/storage';
import type { EventLogCodec, EventLogFailure } from './event-log.js';
import { eventToRow } from './event-row.js';
import type { AnyVoiceEvent } from './voice-event.js';

interface Waiter {
  readonly seq: number;
  /** `true` once stored; `false` when it never will be (fenced). */
  readonly resolve: (stored: boolean) => void;
}

/** One session's events on this instance: appended, pending, written. */
export interface SessionQueue {
  readonly tenantId: TenantId;
  readonly sessionId: SessionId;
  readonly pending: AnyVoiceEvent[];
  /** Last seq appended (pending or written). */
  lastSeq: number;
  writtenSeq: number;
  waiters: Waiter[];
  /** How many leading pending events a statement in flight is writing; 0 when none. */
  inFlight: number;
  /** Failures in a row of the batch at the head. */
  attempt: number;
  /** Set while the session waits out its retry delay. */
  retry: TimerHandle | undefined;
  ended: boolean;
  /** Another instance writes this session's log: nothing more is written from here. */
  fenced: boolean;
}

/** Options of {@link createLogWriter}. */
export interface LogWriterOptions {
  readonly writer: SessionEventWriter;
  readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  readonly queues: Map<string, SessionQueue>;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxRowsPerWrite: number;
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly encode: EventLogCodec['encode'] | undefined;
  readonly onError: (error: VoiceError, failure: EventLogFailure) => void;
  readonly onFenced: ((tenantId: TenantId, sessionId: SessionId) => void) | undefined;
  readonly onWritten: ((events: number, ms: number) => void) | undefined;
  /** A session ended (its terminal event is stored) and has nothing pending: forget it. */
  readonly onDone: (q: SessionQueue) => void;
}

/** The writer of a log: told when there is something to write. */
export interface LogWriter {
  /** A session has new pending events; `now`: write without waiting for the tick. */
  kick(now: boolean): void;
  /** Writes without waiting for ticks until `waits` settle (a flush). */
  hurryUntil(waits: readonly Promise<unknown>[]): Promise<void>;
  /** Resolves `true` once the session's `seq` is stored (at once when it is), `false` if it never will be. */
  waitWritten(q: SessionQueue, seq: number): Promise<boolean>;
  /** Events pending in all sessions. */
  readonly pendingCount: number;
  /** An event was appended to a session's pending events. */
  added(): void;
}

interface Batch {
  readonly q: SessionQueue;
  readonly events: readonly AnyVoiceEvent[];
  rows?: readonly TenantSessionEvent[];
}

const keyOf = (tenantId: string, sessionId: string): string => `${tenantId}/${sessionId}`;

function isTerminal(event: AnyVoiceEvent | undefined): boolean {
  return event?.type === 'prx.voice.session.closed' || event?.type === 'prx.voice.session.failed';
}

/** Creates the writer of a log's queues. */
export function createLogWriter(o: LogWriterOptions): LogWriter {
  const { clock, queues } = o;
  let pendingCount = 0;
  let tick: TimerHandle | undefined;
  let writing = false;
  let hurry = false;
  /** Flushes waiting: write on, batch after batch, until they are done. */
  let flushes = 0;

  const ready = (q: SessionQueue): boolean =>
    q.pending.length > 0 && q.inFlight === 0 && q.retry === undefined && !q.fenced;

  const release = (q: SessionQueue): void => {
    const ready = q.waiters.filter((w) => w.seq <= q.writtenSeq);
    q.waiters = q.waiters.filter((w) => w.seq > q.writtenSeq);
    for (const w of ready) w.resolve(true);
  };

  const markWritten = (q: SessionQueue, count: number): void => {
    const done = q.pending.splice(0, count);
    pendingCount -= done.length;
    const last = done.at(-1);
    if (last === undefined) return;
    q.writtenSeq = last.prxseq;
    if (isTerminal(last)) q.ended = true;
    release(q);
  };

  /** Drops what is pending for a session whose log another instance writes. */
  const fence = (q: SessionQueue): void => {
    q.fenced = true;
    pendingCount -= q.pending.length;
    q.pending.length = 0;
    // Readers waiting to show these events as durable are let go: they never will be.
    for (const w of q.waiters.splice(0)) w.resolve(false);
    try {
      o.onFenced?.(q.tenantId, q.sessionId);
    } catch {
      // A throwing callback must not stop the log.
    }
  };

  /** Reports a failed batch and holds its session back for the retry delay. */
  const fail = (b: Batch, error: unknown): void => {
    const { q } = b;
    q.attempt++;
    const retryInMs = Math.min(o.retryDelayMs * 2 ** (q.attempt - 1), o.maxRetryDelayMs);
    q.retry = clock.setTimeout(() => {
      q.retry = undefined;
      kick(true);
    }, retryInMs);
    try {
      o.onError(VoiceError.from(error, 'STORAGE_UNAVAILABLE'), {
        tenantId: q.tenantId,
        sessionId: q.sessionId,
        fromSeq: b.events[0]?.prxseq ?? 0,
        toSeq: b.events.at(-1)?.prxseq ?? 0,
        attempt: q.attempt,
        retryInMs,
      });
    } catch {
      // A throwing reporter must not stop the retries.
    }
  };

  /** Settles a session's batch from the rows of it the statement did not insert. */
  const settle = (b: Batch, skipped: readonly SkippedSessionEvent[]): void => {
    const { q, events } = b;
    const missing = new Map(skipped.map((s) => [s.seq, s]));
    // Leading events stored, now or by an earlier write of ours that did commit.
    let stored = 0;
    for (const e of events) {
      const s = missing.get(e.prxseq);
      if (s !== undefined && s.storedId !== e.id) break;
      stored++;
    }
    markWritten(q, stored);
    if (stored === events.length) {
      q.attempt = 0;
      return;
    }
    if (skipped.some((s) => s.storedId !== null && s.storedId !== s.id)) {
      fence(q);
      return;
    }
    fail(
      { q, events: events.slice(stored) },
      new VoiceError('CONFLICT', {
        message: `event ${events[stored]?.id ?? '?'} of session ${q.sessionId} is stored elsewhere`,
      }),
    );
  };

  /** One batch of every ready session, up to `maxRowsPerWrite` rows, oldest served first. */
  const take = (): Batch[] => {
    const batches: Batch[] = [];
    let budget = o.maxRowsPerWrite;
    for (const q of queues.values()) {
      if (!ready(q)) continue;
      if (budget === 0) {
        hurry = true; // the rest go next, without waiting for a tick
        break;
      }
      const n = Math.min(q.pending.length, o.batchSize, budget);
      budget -= n;
      q.inFlight = n;
      batches.push({ q, events: q.pending.slice(0, n) });
    }
    // Sessions written now go to the back of the line.
    for (const { q } of batches) {
      const key = keyOf(q.tenantId, q.sessionId);
      queues.delete(key);
      queues.set(key, q);
    }
    return batches;
  };

  const plainRows = (batches: Batch[]): Batch[] => {
    for (const b of batches) b.rows = b.events.map((e) => rowOf(b.q, e));
    return batches;
  };

  /** The rows of each batch through the codec; a batch that fails to encode fails alone. */
  const encodeAll = async (batches: Batch[]): Promise<Batch[]> => {
    const { encode } = o;
    if (encode === undefined) return plainRows(batches);
    const results = await Promise.allSettled(
      batches.map((b) =>
        encode(b.q.tenantId, b.q.sessionId, b.events as unknown as Record<string, unknown>[]),
      ),
    );
    return batches.filter((b, i) => {
      const r = results[i];
      if (r?.status !== 'fulfilled') {
        fail(b, r?.reason);
        return false;
      }
      b.rows = b.events.map((e, j) => rowOf(b.q, e, r.value[j]));
      return true;
    });
  };

  const written = (events: number, ms: number): void => {
    try {
      o.onWritten?.(events, ms);
    } catch {
      // A throwing callback must not make a stored write look failed.
    }
  };

  /** Writes batches in one statement and settles each. */
  const store = async (batches: readonly Batch[]): Promise<void> => {
    const started = performance.now();
    try {
      const result = await o.writer.appendMany(batches.flatMap((b) => b.rows ?? []));
      const skipped = new Map<string, SkippedSessionEvent[]>();
      for (const s of result.skipped) {
        const key = keyOf(s.tenantId, s.sessionId);
        skipped.set(key, [...(skipped.get(key) ?? []), s]);
      }
      for (const b of batches) settle(b, skipped.get(keyOf(b.q.tenantId, b.q.sessionId)) ?? []);
      if (result.inserted > 0) written(result.inserted, performance.now() - started);
    } catch (error) {
      // The database is down: every batch waits and is tried again. A row it refused
      // (e.g. a session it does not hold) fails its own batch only: write them apart.
      if (batches.length > 1 && !isTransientStorageError(error)) {
        for (const b of batches) await store([b]);
        return;
      }
      for (const b of batches) fail(b, error);
    }
  };

  const write = async (batches: Batch[]): Promise<void> => {
    try {
      // Without a codec the statement goes out before this returns: nothing to wait for.
      const encoded = o.encode === undefined ? plainRows(batches) : await encodeAll(batches);
      if (encoded.length > 0) await store(encoded);
    } finally {
      for (const { q } of batches) {
        q.inFlight = 0;
        if (q.pending.length >= o.batchSize && ready(q)) hurry = true;
        if (q.ended && q.pending.length === 0) o.onDone(q);
      }
    }
  };

  const urgent = (): boolean => hurry || flushes > 0;

  const run = async (): Promise<void> => {
    try {
      for (;;) {
        hurry = false;
        const batches = take();
        if (batches.length === 0) break;
        await write(batches);
        // Go on at once for a full batch, a tick that passed meanwhile, or a flush.
        if (!urgent()) break;
      }
    } finally {
      writing = false;
    }
    for (const q of queues.values()) {
      if (ready(q)) {
        kick(hurry);
        break;
      }
    }
  };

  /**
   * Something is pending: the tick is armed (also while a write is in flight, so a
   * write slower than the tick is followed by the next at once); `now` writes at once.
   */
  function kick(now: boolean): void {
    if (now) hurry = true;
    if (!hurry) {
      tick ??= clock.setTimeout(() => {
        tick = undefined;
        kick(true);
      }, o.flushIntervalMs);
      return;
    }
    if (writing) return;
    if (tick !== undefined) {
      clock.clearTimeout(tick);
      tick = undefined;
    }
    writing = true;
    void run();
  }

  return {
    kick,
    async hurryUntil(waits) {
      flushes++;
      try {
        kick(true);
        await Promise.all(waits);
      } finally {
        flushes--;
      }
    },
    waitWritten: (q, seq) =>
      q.writtenSeq >= seq
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => q.waiters.push({ seq, resolve })),
    get pendingCount() {
      return pendingCount;
    },
    added() {
      pendingCount++;
    },
  };
}

function rowOf(
  q: SessionQueue,
  event: AnyVoiceEvent,
  stored?: Record<string, unknown>,
): TenantSessionEvent {
  return { tenantId: q.tenantId, ...eventToRow(event, stored) };
}
