/**
 * Plivo's V3 webhook signature, as Plivo documents it ("Validating requests", and its
 * server SDKs): `X-Plivo-Signature-V3` is base64(HMAC-SHA256(auth token, base + "." +
 * nonce)), the nonce in `X-Plivo-Signature-V3-Nonce`. The base is the URL Plivo called —
 * origin and path, then `?` and its query parameters sorted by name (`k=v&…`); for a POST
 * with form parameters, a `.` after a non-empty query and then every form parameter sorted
 * by name as `namevalue` with no separators (a repeated name: its values sorted). The
 * header may carry several comma-separated signatures; one match is enough.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying the signature(s). */
export const PLIVO_SIGNATURE_HEADER = 'x-plivo-signature-v3';
/** Header carrying the nonce. */
export const PLIVO_NONCE_HEADER = 'x-plivo-signature-v3-nonce';

/** Form or query parameters: each name with its values in the order received. */
export type PlivoParams = ReadonlyMap<string, readonly string[]>;

/** `URLSearchParams` (a form body or a query) as {@link PlivoParams}. */
export function plivoParams(search: URLSearchParams): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const [name, value] of search) params.set(name, [...(params.get(name) ?? []), value]);
  return params;
}

const byName = (params: PlivoParams): [string, string[]][] =>
  [...params.entries()]
    .map(([name, values]): [string, string[]] => [name, [...values].sort()])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * The string Plivo signs (before `.nonce`) for a request to `url` with `method`; `form` is
 * the POST body's parameters (empty for a GET, whose parameters are in the URL).
 */
export function plivoSignatureBase(method: string, url: string, form: PlivoParams): string {
  const parsed = new URL(url);
  const base = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  const query = byName(plivoParams(parsed.searchParams))
    .flatMap(([name, values]) => values.map((value) => `${name}=${value}`))
    .join('&');
  if (method.toUpperCase() === 'GET' || form.size === 0) {
    return query === '' ? base : `${base}?${query}`;
  }
  const body = byName(form)
    .flatMap(([name, values]) => values.map((value) => `${name}${value}`))
    .join('');
  return `${base}?${query}${query === '' ? '' : '.'}${body}`;
}

/** Plivo's V3 signature of a request (what `X-Plivo-Signature-V3` carries). */
export function plivoSignature(options: {
  readonly authToken: string;
  readonly method: string;
  readonly url: string;
  readonly form: PlivoParams;
  readonly nonce: string;
}): string {
  const base = plivoSignatureBase(options.method, options.url, options.form);
  return createHmac('sha256', options.authToken)
    .update(`${base}.${options.nonce}`, 'utf8')
    .digest('base64');
}

/** Options of {@link verifyPlivoSignature}. */
export interface VerifyPlivoSignatureOptions {
  /** The account's (or subaccount's) auth token. */
  readonly authToken: string;
  readonly method: string;
  /** The full URL Plivo called (the configured answer URL, with its query). */
  readonly url: string;
  /** The POST body's form parameters (empty for a GET). */
  readonly form: PlivoParams;
  /** `X-Plivo-Signature-V3`; a missing one fails. */
  readonly signature: string | undefined;
  /** `X-Plivo-Signature-V3-Nonce`; a missing one fails. */
  readonly nonce: string | undefined;
}

/** Why a signature was refused, or `valid`. */
export type PlivoSignatureResult =
  | { readonly kind: 'valid' }
  | { readonly kind: 'invalid'; readonly reason: 'missing' | 'mismatch' };

/**
 * Checks a Plivo webhook's V3 signature (constant-time comparison).
 *
 * @example
 * const result = verifyPlivoSignature({ authToken, method: 'POST', url, form: plivoParams(new URLSearchParams(body)),
 *   signature: c.req.header('x-plivo-signature-v3'), nonce: c.req.header('x-plivo-signature-v3-nonce') });
 */
export function verifyPlivoSignature(options: VerifyPlivoSignatureOptions): PlivoSignatureResult {
  const { signature, nonce } = options;
  if (signature === undefined || signature.trim() === '' || nonce === undefined || nonce === '') {
    return { kind: 'invalid', reason: 'missing' };
  }
  const expected = Buffer.from(plivoSignature({ ...options, nonce }));
  const match = signature.split(',').some((part) => {
    const given = Buffer.from(part.trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return match ? { kind: 'valid' } : { kind: 'invalid', reason: 'mismatch' };
}
