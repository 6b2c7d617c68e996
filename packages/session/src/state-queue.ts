/**
 * The instance's one writer of session states, committing as a group: a state change
 * waits for the statement in flight (if any), and the next statement takes every change
 * that came meanwhile, of every session — one at a time, so under load many sessions'
 * changes share a statement. A change of a session whose previous change is still
 * waiting replaces it (the row only ever needs the latest state; both learn the outcome).
 *
 * With `holdMs`, a change within a turn (any state but Closed and Failed) waits up to that
 * long for others to share its statement: one statement per `holdMs` for every session
 * of the instance instead of one per change. A session's end, and `flush()`, write at
 * once, taking what waits with them. Without it a change is written at once (no timer).
 *
 * Each change learns whether its session advanced or had ended (fenced). A statement the
 * database refuses is tried again change by change so only the bad change fails; a
 * failure a retry can cure fails the changes of that statement, which their sessions'
 * persistence retries with backoff.
 */
import type { Clock } from '@prx-voice/core';
import { MAX_STATE_UPDATES_PER_WRITE, isTransientStorageError } from '@prx-voice/storage';
import type { SessionStateUpdate, SessionStateWriter } from '@prx-voice/storage';
import { isTerminalState } from '@prx-voice/types';

/** See the module's description. */
export interface SessionStateQueue {
  /** Resolves `true` once the session's row has the state (or a later one), `false` if the session had ended. */
  advance(update: SessionStateUpdate): Promise<boolean>;
  /** Writes what waits now instead of at the end of its hold. */
  flush(): void;
  /** Changes waiting or being written. */
  readonly pending: number;
}

interface Waiter {
  readonly resolve: (advanced: boolean) => void;
  readonly reject: (error: unknown) => void;
}

interface Pending {
  readonly key: string;
  update: SessionStateUpdate;
  readonly waiters: Waiter[];
  /** Written without waiting for the hold (a session's end, a flush). */
  urgent: boolean;
}

/** Creates the queue over the repositories' {@link SessionStateWriter}. */
export function createSessionStateQueue(opts: {
  readonly writer: SessionStateWriter;
  /** Most changes per statement (default and upper bound: the writer's). */
  readonly maxPerWrite?: number;
  /** How long a change within a turn may wait for others (default 0: written at once). */
  readonly holdMs?: number;
  /** The hold's timers; required with `holdMs`. */
  readonly clock?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}): SessionStateQueue {
  const max = Math.min(
    opts.maxPerWrite ?? MAX_STATE_UPDATES_PER_WRITE,
    MAX_STATE_UPDATES_PER_WRITE,
  );
  const holdMs = opts.holdMs ?? 0;
  const clock = opts.clock;
  if (holdMs > 0 && clock === undefined) throw new Error('state queue: holdMs needs a clock');
  let queue: Pending[] = [];
  /** The last change waiting (not yet in a statement) per session. */
  const waiting = new Map<string, Pending>();
  let inFlight = 0;
  let phase: 'idle' | 'soon' | 'held' | 'writing' = 'idle';
  let holdTimer: unknown;

  /** Up to `max` changes, one per session; a session's later change waits for the next. */
  const take = (): Pending[] => {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const sessions = new Set<string>();
    for (const p of queue) {
      if (batch.length < max && !sessions.has(p.key)) {
        sessions.add(p.key);
        batch.push(p);
        if (waiting.get(p.key) === p) waiting.delete(p.key);
      } else rest.push(p);
    }
    queue = rest;
    return batch;
  };

  const count = (batch: readonly Pending[]): number =>
    batch.reduce((n, p) => n + p.waiters.length, 0);

  const write = async (batch: readonly Pending[]): Promise<void> => {
    try {
      const advanced = await opts.writer.advanceMany(batch.map((p) => p.update));
      for (const p of batch) {
        const ok = advanced.has(p.update.sessionId);
        for (const w of p.waiters) w.resolve(ok);
      }
    } catch (error) {
      if (batch.length === 1 || isTransientStorageError(error)) {
        for (const p of batch) for (const w of p.waiters) w.reject(error);
        return;
      }
      for (const p of batch) await write([p]);
    }
  };

  const run = async (): Promise<void> => {
    phase = 'writing';
    try {
      do {
        const batch = take();
        inFlight = count(batch);
        await write(batch);
        inFlight = 0;
      } while (queue.length > 0 && (holdMs <= 0 || queue.some((p) => p.urgent)));
    } finally {
      phase = 'idle';
      // What came during the last statement and may wait, waits for the next hold.
      if (queue.length > 0) schedule(false);
    }
  };

  function schedule(urgent: boolean): void {
    if (phase === 'writing' || phase === 'soon') return;
    if (urgent || holdMs <= 0) {
      if (phase === 'held') clock?.clearTimeout(holdTimer as never);
      phase = 'soon';
      setImmediate(() => void run());
    } else if (phase === 'idle') {
      phase = 'held';
      holdTimer = clock?.setTimeout(() => void run(), holdMs);
    }
  }

  return {
    advance(update) {
      return new Promise<boolean>((resolve, reject) => {
        const key = `${update.tenantId}/${update.sessionId}`;
        const urgent = isTerminalState(update.state);
        const earlier = waiting.get(key);
        if (earlier !== undefined && !isTerminalState(earlier.update.state)) {
          earlier.update = update;
          earlier.waiters.push({ resolve, reject });
          earlier.urgent ||= urgent;
        } else {
          const p: Pending = { key, update, waiters: [{ resolve, reject }], urgent };
          queue.push(p);
          waiting.set(key, p);
        }
        schedule(urgent);
      });
    },
    flush() {
      if (queue.length === 0) return;
      for (const p of queue) p.urgent = true;
      schedule(true);
    },
    get pending() {
      return queue.reduce((n, p) => n + p.waiters.length, 0) + inFlight;
    },
  };
}
