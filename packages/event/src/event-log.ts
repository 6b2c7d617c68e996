/**
 * The durable per-session event log: ordered writes through storage, every session's
 * pending events batched into one statement per tick, with retries and fencing.
 */
import { VoiceError } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import type { Clock } from '@prx-voice/core';
import { MAX_EVENT_ROWS_PER_WRITE } from '@prx-voice/storage';
import type { SessionEventRepository, SessionEventWriter } from '@prx-voice/storage';
import { createLogWriter } from './event-log-writer.js';
import type { SessionQueue } from './event-log-writer.js';
import { parseEvent } from './parse-event.js';
import type { AnyVoiceEvent } from './voice-event.js';

export { eventToRow } from './event-row.js';

/** The part of `Repositories` (from `@prx-voice/storage`) the log uses. */
export interface EventLogRepositories {
  /** Reads, per tenant. */
  forTenant(tenantId: TenantId): { readonly events: SessionEventRepository };
  /** Writes: every session's pending events in one statement. */
  readonly sessionEventWriter: SessionEventWriter;
}

/** Which write failed, given to {@link EventLogOptions.onError}. */
export interface EventLogFailure {
  readonly tenantId: TenantId;
  readonly sessionId: SessionId;
  /** First and last `prxseq` of the batch. */
  readonly fromSeq: number;
  readonly toSeq: number;
  /** 1 for the first failure of this batch, then 2, 3, … */
  readonly attempt: number;
  /** Milliseconds until the batch is tried again. */
  readonly retryInMs: number;
}

/**
 * How events are stored and read back: e.g. a data subject's content sealed on the way to
 * storage and opened on the way out. Called once per written batch and once per read page,
 * never per event appended; a failing `encode` is a failed write (reported and retried).
 */
export interface EventLogCodec {
  /** The stored JSON of a batch of one session's events (as JSON objects), in the same order. */
  encode(
    tenantId: TenantId,
    sessionId: SessionId,
    events: readonly Readonly<Record<string, unknown>>[],
  ): Promise<readonly Record<string, unknown>[]>;
  /** The events (as JSON, to be validated) of a session's stored JSON, in the same order. */
  decode(
    tenantId: TenantId,
    sessionId: SessionId,
    stored: readonly Readonly<Record<string, unknown>>[],
  ): Promise<readonly unknown[]>;
}

/** Options of {@link createEventLog}. */
export interface EventLogOptions {
  readonly repos: EventLogRepositories;
  /** Timer source of the flush interval and retry delays. */
  readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /**
   * Most events of one session per write; a session with this many pending is written
   * at once. Default 64.
   */
  readonly batchSize?: number;
  /**
   * Most events of all sessions together in one write (one statement); sessions left
   * over go in the next, at once. Default 1024, at most 6000.
   */
  readonly maxRowsPerWrite?: number;
  /** The tick: longest an event waits for the next write. Default 25 ms. */
  readonly flushIntervalMs?: number;
  /** First retry delay, doubled per failure up to `maxRetryDelayMs`. Default 100 ms. */
  readonly retryDelayMs?: number;
  /** Default 5 000 ms. */
  readonly maxRetryDelayMs?: number;
  /** Told of every failed write; the batch is kept and retried, never dropped. */
  readonly onError: (error: VoiceError, failure: EventLogFailure) => void;
  /**
   * The session's log holds other events at the positions this instance is writing:
   * another instance continued it (it recovered the session as lost while this one was
   * frozen or cut off). The session is fenced here — what was pending and whatever is
   * appended later is dropped, never written over the other's — and this is called once.
   */
  readonly onFenced?: (tenantId: TenantId, sessionId: SessionId) => void;
  /** A write was stored: how many events, and how long it took (ms, `performance.now`). */
  readonly onWritten?: (events: number, ms: number) => void;
  /** How events are stored and read back; default: as they are. */
  readonly codec?: EventLogCodec;
}

/** Options of {@link EventLog.readAfter}. */
export interface ReadAfterOptions {
  /** Also return events appended here and not yet written. Default false. */
  readonly includePending?: boolean;
}

/** A durable, per-session, append-only event log. */
export interface EventLog {
  /**
   * Queues an event for writing; returns at once. Per session, events must
   * come in `prxseq` order without gaps (`VALIDATION_FAILED` otherwise).
   * Unbound-safe (pass it as a sink).
   */
  readonly append: (event: AnyVoiceEvent) => void;
  /** Resolves when every event appended before the call is stored. */
  flush(): Promise<void>;
  /**
   * Resolves `true` once the session's event `seq` is stored, by the regular batches (it
   * does not hurry them), and at once for a session that has nothing pending here;
   * `false` when it never will be (another instance writes the session's log). Lets a
   * reader show, and the meters count, only what is durable.
   */
  whenStored(tenantId: TenantId, sessionId: SessionId, seq: number): Promise<boolean>;
  /** Stored events of a session with `prxseq > afterSeq`, ascending, at most `limit` (default 500). */
  readAfter(
    tenantId: TenantId,
    sessionId: SessionId,
    afterSeq: number,
    limit?: number,
    options?: ReadAfterOptions,
  ): Promise<AnyVoiceEvent[]>;
  /** The highest `prxseq` of a session, stored or pending here; 0 when none (resume an emitter from it). */
  lastSeq(tenantId: TenantId, sessionId: SessionId): Promise<number>;
  /** Events appended and not yet stored. */
  readonly pendingCount: number;
  /** Flushes, then refuses further appends (`NOT_READY`). */
  close(): Promise<void>;
}

function positiveInt(
  name: string,
  value: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `${name} must be an integer from ${min} to ${max}, got ${value}`,
      details: { field: name },
    });
  }
  return value;
}

