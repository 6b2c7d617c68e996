/**
 * Server-Sent Events of a session: the durable log after the client's
 * position (`Last-Event-ID` or `?after_seq=`), then the live events, one
 * CloudEvent per message with `id:` = `prxseq`. A consumer too slow for the
 * live stream is cut off and resumes from the log when it reconnects. On an
 * instance that does not run the session, the live part is the durable log
 * itself, followed as it grows (`tail`), until the session's terminal event.
 *
 * Durable before visible: an event is written to the stream only once it is
 * stored in the durable log (the log's regular batches, ~25 ms), so whatever a
 * client saw survives a crash of the instance, and a client resuming with
 * `Last-Event-ID` never skips an event stored after it (a crashed session's
 * recovery continues the log after its last stored event).
 */
import type { Clock } from '@prx-voice/core';
import type { AnyVoiceEvent, EventBus, EventLog } from '@prx-voice/event';
import type { SessionId, TenantId } from '@prx-voice/types';

const TERMINAL = new Set(['prx.voice.session.closed', 'prx.voice.session.failed']);

/** Writes one SSE message. */
export type SseWrite = (message: { id: string; event: string; data: string }) => Promise<void>;

/**
 * Streams a session's events after `afterSeq` until the session ends, the
 * client goes away (`signal`), or the consumer falls behind.
 */
export async function streamSessionEvents(opts: {
  readonly bus: EventBus;
  readonly log: EventLog;
  readonly tenantId: TenantId;
  readonly sessionId: SessionId;
  readonly afterSeq: number;
  /** Whether the session still runs (else only the log is sent). */
  readonly live: boolean;
  readonly signal: AbortSignal;
  readonly write: SseWrite;
  /** What the caller may see of each event (e.g. transcripts redacted); default: all of it. */
  readonly view?: (event: AnyVoiceEvent) => AnyVoiceEvent;
  /**
   * A session that runs on another instance: follow its durable log every `everyMs`
   * until its terminal event. The session's row can say it ended before its owner has
   * stored the terminal event (the row and the log are written separately), so once
   * `ended()` holds the log is still followed for `graceMs` (default 5 s) — past that
   * the owner died in between, and no terminal event is coming.
   */
  readonly tail?: {
    readonly clock: Clock;
    readonly everyMs: number;
    readonly ended: () => Promise<boolean>;
    readonly graceMs?: number;
  };
}): Promise<void> {
  // Subscribe before reading the log, so nothing emitted in between is missed.
  const sub = opts.live
    ? opts.bus.subscribe({
        sessionId: opts.sessionId,
        afterSeq: opts.afterSeq,
        signal: opts.signal,
      })
    : undefined;
  let last = opts.afterSeq;
  const send = async (e: AnyVoiceEvent): Promise<boolean> => {
    if (e.prxseq <= last) return true;
    await opts.log.whenStored(opts.tenantId, opts.sessionId, e.prxseq);
    last = e.prxseq;
    const shown = opts.view === undefined ? e : opts.view(e);
    await opts.write({ id: String(e.prxseq), event: e.type, data: JSON.stringify(shown) });
    return !TERMINAL.has(e.type);
  };
  /** Sends the log after `last`; false once the terminal event was sent. */
  const fromLog = async (): Promise<boolean> => {
    for (;;) {
      const page = await opts.log.readAfter(opts.tenantId, opts.sessionId, last, 500, {
        includePending: true,
      });
      for (const e of page) if (!(await send(e))) return false;
      if (page.length < 500) return true;
    }
  };
  try {
    if (!(await fromLog())) return;
    const tail = opts.tail;
    if (sub === undefined && tail !== undefined) {
      let endedAt: number | undefined;
      while (!opts.signal.aborted) {
        await waitFor(tail.clock, tail.everyMs, opts.signal);
        if (!(await fromLog())) return;
        endedAt ??= (await tail.ended()) ? tail.clock.now() : undefined;
        if (endedAt !== undefined && tail.clock.now() - endedAt >= (tail.graceMs ?? 5_000)) return;
      }
      return;
    }
    if (sub === undefined) return;
    for await (const item of sub) {
      if (opts.signal.aborted) return;
      if (!('type' in item)) return; // cut off: the client reconnects with Last-Event-ID
      if (!(await send(item))) return;
    }
  } finally {
    sub?.unsubscribe();
  }
}

/** The position to resume after: `Last-Event-ID` wins over `after_seq`; anything else starts from 0. */
export function resumePosition(
  lastEventId: string | undefined | null,
  afterSeq: string | undefined | null,
): number {
  for (const v of [lastEventId, afterSeq]) {
    if (v !== undefined && v !== null && /^\d{1,15}$/.test(v.trim())) return Number(v.trim());
  }
  return 0;
}

/** Resolves after `ms` on `clock`, or at once when `signal` aborts. */
function waitFor(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = clock.setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
