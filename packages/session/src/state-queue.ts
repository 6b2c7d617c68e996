/**
 * The instance's one writer of session states, committing as a group: a state change
 * waits for the statement in flight (if any), and the next statement takes every change
 * that came meanwhile, of every session — one at a time, so under load many sessions'
 * changes share a statement and when idle a change is written at once (no timer). Each
 * change learns whether its session advanced or had ended (fenced). A statement the
 * database refuses is tried again change by change so only the bad change fails; a
 * failure a retry can cure fails the changes of that statement, which their sessions'
 * persistence retries with backoff.
 */
import { MAX_STATE_UPDATES_PER_WRITE, isTransientStorageError } from '@prx-voice/storage';
import type { SessionStateUpdate, SessionStateWriter } from '@prx-voice/storage';

/** See the module's description. */
export interface SessionStateQueue {
  /** Resolves `true` once the session's row has the state, `false` if the session had ended. */
  advance(update: SessionStateUpdate): Promise<boolean>;
  /** Changes waiting or being written. */
  readonly pending: number;
}

interface Pending {
  readonly update: SessionStateUpdate;
  readonly resolve: (advanced: boolean) => void;
  readonly reject: (error: unknown) => void;
}

/** Creates the queue over the repositories' {@link SessionStateWriter}. */
export function createSessionStateQueue(opts: {
  readonly writer: SessionStateWriter;
  /** Most changes per statement (default and upper bound: the writer's). */
  readonly maxPerWrite?: number;
}): SessionStateQueue {
  const max = Math.min(
    opts.maxPerWrite ?? MAX_STATE_UPDATES_PER_WRITE,
    MAX_STATE_UPDATES_PER_WRITE,
  );
  let queue: Pending[] = [];
  let inFlight = 0;
  let running = false;

  /** Up to `max` changes, one per session; a session's later change waits for the next. */
  const take = (): Pending[] => {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const sessions = new Set<string>();
    for (const p of queue) {
      const key = `${p.update.tenantId}/${p.update.sessionId}`;
      if (batch.length < max && !sessions.has(key)) {
        sessions.add(key);
        batch.push(p);
      } else rest.push(p);
    }
    queue = rest;
    return batch;
  };

  const write = async (batch: readonly Pending[]): Promise<void> => {
    try {
      const advanced = await opts.writer.advanceMany(batch.map((p) => p.update));
      for (const p of batch) p.resolve(advanced.has(p.update.sessionId));
    } catch (error) {
      if (batch.length === 1 || isTransientStorageError(error)) {
        for (const p of batch) p.reject(error);
        return;
      }
      for (const p of batch) await write([p]);
    }
  };

  const run = async (): Promise<void> => {
    running = true;
    try {
      while (queue.length > 0) {
        const batch = take();
        inFlight = batch.length;
        await write(batch);
        inFlight = 0;
      }
    } finally {
      running = false;
    }
  };

  return {
    advance(update) {
      return new Promise<boolean>((resolve, reject) => {
        queue.push({ update, resolve, reject });
        // The changes made in this turn of the event loop go together.
        if (!running) {
          running = true;
          setImmediate(() => void run());
        }
      });
    },
    get pending() {
      return queue.length + inFlight;
    },
  };
}
