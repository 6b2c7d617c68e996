/** A repository wrapper whose event writes fail on demand, to test retries. */
import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import type {
  NewSessionEvent,
  SessionEventRepository,
  SessionEventWriter,
} from '@prx-voice/storage';
import type { EventLogRepositories } from '../event-log.js';

/** Options of {@link failingEventRepos}. */
export interface FailingEventReposOptions {
  /** How many writes (`append` or `appendMany` calls) fail before they go through; default 1. */
  readonly failures?: number;
  /** What a failing call throws; default `STORAGE_UNAVAILABLE`. */
  readonly error?: () => unknown;
  /** Fail after the write was committed (the caller sees an error, the rows exist). */
  readonly afterCommit?: boolean;
}

/** The wrapper and counters of what happened through it. */
export interface FailingEventRepos extends EventLogRepositories {
  /** Writes made (each one statement), failed or not. */
  readonly calls: number;
  /** Writes that threw. */
  readonly failed: number;
  /** The rows of every write, in order. */
  readonly batches: readonly (readonly NewSessionEvent[])[];
  /** Makes the next `n` writes fail. */
  failNext(n: number): void;
}

/**
 * Wraps repositories so the next `failures` event writes throw (the log's one-statement
 * writes through `sessionEventWriter` and a tenant's `events.append` alike).
 *
 * @example
 * const repos = failingEventRepos(db.repos, { failures: 2 });
 * const log = createEventLog({ repos, clock, onError });
 */
export function failingEventRepos(
  inner: EventLogRepositories,
  options: FailingEventReposOptions = {},
): FailingEventRepos {
  let remaining = options.failures ?? 1;
  let calls = 0;
  let failed = 0;
  const batches: (readonly NewSessionEvent[])[] = [];
  const makeError =
    options.error ??
    (() => new VoiceError('STORAGE_UNAVAILABLE', { message: 'injected write failure' }));
  /** Counts a write and runs it, or fails it (after running it when `afterCommit`). */
  const attempt = async <T>(rows: readonly NewSessionEvent[], write: () => Promise<T>) => {
    calls++;
    batches.push([...rows]);
    if (remaining > 0) {
      remaining--;
      failed++;
      if (options.afterCommit === true) await write();
      throw makeError();
    }
    return write();
  };
  const writer: SessionEventWriter = {
    appendMany: (rows) => attempt(rows, () => inner.sessionEventWriter.appendMany(rows)),
  };
  const wrap = (events: SessionEventRepository): SessionEventRepository => ({
    append: (batch) => attempt(batch, () => events.append(batch)),
    readAfter: (sessionId, afterSeq, limit) => events.readAfter(sessionId, afterSeq, limit),
    lastSeq: (sessionId) => events.lastSeq(sessionId),
    rewrite: (sessionId, rows) => events.rewrite(sessionId, rows),
  });
  return {
    forTenant: (tenantId: TenantId) => ({ events: wrap(inner.forTenant(tenantId).events) }),
    sessionEventWriter: writer,
    get calls() {
      return calls;
    },
    get failed() {
      return failed;
    },
    batches,
    failNext(n) {
      remaining = n;
    },
  };
}
