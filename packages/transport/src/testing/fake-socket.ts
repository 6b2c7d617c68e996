/** A recording {@link WireSocket} for tests. */
import type { WireSocket } from '../socket.js';

/** A socket that records what is sent and how it was closed. */
export interface FakeSocket extends WireSocket {
  /** Every frame sent, in order, as given (binary frames are not copied). */
  readonly sent: readonly (string | Uint8Array)[];
  /** The close call, if any. */
  readonly closed: { readonly code: number; readonly reason: string } | undefined;
  /** Frames sent after `close` (a transport should send none). */
  readonly sentAfterClose: number;
  /** Settable, to test backpressure reporting; absent (by default) like a socket that does not know. */
  bufferedAmount?: number;
  /** The text frames sent. */
  texts(): string[];
  /** The text frames sent, parsed as JSON. */
  json(): unknown[];
  /** The binary frames sent. */
  binaries(): Uint8Array[];
  /** Forgets the frames sent so far (not the close). */
  clearSent(): void;
}

/**
 * Creates a {@link FakeSocket}.
 *
 * @example
 * const socket = createFakeSocket();
 * const conn = createSessionSocket({ socket, clock, engine, handlers });
 * conn.receive('{"type":"ping","id":"1"}', false);
 * expect(socket.closed).toBeUndefined();
 */
export function createFakeSocket(options: { readonly bufferedAmount?: number } = {}): FakeSocket {
  const sent: (string | Uint8Array)[] = [];
  let closed: { code: number; reason: string } | undefined;
  let sentAfterClose = 0;
  const socket: FakeSocket = {
    sent,
    send(data) {
      if (closed !== undefined) sentAfterClose++;
      sent.push(data);
    },
    close(code, reason) {
      closed ??= { code, reason };
    },
    get closed() {
      return closed;
    },
    get sentAfterClose() {
      return sentAfterClose;
    },
    texts: () => sent.filter((frame): frame is string => typeof frame === 'string'),
    json: () =>
      sent
        .filter((frame): frame is string => typeof frame === 'string')
        .map((t) => JSON.parse(t) as unknown),
    binaries: () => sent.filter((frame): frame is Uint8Array => typeof frame !== 'string'),
    clearSent: () => {
      sent.length = 0;
    },
  };
  if (options.bufferedAmount !== undefined) socket.bufferedAmount = options.bufferedAmount;
  return socket;
}
