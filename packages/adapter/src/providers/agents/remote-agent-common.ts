/**
 * What the remote agent providers share: their dependencies, the timeout
 * options, API keys from options or the environment, validation of streamed
 * chunks, tool-argument parsing and the errors for a malformed or cut-off stream.
 */
import { z } from 'zod';
import type { Clock } from '@prx-voice/core';
import type { VoiceError } from '@prx-voice/types';
import { providerError } from '../../interfaces.js';
import type { AgentEvent } from '../../interfaces.js';

/** Environment variables as a provider reads them (`process.env` by default). */
export type AgentEnv = Readonly<Record<string, string | undefined>>;

/** Dependencies of a remote agent provider. */
export interface RemoteAgentDeps {
  /** Runs the first-byte and idle timeouts (and dates a `Retry-After`). */
  readonly clock: Clock;
  /** Where an API key not given in the options is looked up (default `process.env`). */
  readonly env?: AgentEnv;
  /** The HTTP client (default the global `fetch`). */
  readonly fetch?: typeof globalThis.fetch;
}

/** Option fields every remote agent accepts: the timeouts, ms. */
export const timeoutOptionsShape = {
  /** Longest wait from sending the request to the first byte of the answer (default 10 000). */
  first_byte_timeout_ms: z.number().positive().max(600_000).default(10_000),
  /** Longest silence between two chunks of a started answer (default 30 000). */
  idle_timeout_ms: z.number().positive().max(600_000).default(30_000),
};

/** Extra HTTP headers sent with every request (option `headers`). */
export const headersOption = z.record(z.string(), z.string()).default({});

/** The API key: the `api_key` option, else the environment variable `variable`, else `undefined`. */
export function resolveApiKey(
  option: string | undefined,
  env: AgentEnv,
  variable: string,
): string | undefined {
  if (option !== undefined && option !== '') return option;
  const value = env[variable];
  return value === undefined || value === '' ? undefined : value;
}

/** The error when no API key is configured; names the option and the variable, never a value. */
export function missingApiKey(provider: string, variable: string): VoiceError {
  return providerError('PROVIDER_AUTH_FAILED', {
    provider,
    message: `No API key for provider '${provider}': set the api_key option or ${variable}`,
    fallback: true,
    retryable: false,
    details: { partial: false },
  });
}

/** The error for a response chunk of an unexpected shape (never echoes the chunk, which may hold user text). */
export function malformedChunk(provider: string, label: string, detail: string): VoiceError {
  return providerError('PROVIDER_ERROR', {
    provider,
    message: `${label} sent an unexpected response: ${detail}`,
    fallback: true,
    retryable: false,
    details: { partial: true },
  });
}

/** The error for an answer that ended before the protocol said it was complete. */
export function cutOff(provider: string, label: string): VoiceError {
  return providerError('PROVIDER_UNAVAILABLE', {
    provider,
    message: `The answer from ${label} ended before it was complete`,
    fallback: true,
    retryable: true,
    details: { partial: true },
  });
}

/** Parses a JSON text; `undefined` when it is not JSON. */
export function parseJson(text: string): { readonly value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/**
 * Validates a decoded chunk with `schema`; throws {@link malformedChunk}
 * naming the first failing field.
 */
export function validateChunk<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: { readonly provider: string; readonly label: string; readonly what: string },
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue === undefined ? '' : issue.path.map(String).join('.');
  const reason =
    issue === undefined ? 'invalid' : `${path === '' ? '' : `${path}: `}${issue.message}`;
  throw malformedChunk(where.provider, where.label, `${where.what} (${reason})`);
}

/** A tool call's streamed JSON arguments, parsed; empty text means no arguments (`{}`). */
export function parseToolArguments(
  json: string,
  where: { readonly provider: string; readonly label: string; readonly tool: string },
): unknown {
  if (json.trim() === '') return {};
  const parsed = parseJson(json);
  if (parsed === undefined) {
    throw malformedChunk(
      where.provider,
      where.label,
      `the arguments of tool call '${where.tool}' are not valid JSON`,
    );
  }
  return parsed.value;
}

/** The `usage` event for counts a provider reported. */
export function usageEvent(promptTokens: number, completionTokens: number): AgentEvent {
  return { type: 'usage', promptTokens, completionTokens };
}

/** Strips trailing slashes so paths can be appended to a base URL. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}
