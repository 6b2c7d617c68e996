/**
 * The synthesis shared by the HTTP text-to-speech providers whose endpoint
 * takes the whole text in one request and streams raw PCM16 back (Deepgram
 * Aura, OpenAI speech, Azure Speech, ElevenLabs): the text is collected,
 * posted, and the body decoded as it arrives into whole samples at the
 * requested rate.
 */
import type { Clock, TimerHandle } from '@prx-voice/core';
import type { SampleRate } from '@prx-voice/media';
import type { VoiceError } from '@prx-voice/types';
import type { z } from 'zod';
import type { TtsEvent, TtsProvider, TtsRequest } from '../../interfaces.js';
import { optionsValidator, parseProviderOptions } from '../../internal/options.js';
import { resolveApiKey } from './credentials.js';
import type { SpeechEnvironment } from './credentials.js';
import { closeQuietly, isAborted, nextUnlessAborted } from '../../internal/clock-delay.js';
import { PcmDecoder } from './pcm-chunks.js';
import { connectionError, httpStatusError, protocolError, stallError } from './provider-errors.js';

/** The `fetch` the HTTP providers call (injectable for tests). */
export type FetchFunction = typeof globalThis.fetch;

/** One provider request, built once the text is known. */
export interface PcmHttpRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Rate of the PCM16 mono the provider sends back. */
  readonly rate: SampleRate;
}

/** How one synthesis talks to its provider. */
export interface PcmHttpSynthesis {
  readonly provider: string;
  readonly clock: Clock;
  readonly fetch: FetchFunction;
  /** Longest silence allowed before the answer's headers and between its body chunks. */
  readonly firstByteTimeoutMs: number;
  /** The API key, scrubbed from error text. */
  readonly secret: string;
}

/**
 * The rate to ask a provider for when `requested` is wanted: `requested` when
 * the provider offers it, else the lowest offered rate above it (resampled
 * down), else the highest offered (resampled up). `offered` must not be empty.
 */
export function offeredRateFor(requested: SampleRate, offered: readonly SampleRate[]): SampleRate {
  if (offered.includes(requested)) return requested;
  const sorted = [...offered].sort((a, b) => a - b);
  const above = sorted.find((rate) => rate > requested);
  const chosen = above ?? sorted.at(-1);
  if (chosen === undefined) throw new RangeError('offeredRateFor: no offered rate');
  return chosen;
}

/**
 * The whole text of a request: a string as is, a stream of pieces joined in
 * order; `undefined` when the request aborts first.
 */
export async function collectText(request: TtsRequest): Promise<string | undefined> {
  if (typeof request.text === 'string') return request.text;
  const iterator = request.text[Symbol.asyncIterator]();
  let text = '';
  for (;;) {
    const next = await nextUnlessAborted(iterator, request.signal);
    if (next === undefined) return undefined;
    if (isAborted(request.signal)) {
      closeQuietly(iterator);
      return undefined;
    }
    if (next.done === true) return text;
    text += next.value;
  }
}

/**
 * Posts `build(text)` and yields the audio of the answer as it arrives, then
 * `usage` with the characters sent. Empty text gives only `usage` 0. A stall
 * past `firstByteTimeoutMs` (before the headers or between chunks) throws
 * `PROVIDER_TIMEOUT`; a dropped body `PROVIDER_UNAVAILABLE`, both with
 * `details.partial` saying whether audio was already yielded. An aborted
 * request, or a consumer that stops early, cancels the HTTP request and ends
 * without throwing.
 */
