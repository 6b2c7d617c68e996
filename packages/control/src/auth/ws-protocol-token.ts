/**
 * Browsers cannot set headers on a WebSocket, and a credential in a URL ends up in
 * access logs and history. So a browser may offer its token as a subprotocol:
 * `new WebSocket(url, ['prx-voice', 'prx-voice.auth.' + base64url(token)])`. The
 * server selects `prx-voice` (never echoing the credential) and reads the token
 * from the offered list as if it came in an `Authorization: Bearer` header.
 */

/** The subprotocol the server selects when a client offers it. */
export const WS_PROTOCOL = 'prx-voice';

/** The subprotocol of OpenAI Realtime clients (`realtime`, with `openai-insecure-api-key.<key>`). */
export const REALTIME_WS_PROTOCOL = 'realtime';

/** Prefix of the subprotocol that carries a base64url-encoded bearer token. */
export const WS_AUTH_PROTOCOL_PREFIX = 'prx-voice.auth.';

/** The protocols of a `Sec-WebSocket-Protocol` header, trimmed, empty ones left out. */
function offered(header: string | readonly string[] | undefined): string[] {
  if (header === undefined) return [];
  const values = typeof header === 'string' ? [header] : header;
  return values
    .flatMap((v) => v.split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/**
 * The bearer token a client offered as a `prx-voice.auth.<base64url>` subprotocol,
 * or undefined when none was offered or it does not decode to printable text.
 */
export function protocolToken(header: string | readonly string[] | undefined): string | undefined {
  const entry = offered(header).find((p) => p.startsWith(WS_AUTH_PROTOCOL_PREFIX));
  if (entry === undefined) return undefined;
  const encoded = entry.slice(WS_AUTH_PROTOCOL_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  const token = Buffer.from(encoded, 'base64url').toString('utf8');
  return /^[\x21-\x7e]+$/.test(token) ? token : undefined;
}

/**
 * `ws`'s `handleProtocols`: selects `prx-voice` when offered, else `realtime` (OpenAI
 * Realtime clients); never a credential-bearing protocol. Other offers are answered with no subprotocol (a browser that offered only the
 * token would then fail the handshake, which is why it must offer `prx-voice` too).
 */
export function selectProtocol(protocols: ReadonlySet<string>): string | false {
  if (protocols.has(WS_PROTOCOL)) return WS_PROTOCOL;
  return protocols.has(REALTIME_WS_PROTOCOL) ? REALTIME_WS_PROTOCOL : false;
}
