/**
 * A session's event stream (`GET /sessions/{id}/events`, Server-Sent Events) read
 * with `fetch`, since `EventSource` cannot send an `Authorization` header: each
 * message's `data` is one CloudEvent.
 */
import type { Api } from './api.js';
import type { VoiceEvent } from './voice-socket.js';

/** Streams the events of `sessionId` to `onEvent` until `signal` aborts or the stream ends. */
export async function followEvents(
  api: Api,
  sessionId: string,
  onEvent: (event: VoiceEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await api.raw(`sessions/${sessionId}/events?after_seq=0`, {
    headers: { Accept: 'text/event-stream' },
    signal,
  });
  if (res.body === null) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (data === '') continue;
        try {
          onEvent(JSON.parse(data) as VoiceEvent);
        } catch {
          // not JSON: skip
        }
      }
    }
  } catch (err) {
    if (signal.aborted) return;
    throw err;
  } finally {
    reader.releaseLock();
  }
}