export async function* synthesizePcmOverHttp(
  request: TtsRequest,
  synthesis: PcmHttpSynthesis,
  build: (text: string) => PcmHttpRequest,
): AsyncGenerator<TtsEvent> {
  const { signal } = request;
  if (signal.aborted) return;
  const text = await collectText(request);
  if (text === undefined || isAborted(signal)) return;
  if (text.trim() === '') {
    yield { type: 'usage', characters: 0 };
    return;
  }
  const http = build(text);
  const { provider, clock } = synthesis;
  const controller = new AbortController();
  const onAbort = (): void => {
    controller.abort();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  let timer: TimerHandle | undefined;
  /** Set by callbacks and read after awaits (an object, so narrowing does not assume they never change). */
  const progress = { stalled: false, yielded: false };
  const arm = (): void => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = undefined;
      progress.stalled = true;
      controller.abort();
    }, synthesis.firstByteTimeoutMs);
  };
  const stall = (what: string): VoiceError =>
    stallError(provider, synthesis.firstByteTimeoutMs, what, progress.yielded);
  /** The error to throw for a failed await, or undefined when the request was aborted. */
  const failure = (cause: unknown, what: string): VoiceError | undefined => {
    if (isAborted(signal)) return undefined;
    if (progress.stalled) return stall(what);
    return connectionError(provider, `${what} failed`, progress.yielded, cause);
  };

  try {
    arm();
    let response: Response;
    try {
      response = await synthesis.fetch(http.url, {
        method: 'POST',
        headers: http.headers,
        body: http.body,
        signal: controller.signal,
      });
    } catch (cause) {
      const error = failure(cause, 'request');
      if (error === undefined) return;
      throw error;
    }
    arm();
    if (!response.ok) {
      let body = '';
      try {
        body = await response.text();
      } catch {
        // A dropped error body leaves the status, which says enough; a stall or an abort does not.
        if (isAborted(signal)) return;
        if (progress.stalled) throw stall('error body');
      }
      throw httpStatusError({
        provider,
        status: response.status,
        header: (name) => response.headers.get(name),
        body,
        secret: synthesis.secret,
        now: clock.now(),
      });
    }
    if (response.body === null) throw protocolError(provider, 'an answer without a body', false);
    const decoder = new PcmDecoder(http.rate, request.sampleRate);
    const reader = response.body.getReader();
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (cause) {
        const error = failure(cause, 'audio stream');
        if (error === undefined) return;
        throw error;
      }
      if (chunk.done) break;
      arm();
      const bytes: unknown = chunk.value;
      if (!(bytes instanceof Uint8Array))
        throw protocolError(provider, 'a non-byte body', progress.yielded);
      const samples = decoder.push(bytes);
      if (samples.length === 0) continue;
      progress.yielded = true;
      yield { type: 'audio', samples };
      if (isAborted(signal)) return;
    }
    const tail = decoder.flush();
    if (tail.length > 0) {
      yield { type: 'audio', samples: tail };
      if (isAborted(signal)) return;
    }
    yield { type: 'usage', characters: text.length };
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    // Cancels a request or body still in flight (early stop, error); a no-op once it completed.
    controller.abort();
  }
}

/** What every HTTP PCM TTS provider is built with. */
export interface HttpPcmTtsDeps {
  /** Times the first-byte and between-chunk timeouts. */
  readonly clock: Clock;
  /** Where the API key variable is read (default `process.env`). */
  readonly env?: SpeechEnvironment;
  /** The HTTP client (default the global `fetch`). */
  readonly fetch?: FetchFunction;
}

/** The options every HTTP PCM TTS provider accepts, among its own. */
interface HttpPcmTtsOptions {
  readonly api_key?: string | undefined;
  readonly first_byte_timeout_ms: number;
}

/** One HTTP PCM TTS provider: its options, its key, and how a request is built. */
export interface HttpPcmTtsSpec<O extends HttpPcmTtsOptions> {
  readonly provider: string;
  readonly schema: z.ZodType<O>;
  /** The conventional environment variable of the API key. */
  readonly keyVariable: string;
  /**
   * Once the options and key are known (before any text): the request for a
   * text. May throw a configuration error (it surfaces from `synthesize`).
   */
  readonly prepare: (ctx: {
    readonly request: TtsRequest;
    readonly options: O;
    readonly apiKey: string;
    readonly env: SpeechEnvironment;
  }) => (text: string) => PcmHttpRequest;
}

/**
 * A TTS provider over an HTTP endpoint that takes the whole text and streams
 * raw PCM16 back: options parsed, the key resolved (option, else the
 * environment), then {@link synthesizePcmOverHttp} with the spec's request.
 */
export function createHttpPcmTts<O extends HttpPcmTtsOptions>(
  spec: HttpPcmTtsSpec<O>,
  deps: HttpPcmTtsDeps,
): TtsProvider {
  const env = deps.env ?? process.env;
  const fetchFn = deps.fetch ?? globalThis.fetch;
  return {
    id: spec.provider,
    validateOptions: optionsValidator(spec.schema, spec.provider),
    async *synthesize(request) {
      const options = parseProviderOptions(spec.schema, request.options, spec.provider);
      const apiKey = resolveApiKey({
        provider: spec.provider,
        option: options.api_key,
        env,
        variable: spec.keyVariable,
      });
      const build = spec.prepare({ request, options, apiKey, env });
      yield* synthesizePcmOverHttp(
        request,
        {
          provider: spec.provider,
          clock: deps.clock,
          fetch: fetchFn,
          firstByteTimeoutMs: options.first_byte_timeout_ms,
          secret: apiKey,
        },
        build,
      );
    },
  };
}