function isTerminal(event: AnyVoiceEvent): boolean {
  return event.type === 'prx.voice.session.closed' || event.type === 'prx.voice.session.failed';
}

/**
 * Creates the durable log. One writer per log: every flush interval it writes a batch of
 * each session's pending events, all sessions and tenants in one statement, each
 * session's events in order with one batch in flight per session. A session's failed
 * batch is reported and retried with backoff until it is stored; a retry that meets its
 * own earlier, actually committed write counts as written; a session whose log another
 * instance continued is fenced. One session's trouble never holds the others back.
 *
 * @example
 * const log = createEventLog({ repos, clock, onError: (err, f) => logger.warn({ err, ...f }) });
 * const emitter = createSessionEmitter({ ..., sink: [bus.publish, log.append] });
 * await log.flush();
 * const events = await log.readAfter(tenantId, sessionId, 0, 100);
 */
export function createEventLog(options: EventLogOptions): EventLog {
  const { repos, clock, codec } = options;
  const batchSize = positiveInt('batchSize', options.batchSize ?? 64, 1);
  const maxRowsPerWrite = positiveInt(
    'maxRowsPerWrite',
    options.maxRowsPerWrite ?? 1024,
    1,
    MAX_EVENT_ROWS_PER_WRITE,
  );
  const flushIntervalMs = positiveInt('flushIntervalMs', options.flushIntervalMs ?? 25, 0);
  const retryDelayMs = positiveInt('retryDelayMs', options.retryDelayMs ?? 100, 0);
  const maxRetryDelayMs = positiveInt('maxRetryDelayMs', options.maxRetryDelayMs ?? 5000, 0);
  const queues = new Map<string, SessionQueue>();
  let closed = false;

  const keyOf = (tenantId: string, sessionId: string): string => `${tenantId}/${sessionId}`;

  const writer = createLogWriter({
    writer: repos.sessionEventWriter,
    clock,
    queues,
    batchSize,
    flushIntervalMs,
    maxRowsPerWrite,
    retryDelayMs,
    maxRetryDelayMs,
    encode: codec === undefined ? undefined : (t, s, events) => codec.encode(t, s, events),
    onError: options.onError,
    onFenced: options.onFenced,
    onWritten: options.onWritten,
    onDone: (q) => queues.delete(keyOf(q.tenantId, q.sessionId)),
  });

  const queueFor = (event: AnyVoiceEvent): SessionQueue => {
    const key = keyOf(event.prxtenantid, event.prxsessionid);
    let q = queues.get(key);
    if (q === undefined) {
      q = {
        tenantId: event.prxtenantid,
        sessionId: event.prxsessionid,
        pending: [],
        lastSeq: event.prxseq - 1,
        writtenSeq: event.prxseq - 1,
        waiters: [],
        inFlight: 0,
        attempt: 0,
        retry: undefined,
        ended: false,
        fenced: false,
      };
      queues.set(key, q);
    }
    return q;
  };

  const flush = async (): Promise<void> => {
    const waits: Promise<unknown>[] = [];
    for (const q of queues.values()) {
      if (q.pending.length > 0) waits.push(writer.waitWritten(q, q.lastSeq));
    }
    if (waits.length > 0) await writer.hurryUntil(waits);
  };

  return {
    append: (event) => {
      if (closed) {
        throw new VoiceError('NOT_READY', { message: 'the event log is closed' });
      }
      const q = queueFor(event);
      if (event.prxseq !== q.lastSeq + 1) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `event ${event.id} of session ${event.prxsessionid} has prxseq ${event.prxseq}, expected ${q.lastSeq + 1}`,
          details: { expected_seq: q.lastSeq + 1, seq: event.prxseq },
        });
      }
      q.lastSeq = event.prxseq;
      if (q.fenced) {
        if (isTerminal(event)) queues.delete(keyOf(q.tenantId, q.sessionId));
        return;
      }
      q.pending.push(event);
      q.ended = false;
      writer.added();
      writer.kick(q.inFlight === 0 && q.retry === undefined && q.pending.length >= batchSize);
    },
    flush,
    whenStored(tenantId, sessionId, seq) {
      const q = queues.get(keyOf(tenantId, sessionId));
      if (q === undefined) return Promise.resolve(true);
      return q.fenced ? Promise.resolve(false) : writer.waitWritten(q, seq);
    },
    async readAfter(tenantId, sessionId, afterSeq, limit = 500, readOptions = {}) {
      // What is not yet stored, taken before the read: a write that lands while the rows
      // are read leaves its events in the rows or in this, never in neither.
      const pending =
        readOptions.includePending === true
          ? [...(queues.get(keyOf(tenantId, sessionId))?.pending ?? [])]
          : [];
      const rows = await repos.forTenant(tenantId).events.readAfter(sessionId, afterSeq, limit);
      const json =
        codec === undefined
          ? rows.map((row) => row.event)
          : await codec.decode(
              tenantId,
              sessionId,
              rows.map((row) => row.event),
            );
      const events = json.map((e) => parseEvent(e));
      if (readOptions.includePending !== true) return events;
      const after = Math.max(afterSeq, events.at(-1)?.prxseq ?? afterSeq);
      for (const e of pending) {
        if (events.length >= limit) break;
        if (e.prxseq > after) events.push(e);
      }
      return events;
    },
    async lastSeq(tenantId, sessionId) {
      // Postgres drivers may hand a bigint aggregate back as a string.
      const raw: unknown = await repos.forTenant(tenantId).events.lastSeq(sessionId);
      const stored = Number(raw);
      const q = queues.get(keyOf(tenantId, sessionId));
      return Math.max(stored, q?.lastSeq ?? 0);
    },
    get pendingCount() {
      return writer.pendingCount;
    },
    async close() {
      closed = true;
      await flush();
    },
  };
}
