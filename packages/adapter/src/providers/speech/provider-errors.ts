/**
 * The VoiceErrors of the remote speech providers: HTTP statuses (also those of
 * a refused WebSocket upgrade), network failures and stalls, mapped the same
 * way for every provider so the failover chain can act on them.
 */
import { z } from 'zod';
import type { VoiceError } from '@prx-voice/types';
import { providerError } from '../../interfaces.js';
import { scrubProviderText } from './credentials.js';

/** Reads one response header (case-insensitive), as `Headers.get` does. */
export type HeaderLookup = (name: string) => string | null | undefined;

/** A provider's non-success HTTP answer. */
export interface HttpFailure {
  readonly provider: string;
  readonly status: number;
  readonly header: HeaderLookup;
  /** The response body (or an error header), as text; may be empty. */
  readonly body: string;
  /** The API key, scrubbed from anything quoted. */
  readonly secret: string;
  /** Clock time, for an HTTP-date `Retry-After`. */
  readonly now: number;
  /** Whether output was already produced (`details.partial`). */
  readonly partial?: boolean;
}

/**
 * The error bodies the providers document: OpenAI's and Azure's
 * `error.message`, Deepgram's `err_msg` or `message`, ElevenLabs' `detail`
 * (`{ status, message }`, a string, or a list of validation problems).
 */
const errorBodySchema = z.union([
  z.object({ error: z.object({ message: z.string() }) }).transform((b) => b.error.message),
  z.object({ err_msg: z.string() }).transform((b) => b.err_msg),
  z.object({ message: z.string() }).transform((b) => b.message),
  z.object({ error: z.string() }).transform((b) => b.error),
  z
    .object({ detail: z.object({ message: z.string(), status: z.string().optional() }) })
    .transform(({ detail }) =>
      detail.status === undefined ? detail.message : `${detail.message} (${detail.status})`,
    ),
  z.object({ detail: z.string() }).transform((b) => b.detail),
  z
    .object({
      detail: z
        .array(
          z.object({
            msg: z.string(),
            loc: z.array(z.union([z.string(), z.number()])).optional(),
          }),
        )
        .min(1),
    })
    .transform((b) =>
      b.detail
        .map(({ msg, loc }) => (loc === undefined ? msg : `${loc.join('.')}: ${msg}`))
        .join('; '),
    ),
]);

/** The provider's own explanation in an error body: its documented message field, else the text. */
export function providerMessageOf(body: string, secret: string): string {
  let text = body;
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(body));
    if (parsed.success) text = parsed.data;
  } catch {
    // Not JSON: quote the text itself.
  }
  return scrubProviderText(text, secret);
}

/**
 * The wait a 429 or 503 asks for, in ms: `retry-after-ms`, else `Retry-After`
 * in seconds or as an HTTP date (relative to `now`); undefined when absent or invalid.
 */
export function retryAfterMs(header: HeaderLookup, now: number): number | undefined {
  const ms = Number(header('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const value = header('retry-after');
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Maps an HTTP status: 401/403 → `PROVIDER_AUTH_FAILED`; 429 →
 * `PROVIDER_RATE_LIMITED` with `details.retry_after_ms`; 408 →
 * `PROVIDER_TIMEOUT`; 5xx → `PROVIDER_UNAVAILABLE`; any other → `PROVIDER_ERROR`.
 * All say a fallback may help (another provider has its own keys, limits and health).
 */
export function httpStatusError(failure: HttpFailure): VoiceError {
  const { provider, status } = failure;
  const said = providerMessageOf(failure.body, failure.secret);
  const message = `${provider} answered HTTP ${status}${said === '' ? '' : `: ${said}`}`;
  const details: Record<string, unknown> = {
    status,
    ...(failure.partial === undefined ? {} : { partial: failure.partial }),
  };
  if (status === 401 || status === 403) {
    return providerError('PROVIDER_AUTH_FAILED', {
      provider,
      message,
      fallback: true,
      retryable: false,
      details,
    });
  }
  if (status === 429) {
    const wait = retryAfterMs(failure.header, failure.now);
    if (wait !== undefined) details['retry_after_ms'] = wait;
    return providerError('PROVIDER_RATE_LIMITED', { provider, message, fallback: true, details });
  }
  if (status === 408) {
    return providerError('PROVIDER_TIMEOUT', { provider, message, fallback: true, details });
  }
  if (status >= 500) {
    const wait = retryAfterMs(failure.header, failure.now);
    if (wait !== undefined) details['retry_after_ms'] = wait;
    return providerError('PROVIDER_UNAVAILABLE', { provider, message, fallback: true, details });
  }
  return providerError('PROVIDER_ERROR', {
    provider,
    message,
    fallback: true,
    retryable: false,
    details,
  });
}

/** No answer within the allowed time: `PROVIDER_TIMEOUT`, retryable, fallback. */
export function stallError(
  provider: string,
  timeoutMs: number,
  stage: string,
  partial: boolean,
): VoiceError {
  return providerError('PROVIDER_TIMEOUT', {
    provider,
    message: `${provider} did not answer within ${timeoutMs} ms (${stage})`,
    fallback: true,
    details: { timeout_ms: timeoutMs, stage, partial },
  });
}

/** The connection failed or dropped: `PROVIDER_UNAVAILABLE`, retryable, fallback. */
export function connectionError(
  provider: string,
  what: string,
  partial: boolean,
  cause?: unknown,
  details: Readonly<Record<string, unknown>> = {},
): VoiceError {
  return providerError('PROVIDER_UNAVAILABLE', {
    provider,
    message: `${provider}: ${what}`,
    fallback: true,
    details: { ...details, partial },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The provider sent something its protocol does not allow: `PROVIDER_ERROR`, fallback. */
export function protocolError(provider: string, what: string, partial: boolean): VoiceError {
  return providerError('PROVIDER_ERROR', {
    provider,
    message: `${provider} sent ${what}`,
    fallback: true,
    retryable: false,
    details: { partial },
  });
}
