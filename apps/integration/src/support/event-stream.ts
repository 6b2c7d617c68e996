/**
 * A Server-Sent Events reader for over-the-wire tests: opens
 * `GET /api/v1/sessions/{id}/events`, parses every message as a CloudEvent and
 * lets a test await the first event that matches, already received or still to come.
 */
import { parseEvent } from '@prx-voice/event';
import type { AnyVoiceEvent } from '@prx-voice/event';

/** A session's live event stream. */
export interface EventStream {
  /** The events received so far, in order. */
  readonly events: readonly AnyVoiceEvent[];
  /**
   * The first event that matches, received already or still to come; rejects when the stream
   * ends first or, with `timeoutMs`, when none came in time (naming the events seen).
   */
  waitFor(match: (event: AnyVoiceEvent) => boolean, timeoutMs?: number): Promise<AnyVoiceEvent>;
  /** Stops reading. */
  close(): void;
}

/**
 * Opens the event stream of a session.
 *
 * @example
 * const stream = await openEventStream(`${url}/api/v1/sessions/${id}/events`, key);
 * await stream.waitFor((e) => e.type === 'prx.voice.turn.completed');
 */
export async function openEventStream(url: string, key: string): Promise<EventStream> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${key}` },
    signal: abort.signal,
  });
  if (res.status !== 200 || res.body === null)
    throw new Error(`GET ${url} answered ${String(res.status)}`);
  const events: AnyVoiceEvent[] = [];
  const waiters: {
    match: (e: AnyVoiceEvent) => boolean;
    resolve: (e: AnyVoiceEvent) => void;
    reject: (err: Error) => void;
  }[] = [];
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let ended = false;
  const endedFirst = (): string =>
    `the event stream of ${url} ended first; seen: ${events.map((e) => e.type).join(', ')}`;
  const take = (block: string): void => {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.replace(/^data: ?/, ''))
      .join('\n');
    if (data === '') return;
    const event = parseEvent(data);
    events.push(event);
    for (const w of waiters.splice(0)) {
      if (w.match(event)) w.resolve(event);
      else waiters.push(w);
    }
  };
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
          take(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch {
      // Aborted by close(), or the server went away: the waiters below learn of it.
    }
    ended = true;
    for (const w of waiters.splice(0)) w.reject(new Error(endedFirst()));
  })();
  return {
    events,
    waitFor: (match, timeoutMs) => {
      const seen = events.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      if (ended) return Promise.reject(new Error(endedFirst()));
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve, reject };
        waiters.push(waiter);
        if (timeoutMs === undefined) return;
        const timer = setTimeout(() => {
          const at = waiters.indexOf(waiter);
          if (at < 0) return;
          waiters.splice(at, 1);
          reject(
            new Error(
              `no matching event within ${String(timeoutMs)} ms on ${url}; seen: ${events.map((e) => e.type).join(', ')}`,
            ),
          );
        }, timeoutMs);
        waiter.resolve = (e) => {
          clearTimeout(timer);
          resolve(e);
        };
        waiter.reject = (err: Error) => {
          clearTimeout(timer);
          reject(err);
        };
      });
    },
    close: () => abort.abort(),
  };
}
