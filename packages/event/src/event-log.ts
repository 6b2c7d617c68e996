/** The durable per-session event log: ordered, batched writes through storage, with retries. */
import { VoiceError } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import type { Clock, TimerHandle } from '@prx-voice/core';
import type { NewSessionEvent, SessionEventRepository } from '@prx-voice/storage';
import { parseEvent } from './parse-event.js';
import type { AnyVoiceEvent } from './voice-event.js';

/** The part of `Repositories` (from `@prx-voice/storage`) the log uses. */
export interface EventLogRepositories {
  forTenant(tenantId: TenantId): { readonly events: SessionEventRepository };
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

type EventJsonBatch = readonly Readonly<Record<string, unknown>>[];

/** Options of {@link createEventLog}. */
export interface EventLogOptions {
  readonly repos: EventLogRepositories;
  /** Timer source of the flush interval and retry delays. */
  readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** Events per write; a session with this many pending is written at once. Default 64. */
  readonly batchSize?: number;
  /** Longest an event waits for a batch to fill. Default 25 ms. */
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
  /** A batch was stored: how many events, and how long the write took (ms, `performance.now`). */
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
   * Resolves once the session's event `seq` is stored, by the regular batches (it does
   * not hurry them); at once for a session that has nothing pending here. Lets a reader
   * show only what is durable.
   */
  whenStored(tenantId: TenantId, sessionId: SessionId, seq: number): Promise<void>;
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

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
}

interface SessionQueue {
  readonly tenantId: TenantId;
  readonly sessionId: SessionId;
  readonly repo: SessionEventRepository;
  readonly pending: AnyVoiceEvent[];
  /** Last seq appended (pending or written). */
  lastSeq: number;
  writtenSeq: number;
  waiters: Waiter[];
  timer: TimerHandle | undefined;
  writing: Promise<void> | undefined;
  ended: boolean;
  /** Another instance writes this session's log: nothing more is written from here. */
  fenced: boolean;
}

function positiveInt(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `${name} must be an integer of at least ${min}, got ${value}`,
      details: { field: name },
    });
  }
  return value;
}

/** The stored row of an event (what the log writes); `stored`: its stored JSON, default itself. */
export function eventToRow(
  event: AnyVoiceEvent,
  stored: Record<string, unknown> = event as unknown as Record<string, unknown>,
): NewSessionEvent {
  return {
    sessionId: event.prxsessionid,
    seq: event.prxseq,
    id: event.id,
    type: event.type,
    time: new Date(event.time),
    turnId: event.prxturnid ?? null,
    runId: event.prxrunid ?? null,
    severity: event.prxseverity,
    event: stored,
  };
}

function isTerminal(event: AnyVoiceEvent | undefined): boolean {
  return event?.type === 'prx.voice.session.closed' || event?.type === 'prx.voice.session.failed';
}

/**
 * Creates the durable log. Each session's events are written in order, one
 * batch in flight per session; a failed batch is reported and retried with
 * backoff until it is stored. A retry that meets its own earlier, actually
 * committed write (`CONFLICT` with the same event ids) counts as written.
 *
 * @example
 * const log = createEventLog({ repos, clock, onError: (err, f) => logger.warn({ err, ...f }) });
 * const emitter = createSessionEmitter({ ..., sink: [bus.publish, log.append] });
 * await log.flush();
 * const events = await log.readAfter(tenantId, sessionId, 0, 100);
 */
