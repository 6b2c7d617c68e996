/**
 * What a transport needs of a connection: send a frame, close with a code. A `ws`
 * WebSocket fits as it is; tests use `createFakeSocket()` from `./testing`.
 */

/**
 * A full-duplex message socket, as the server hands it to a transport.
 *
 * Ownership: a transport never touches a `Uint8Array` again after passing it to
 * `send`, so the socket may keep it until written (as `ws` does) without copying.
 */
export interface WireSocket {
  /** Sends one frame: a string as a text frame, bytes as a binary frame. */
  send(data: string | Uint8Array): void;
  /** Closes the connection with a WebSocket close code and a short reason. */
  close(code: number, reason: string): void;
  /** Bytes queued but not yet written to the network, when the socket knows it. */
  readonly bufferedAmount?: number;
}

/** The close codes of the public protocol (`shared/PROTOCOL.md`). */
export const CLOSE_CODES = Object.freeze({
  /** The session ended normally. */
  normal: 1000,
  /** A frame or message broke the protocol repeatedly. */
  policy: 1008,
  /** A message was larger than the server accepts. */
  tooBig: 1009,
  /** Missing or invalid credential. */
  unauthenticated: 4401,
  /** The credential may not use this session. */
  forbidden: 4403,
  /** No such session. */
  notFound: 4404,
  /** Another connection is already attached to the session. */
  alreadyAttached: 4409,
  /** A rate or concurrency limit refused the connection. */
  limited: 4429,
} as const);

/** One of {@link CLOSE_CODES}. */
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/** Longest close reason a WebSocket allows, in UTF-8 bytes (125 minus the 2-byte code). */
export const MAX_CLOSE_REASON_BYTES = 123;

/** Shortens a close reason to what a close frame can carry (whole characters only). */
export function closeReason(reason: string): string {
  if (Buffer.byteLength(reason, 'utf8') <= MAX_CLOSE_REASON_BYTES) return reason;
  let out = '';
  let bytes = 0;
  for (const char of reason) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > MAX_CLOSE_REASON_BYTES) break;
    out += char;
    bytes += size;
  }
  return out;
}
