/**
 * The signature on every HTTP tool request, so a tenant's endpoint can tell a call from
 * PRX Voice from anyone else's.
 *
 * Header `x-prx-signature: t=<unix seconds>,v1=<hex>` where
 * `<hex> = HMAC-SHA256(signingSecret, "<t>.<body>")` and `<body>` is the exact request
 * body as sent (UTF-8; the empty string for GET and DELETE, whose arguments travel in
 * the query string). A receiver recomputes the HMAC over the raw body it received,
 * compares in constant time, and rejects timestamps outside its tolerance (replays).
 * Several `v1=` entries may appear (secret rotation); one matching is enough.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The request header carrying the signature. */
export const TOOL_SIGNATURE_HEADER = 'x-prx-signature';

/** How far a signature's timestamp may be from the receiver's clock by default: 5 minutes. */
export const DEFAULT_SIGNATURE_TOLERANCE_MS = 300_000;

function hmacHex(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The header value signing `body` at `nowMs`. */
export function signToolRequest(secret: string, body: string, nowMs: number): string {
  const t = String(Math.floor(nowMs / 1000));
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

/**
 * Checks an `x-prx-signature` header against the raw body, as a tenant's endpoint does:
 * true when a `v1` HMAC matches and the timestamp is within `toleranceMs` of `nowMs`.
 *
 * @example
 * const ok = verifyToolSignature(process.env.PRX_TOOL_SECRET, req.headers['x-prx-signature'], rawBody, Date.now());
 * if (!ok) return res.writeHead(401).end();
 */
export function verifyToolSignature(
  secret: string,
  header: string,
  body: string,
  nowMs: number,
  toleranceMs: number = DEFAULT_SIGNATURE_TOLERANCE_MS,
): boolean {
  let timestamp: string | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1') candidates.push(value);
  }
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp) || candidates.length === 0) {
    return false;
  }
  if (Math.abs(nowMs - Number(timestamp) * 1000) > toleranceMs) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'utf8');
  return candidates.some((candidate) => {
    const given = Buffer.from(candidate.toLowerCase(), 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