export function createEventLog(options: EventLogOptions): EventLog {
  const { repos, clock, onError, codec } = options;
  const batchSize = positiveInt('batchSize', options.batchSize ?? 64, 1);
  const flushIntervalMs = positiveInt('flushIntervalMs', options.flushIntervalMs ?? 25, 0);
  const retryDelayMs = positiveInt('retryDelayMs', options.retryDelayMs ?? 100, 0);
  const maxRetryDelayMs = positiveInt('maxRetryDelayMs', options.maxRetryDelayMs ?? 5000, 0);
  const queues = new Map<string, SessionQueue>();
  let pendingCount = 0;
  let closed = false;

  const keyOf = (tenantId: string, sessionId: string): string => `${tenantId}/${sessionId}`;

  const queueFor = (event: AnyVoiceEvent): SessionQueue => {
    const key = keyOf(event.prxtenantid, event.prxsessionid);
    let q = queues.get(key);
    if (q === undefined) {
      q = {
        tenantId: event.prxtenantid,
        sessionId: event.prxsessionid,
        repo: repos.forTenant(event.prxtenantid).events,
        pending: [],
        lastSeq: event.prxseq - 1,
        writtenSeq: event.prxseq - 1,
        waiters: [],
        timer: undefined,
        writing: undefined,
        ended: false,
        fenced: false,
      };
      queues.set(key, q);
    }
    return q;
  };

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      clock.setTimeout(resolve, ms);
    });

  const markWritten = (q: SessionQueue, count: number): void => {
    const done = q.pending.splice(0, count);
    pendingCount -= done.length;
    const last = done.at(-1);
    if (last === undefined) return;
    q.writtenSeq = last.prxseq;
    if (isTerminal(last)) q.ended = true;
    const ready = q.waiters.filter((w) => w.seq <= q.writtenSeq);
    q.waiters = q.waiters.filter((w) => w.seq > q.writtenSeq);
    for (const w of ready) w.resolve();
  };

  /**
   * How many leading events of a batch that hit `CONFLICT` are already stored as
   * themselves, and whether the next position holds another event (`foreign`).
   */
  const storedPrefix = async (
    q: SessionQueue,
    batch: readonly AnyVoiceEvent[],
  ): Promise<{ stored: number; foreign: boolean }> => {
    const first = batch[0];
    if (first === undefined) return { stored: 0, foreign: false };
    const rows = await q.repo.readAfter(q.sessionId, first.prxseq - 1, batch.length);
    let n = 0;
    while (n < batch.length && n < rows.length && rows[n]?.id === batch[n]?.id) n++;
    return { stored: n, foreign: n === 0 && rows[0] !== undefined && rows[0].seq === first.prxseq };
  };

  /** Drops what is pending for a session whose log another instance writes. */
  const fence = (q: SessionQueue): void => {
    q.fenced = true;
    pendingCount -= q.pending.length;
    q.pending.length = 0;
    // Readers waiting to show these events as durable are let go: they never will be.
    for (const w of q.waiters.splice(0)) w.resolve();
    try {
      options.onFenced?.(q.tenantId, q.sessionId);
    } catch {
      // A throwing callback must not stop the log.
    }
  };

  const report = (error: unknown, failure: EventLogFailure): void => {
    try {
      onError(VoiceError.from(error, 'STORAGE_UNAVAILABLE'), failure);
    } catch {
      // A throwing reporter must not stop the retries.
    }
  };

  const drain = async (q: SessionQueue): Promise<void> => {
    let attempt = 0;
    while (q.pending.length > 0) {
      const batch = q.pending.slice(0, batchSize);
      try {
        const started = performance.now();
        const stored =
          codec === undefined
            ? undefined
            : await codec.encode(q.tenantId, q.sessionId, batch as unknown as EventJsonBatch);
        await q.repo.append(batch.map((e, i) => eventToRow(e, stored?.[i])));
        options.onWritten?.(batch.length, performance.now() - started);
        markWritten(q, batch.length);
        attempt = 0;
        continue;
      } catch (error) {
        if (VoiceError.is(error) && error.code === 'CONFLICT') {
          const { stored, foreign } = await storedPrefix(q, batch).catch(() => ({
            stored: 0,
            foreign: false,
          }));
          if (stored > 0) {
            markWritten(q, stored);
            attempt = 0;
            continue;
          }
          if (foreign) {
            fence(q);
            break;
          }
        }
        attempt++;
        const retryInMs = Math.min(retryDelayMs * 2 ** (attempt - 1), maxRetryDelayMs);
        report(error, {
          tenantId: q.tenantId,
          sessionId: q.sessionId,
          fromSeq: batch[0]?.prxseq ?? 0,
          toSeq: batch.at(-1)?.prxseq ?? 0,
          attempt,
          retryInMs,
        });
        await delay(retryInMs);
      }
    }
    q.writing = undefined;
    if (q.ended && q.timer === undefined) queues.delete(keyOf(q.tenantId, q.sessionId));
  };

  const start = (q: SessionQueue): void => {
    if (q.timer !== undefined) {
      clock.clearTimeout(q.timer);
      q.timer = undefined;
    }
    if (q.writing !== undefined || q.pending.length === 0) return;
    q.writing = drain(q);
  };

  const waitWritten = (q: SessionQueue, seq: number): Promise<void> =>
    q.writtenSeq >= seq
      ? Promise.resolve()
      : new Promise((resolve) => q.waiters.push({ seq, resolve }));

  const flush = async (): Promise<void> => {
    const waits: Promise<void>[] = [];
    for (const q of queues.values()) {
      if (q.pending.length === 0) continue;
      waits.push(waitWritten(q, q.lastSeq));
      start(q);
    }
    await Promise.all(waits);
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
      pendingCount++;
      if (q.writing !== undefined) return;
      if (q.pending.length >= batchSize) start(q);
      else
        q.timer ??= clock.setTimeout(() => {
          q.timer = undefined;
          start(q);
        }, flushIntervalMs);
    },
    flush,
    whenStored(tenantId, sessionId, seq) {
      const q = queues.get(keyOf(tenantId, sessionId));
      return q === undefined || q.fenced ? Promise.resolve() : waitWritten(q, seq);
    },
    async readAfter(tenantId, sessionId, afterSeq, limit = 500, readOptions = {}) {
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
      const q = queues.get(keyOf(tenantId, sessionId));
      if (q === undefined) return events;
      const after = Math.max(afterSeq, events.at(-1)?.prxseq ?? afterSeq);
      for (const e of q.pending) {
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
      return pendingCount;
    },
    async close() {
      closed = true;
      await flush();
    },
  };
}
