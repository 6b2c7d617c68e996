/**
 * Twilio's request signature (`X-Twilio-Signature`), as Twilio documents it
 * (twilio.com/docs/usage/webhooks/webhooks-security): take the full URL Twilio
 * requested, append each POST parameter's name and value (sorted by name, no
 * separators), HMAC-SHA1 the string with the account's auth token, base64.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** POST parameters of a webhook: a record (a repeated name as an array) or URLSearchParams. */
export type TwilioParams =
  URLSearchParams | Readonly<Record<string, string | readonly string[] | undefined>>;

/** Name–value pairs sorted by name (code-unit order), values of one name sorted too. */
function sortedPairs(params: TwilioParams): [string, string][] {
  const pairs: [string, string][] = [];
  if (params instanceof URLSearchParams) {
    for (const [name, value] of params) pairs.push([name, value]);
  } else {
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined) continue;
      if (typeof value === 'string') pairs.push([name, value]);
      else for (const item of value) pairs.push([name, item]);
    }
  }
  const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return pairs.sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1]));
}

/**
 * Computes the `X-Twilio-Signature` of a request: `url` exactly as Twilio called
 * it (scheme, host, path and query string), `params` the form-encoded POST body
 * (empty for GET).
 *
 * @example
 * const expected = twilioSignature(authToken, 'https://voice.example.com/telephony/twilio/voice', form);
 */
export function twilioSignature(authToken: string, url: string, params: TwilioParams = {}): string {
  const hmac = createHmac('sha1', authToken);
  hmac.update(url, 'utf8');
  for (const [name, value] of sortedPairs(params)) {
    hmac.update(name, 'utf8');
    hmac.update(value, 'utf8');
  }
  return hmac.digest('base64');
}

/** Options of {@link verifyTwilioSignature}. */
export interface VerifyTwilioSignatureOptions {
  /** The account's auth token (the HMAC key). */
  readonly authToken: string;
  /** The `X-Twilio-Signature` header; a missing one fails. */
  readonly signature: string | undefined;
  /** The full URL Twilio requested (behind a proxy: the public URL, not the local one). */
  readonly url: string;
  /** The POST parameters. */
  readonly params?: TwilioParams;
}

/**
 * Whether a request's `X-Twilio-Signature` is valid, compared in constant time.
 * The URL is tried as given and with its default port added or removed (`:443`
 * for https, `:80` for http), since the port Twilio signed may differ from the
 * one a proxy reports.
 *
 * @example
 * if (!verifyTwilioSignature({ authToken, signature: c.req.header('x-twilio-signature'), url, params: form })) {
 *   return c.text('forbidden', 403);
 * }
 */
export function verifyTwilioSignature(options: VerifyTwilioSignatureOptions): boolean {
  const { authToken, signature, url } = options;
  if (signature === undefined || signature === '' || authToken === '') return false;
  const given = Buffer.from(signature, 'utf8');
  let valid = false;
  for (const candidate of urlVariants(url)) {
    const expected = Buffer.from(twilioSignature(authToken, candidate, options.params), 'utf8');
    // Every variant is compared (no early exit), each in constant time.
    if (expected.length === given.length && timingSafeEqual(expected, given)) valid = true;
  }
  return valid;
}

/** The URL as given, plus the same URL with its default port toggled. */
function urlVariants(url: string): string[] {
  const match = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(url);
  if (match === null) return [url];
  const [, scheme = '', authority = '', rest = ''] = match;
  const defaultPort = scheme.toLowerCase() === 'https' ? '443' : '80';
  const portMatch = /^(.*?)(?::(\d+))?$/.exec(authority);
  const host = portMatch?.[1] ?? authority;
  const port = portMatch?.[2];
  if (port === undefined) return [url, `${scheme}://${host}:${defaultPort}${rest}`];
  if (port === defaultPort) return [url, `${scheme}://${host}${rest}`];
  return [url];
}
