/**
 * API keys of the speech providers: from the provider's options or its
 * conventional environment variable, and scrubbed from any provider text that
 * could reach an error message.
 */
import type { Environment } from '@prx-voice/core';
import { providerError } from '../../interfaces.js';

/** Environment variables as `process.env` holds them (injectable for tests). */
export type SpeechEnvironment = Environment;

/** Where a provider's key comes from. */
export interface ApiKeySource {
  readonly provider: string;
  /** The `api_key` option, when given. */
  readonly option: string | undefined;
  readonly env: SpeechEnvironment;
  /** The provider's conventional variable, e.g. `DEEPGRAM_API_KEY`. */
  readonly variable: string;
}

/**
 * The API key: the `api_key` option, else the environment variable. Throws
 * `PROVIDER_AUTH_FAILED` (another provider may help) naming both places when
 * neither is set; the message never contains a key.
 */
export function resolveApiKey(source: ApiKeySource): string {
  const key = source.option ?? source.env[source.variable];
  if (key !== undefined && key.trim() !== '') return key.trim();
  throw providerError('PROVIDER_AUTH_FAILED', {
    provider: source.provider,
    message: `No API key for provider '${source.provider}': set its api_key option or ${source.variable}.`,
    fallback: true,
    retryable: false,
  });
}

/** Longest provider-supplied text kept in an error message or detail. */
const MAX_PROVIDER_TEXT = 300;

/**
 * Provider-supplied text made safe for an error: every occurrence of the key
 * replaced by `[redacted]`, whitespace collapsed and the length capped.
 */
export function scrubProviderText(text: string, secret: string): string {
  const scrubbed = secret === '' ? text : text.split(secret).join('[redacted]');
  const flat = scrubbed.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_PROVIDER_TEXT ? `${flat.slice(0, MAX_PROVIDER_TEXT)}…` : flat;
}
