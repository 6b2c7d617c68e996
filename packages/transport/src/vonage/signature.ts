/**
 * Vonage's signed webhooks, as Vonage documents them ("Signed Webhooks"): a JWT in
 * `Authorization: Bearer …`, signed HS256 with the account's signature secret, whose claims
 * include `iat` and, for a request with a body, `payload_hash` — the hex SHA-256 of the raw
 * body, so a body changed in transit fails. A token issued too far from now is refused, so
 * a captured request cannot be replayed later; when an application id is configured, the
 * `application_id` claim must name it.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** How far `iat` may be from now by default, in seconds. */
export const VONAGE_SIGNATURE_TOLERANCE_S = 300;

/** Options of {@link verifyVonageSignature}. */
export interface VerifyVonageSignatureOptions {
  /** The account's signature secret (HS256 key). */
  readonly signatureSecret: string;
  /** The `Authorization` header; a missing one fails. */
  readonly authorization: string | undefined;
  /** The raw request body ('' for a GET). */
  readonly body: string | Uint8Array;
  /** Now, in ms since the epoch (from the injected clock). */
  readonly nowMs: number;
  /** Largest distance between `iat` and now, in seconds (default 300). */
  readonly toleranceS?: number;
  /** When set, the `application_id` claim must equal it. */
  readonly applicationId?: string | undefined;
}

/** Why a signature was refused, or `valid` with the token's claims. */
export type VonageSignatureResult =
  | { readonly kind: 'valid'; readonly claims: Readonly<Record<string, unknown>> }
  | {
      readonly kind: 'invalid';
      readonly reason: 'missing' | 'malformed' | 'mismatch' | 'stale' | 'payload' | 'application';
    };

const decodeJson = (part: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};

/** The hex SHA-256 of a body (the `payload_hash` claim). */
export function vonagePayloadHash(body: string | Uint8Array): string {
  return createHash('sha256')
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest('hex');
}

/**
 * Checks a Vonage signed webhook.
 *
 * @example
 * const result = verifyVonageSignature({ signatureSecret, authorization: c.req.header('authorization'),
 *   body: await c.req.text(), nowMs: clock.now() });
 * if (result.kind !== 'valid') return c.text('forbidden', 403);
 */
export function verifyVonageSignature(
  options: VerifyVonageSignatureOptions,
): VonageSignatureResult {
  const match = /^Bearer\s+(\S+)$/i.exec(options.authorization?.trim() ?? '');
  if (match?.[1] === undefined) return { kind: 'invalid', reason: 'missing' };
  const parts = match[1].split('.');
  const [head, payload, signature] = parts;
  if (parts.length !== 3 || head === undefined || payload === undefined || signature === undefined)
    return { kind: 'invalid', reason: 'malformed' };
  const header = decodeJson(head);
  const claims = decodeJson(payload);
  if (header === undefined || claims === undefined) return { kind: 'invalid', reason: 'malformed' };
  if (header['alg'] !== 'HS256') return { kind: 'invalid', reason: 'mismatch' };
  const expected = createHmac('sha256', options.signatureSecret)
    .update(`${head}.${payload}`)
    .digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { kind: 'invalid', reason: 'mismatch' };
  }
  const nowS = options.nowMs / 1000;
  const iat = claims['iat'];
  const exp = claims['exp'];
  const tolerance = options.toleranceS ?? VONAGE_SIGNATURE_TOLERANCE_S;
  if (typeof iat !== 'number' || Math.abs(nowS - iat) > tolerance) {
    return { kind: 'invalid', reason: 'stale' };
  }
  if (exp !== undefined && (typeof exp !== 'number' || exp < nowS)) {
    return { kind: 'invalid', reason: 'stale' };
  }
  const hash = claims['payload_hash'];
  const empty = options.body.length === 0;
  if (hash === undefined ? !empty : hash !== vonagePayloadHash(options.body)) {
    return { kind: 'invalid', reason: 'payload' };
  }
  if (options.applicationId !== undefined && claims['application_id'] !== options.applicationId) {
    return { kind: 'invalid', reason: 'application' };
  }
  return { kind: 'valid', claims };
}
