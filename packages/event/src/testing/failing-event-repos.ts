/** A repository wrapper whose event writes fail on demand, to test retries. */
import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import type { NewSessionEvent, SessionEventRepository } from '@prx-voice/storage';
import type { EventLogRepositories } from '../event-log.js';

/** Options of {@link failingEventRepos}. */
export interface FailingEventReposOptions {
  /** How many `append` calls fail before they start going through; default 1. */
  readonly failures?: number;
  /** What a failing call throws; default `STORAGE_UNAVAILABLE`. */
  readonly error?: () => unknown;
  /** Fail after the write was committed (the caller sees an error, the rows exist). */
  readonly afterCommit?: boolean;
}

/** The wrapper and counters of what happened through it. */
export interface FailingEventRepos extends EventLogRepositories {
  /** `append` calls made, failed or not. */
  readonly calls: number;
  /** `append` calls that threw. */
  readonly failed: number;
  /** The batches of every `append` call, in order. */
  readonly batches: readonly (readonly NewSessionEvent[])[];
  /** Makes the next `n` appends fail. */
  failNext(n: number): void;
}

/**
 * Wraps repositories so the next `failures` event appends throw.
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
  const wrap = (events: SessionEventRepository): SessionEventRepository => ({
    async append(batch) {
      calls++;
      batches.push([...batch]);
      if (remaining > 0) {
        remaining--;
        failed++;
        if (options.afterCommit === true) await events.append(batch);
        throw makeError();
      }
      await events.append(batch);
    },
    readAfter: (sessionId, afterSeq, limit) => events.readAfter(sessionId, afterSeq, limit),
    lastSeq: (sessionId) => events.lastSeq(sessionId),
    rewrite: (sessionId, rows) => events.rewrite(sessionId, rows),
  });
  return {
    forTenant: (tenantId: TenantId) => ({ events: wrap(inner.forTenant(tenantId).events) }),
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
