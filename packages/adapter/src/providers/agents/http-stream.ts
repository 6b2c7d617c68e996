/**
 * A streaming HTTP POST to a language-model provider: the response body as
 * decoded text chunks, with the first-byte and idle timeouts on the injected
 * clock, cancellation through the run's AbortSignal, and HTTP and network
 * failures mapped to provider errors that say whether a fallback can help.
 */
import type { Clock, TimerHandle } from '@prx-voice/core';
import type { VoiceError } from '@prx-voice/types';
import { providerError } from '../../interfaces.js';
import { isAborted } from '../../internal/clock-delay.js';

/** What a provider's error body said, as far as it could be read. */
export interface ProviderErrorBody {
  readonly message: string;
  /** The provider's own error type or code, e.g. `rate_limit_error`. */
  readonly type?: string;
}

/** Options of {@link streamPost}. */
export interface StreamPostOptions {
  /** Provider id, for `details.provider`. */
  readonly provider: string;
  /** How error messages name the other side, e.g. `Anthropic`. */
  readonly label: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Sent as JSON. */
  readonly body: unknown;
  /** The run's signal: aborting it cancels the request and ends the iteration without throwing. */
  readonly signal: AbortSignal;
  readonly clock: Clock;
  readonly fetch: typeof globalThis.fetch;
  /** Longest wait from sending the request to the first byte of the response body. */
  readonly firstByteTimeoutMs: number;
  /** Longest wait for the next chunk once the body has started. */
  readonly idleTimeoutMs: number;
  /** Values that must never appear in an error message (API keys), replaced by `[redacted]`. */
  readonly secrets: readonly string[];
  /** Reads the provider's error body (already JSON-parsed when it was JSON). */
  readonly readErrorBody: (body: unknown) => ProviderErrorBody | undefined;
}

/** Replaces every occurrence of each secret in `text` by `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret !== '') out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * The delay a `Retry-After` (seconds or an HTTP date) or `retry-after-ms`
 * header asks for, in ms, or `undefined` when neither is usable.
 */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms)) && Number(ms) >= 0) {
    return Math.round(Number(ms));
  }
  const value = headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The error for an HTTP error status, by the class of the status. */
export function httpStatusError(
  options: Pick<StreamPostOptions, 'provider' | 'label' | 'secrets'>,
  status: number,
  body: ProviderErrorBody | undefined,
  retryAfter: number | undefined,
): VoiceError {
  const said = body === undefined ? '' : `: ${truncate(redact(body.message, options.secrets))}`;
  const message = `${options.label} answered HTTP ${status}${said}`;
  const details = {
    status,
    partial: false,
    ...(body?.type === undefined ? {} : { provider_error: redact(body.type, options.secrets) }),
  };
  const { provider } = options;
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
    return providerError('PROVIDER_RATE_LIMITED', {
      provider,
      message,
      fallback: true,
      retryable: true,
      details: retryAfter === undefined ? details : { ...details, retry_after_ms: retryAfter },
    });
  }
  if (status >= 500 || status === 408) {
    return providerError('PROVIDER_UNAVAILABLE', {
      provider,
      message,
      fallback: true,
      retryable: true,
      details,
    });
  }
  // 404 is this provider's configuration (model, URL): another provider can still answer.
  return providerError('PROVIDER_ERROR', {
    provider,
    message,
    fallback: status === 404,
    retryable: false,
    details,
  });
}

function truncate(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function parseErrorBody(
  text: string,
  read: StreamPostOptions['readErrorBody'],
): ProviderErrorBody | undefined {
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: the text itself is the best message there is.
  }
  const body = read(json);
  if (body !== undefined) return body;
  const trimmed = text.trim();
  return trimmed === '' ? undefined : { message: trimmed };
}

type Stall = 'first_byte' | 'idle';
type ReadResult = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;

/**
 * POSTs `body` as JSON and yields the response body as text chunks. Throws
 * `PROVIDER_TIMEOUT` when the first byte or the next chunk is late,
 * `PROVIDER_UNAVAILABLE` on a network failure or a broken stream
 * (`details.partial` when part of the body had arrived), and the error of
 * {@link httpStatusError} for an HTTP error status. When the run's signal
 * aborts, the request is cancelled and the iteration ends without throwing;
 * a consumer that stops early cancels it too.
 */
export async function* streamPost(options: StreamPostOptions): AsyncGenerator<string> {
  const { signal, clock } = options;
  if (signal.aborted) return;
  const controller = new AbortController();
  let timer: TimerHandle | undefined;
  let stalled: Stall | undefined;
  const disarm = (): void => {
    if (timer === undefined) return;
    clock.clearTimeout(timer);
    timer = undefined;
  };
  const arm = (stall: Stall, ms: number): void => {
    disarm();
    timer = clock.setTimeout(() => {
      timer = undefined;
      stalled = stall;
      controller.abort();
    }, ms);
  };
  const onAbort = (): void => {
    controller.abort();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  let started = false;
  let finished = false;
  const failed = (cause: unknown): VoiceError => streamFailure(options, stalled, started, cause);
  try {
    arm('first_byte', options.firstByteTimeoutMs);
    let response: Response;
    try {
      response = await options.fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: JSON.stringify(options.body),
        signal: controller.signal,
      });
    } catch (error) {
      if (isAborted(signal)) return;
      throw failed(error);
    }
    if (!response.ok) {
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        if (isAborted(signal)) return;
        throw failed(error);
      }
      disarm();
      throw httpStatusError(
        options,
        response.status,
        parseErrorBody(text, options.readErrorBody),
        response.status === 429 ? retryAfterMs(response.headers, clock.now()) : undefined,
      );
    }
    if (response.body === null) {
      throw providerError('PROVIDER_ERROR', {
        provider: options.provider,
        message: `${options.label} answered without a body`,
        fallback: true,
        details: { partial: false },
      });
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      if (started) arm('idle', options.idleTimeoutMs);
      let chunk: ReadResult;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (isAborted(signal)) return;
        throw failed(error);
      }
      disarm();
      if (chunk.done) break;
      started = true;
      const text = decoder.decode(chunk.value, { stream: true });
      if (text !== '') yield text;
      if (isAborted(signal)) return;
    }
    finished = true;
    const tail = decoder.decode();
    if (tail !== '') yield tail;
  } finally {
    disarm();
    signal.removeEventListener('abort', onAbort);
    if (!finished) controller.abort();
  }
}

function streamFailure(
  options: StreamPostOptions,
  stalled: Stall | undefined,
  started: boolean,
  cause: unknown,
): VoiceError {
  const { provider, label } = options;
  if (stalled === 'first_byte') {
    return providerError('PROVIDER_TIMEOUT', {
      provider,
      message: `${label} sent nothing within ${options.firstByteTimeoutMs} ms`,
      fallback: true,
      retryable: true,
      details: { timeout_ms: options.firstByteTimeoutMs, partial: false },
    });
  }
  if (stalled === 'idle') {
    return providerError('PROVIDER_TIMEOUT', {
      provider,
      message: `${label} stalled for ${options.idleTimeoutMs} ms in the middle of the answer`,
      fallback: true,
      retryable: true,
      details: { timeout_ms: options.idleTimeoutMs, partial: true },
    });
  }
  return providerError('PROVIDER_UNAVAILABLE', {
    provider,
    message: started
      ? `The connection to ${label} broke in the middle of the answer`
      : `Could not reach ${label}`,
    fallback: true,
    retryable: true,
    details: { partial: started },
    cause,
  });
}
