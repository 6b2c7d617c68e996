/**
 * A `ws` socket as a transport's {@link WireSocket}, its writes of one tick sent together.
 *
 * Every message a connection is sent in one run of the event loop's callbacks — a pacer's
 * audio frame and the events emitted in the same step, a burst of events at a turn's end —
 * is held in the connection's write buffer (`cork`) until that callback and its `nextTick`s
 * are done, then written in one system call (`uncork` → one `writev`). Nothing waits for a
 * later tick, so no message leaves later than the callback's own work: on loopback at 20
 * sessions this took about a third of the server's `writev` calls away (a frame and its
 * events were two or more writes, each paying the receiver's TCP work too).
 *
 * The upgraded connection of a `ws` socket is registered by the socket router
 * ({@link registerConnection}); a socket that has none (a test's fake) is written unbatched.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { WireSocket } from '@prx-voice/transport';

const connections = new WeakMap<WebSocket, Duplex>();

/** Records the connection a `ws` socket was upgraded on (the socket router does, for every route). */
export function registerConnection(ws: WebSocket, connection: Duplex): void {
  connections.set(ws, connection);
}

/** Longest close reason a close frame carries (123 bytes; kept to ASCII-safe 120 characters). */
const MAX_CLOSE_REASON = 120;

/** `ws` as a {@link WireSocket}: nothing sent once it is closing; one tick's sends in one write. */
export function wireSocketOf(ws: WebSocket): WireSocket {
  const connection = connections.get(ws);
  let held = false;
  const release = (): void => {
    held = false;
    connection?.uncork();
  };
  return {
    send: (data) => {
      if (ws.readyState !== ws.OPEN) return;
      if (connection !== undefined && !held) {
        held = true;
        connection.cork();
        process.nextTick(release);
      }
      ws.send(data);
    },
    close: (code, reason) => ws.close(code, reason.slice(0, MAX_CLOSE_REASON)),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  };
}
