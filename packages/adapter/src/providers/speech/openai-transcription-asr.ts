/**
 * OpenAI transcription (`POST /audio/transcriptions`) as a non-streaming ASR:
 * each utterance's audio is buffered and, at `finalize()`, uploaded as a WAV
 * file; the answer's text is the utterance's one final. Works with
 * OpenAI-compatible servers through `base_url`.
 */
import { z } from 'zod';
import type { Clock } from '@prx-voice/core';
import { durationMsOf, writeWav } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import type { AsrEvent, AsrOpenOptions, AsrProvider, AsrStream } from '../../interfaces.js';
import { AsyncEventQueue } from '../../internal/async-queue.js';
import { optionsValidator, parseProviderOptions } from '../../internal/options.js';
import { resolveApiKey } from './credentials.js';
import type { SpeechEnvironment } from './credentials.js';
import { failedAsrStream } from './failed-asr-stream.js';
import type { FetchFunction } from './http-pcm-tts.js';
import { connectionError, httpStatusError, protocolError, stallError } from './provider-errors.js';

const PROVIDER = 'openai';
/** OpenAI's upload limit for one file. */
const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
/** Bytes of the WAV header `writeWav` writes. */
const WAV_HEADER_BYTES = 44;

/** The options of the OpenAI transcription ASR (`asr.options`). */
const openAiTranscriptionOptionsSchema = z.object({
  /** API base including the version (default `https://api.openai.com/v1`). */
  base_url: z.url({ protocol: /^https?$/ }).default('https://api.openai.com/v1'),
  /** Transcription model (default `gpt-4o-mini-transcribe`). */
  model: z.string().min(1).default('gpt-4o-mini-transcribe'),
  /** API key; defaults to `OPENAI_API_KEY`. */
  api_key: z.string().min(1).optional(),
  /** ISO-639-1 language of the audio; defaults to the session language's primary subtag. */
  language: z.string().min(2).max(12).optional(),
  /** Longest wait for a transcription's answer, ms (default 10000). */
  first_byte_timeout_ms: z.number().positive().max(300_000).default(10_000),
});

type OpenAiTranscriptionOptions = z.output<typeof openAiTranscriptionOptionsSchema>;

/** The parts of the JSON answer used: the text, and the billed duration when the model reports one. */
const transcriptionSchema = z.object({
  text: z.string(),
  usage: z.object({ type: z.string(), seconds: z.number().nonnegative().optional() }).optional(),
});

/** What {@link createOpenAiTranscriptionAsr} needs. */
export interface OpenAiTranscriptionAsrDeps {
  /** Times the answer timeout. */
  readonly clock: Clock;
  /** Where `OPENAI_API_KEY` is read (default `process.env`). */
  readonly env?: SpeechEnvironment;
  /** The HTTP client (default the global `fetch`). */
  readonly fetch?: FetchFunction;
}

/**
 * The `language` field to send: the option, else the BCP-47 tag's primary
 * subtag when it is a two-letter ISO-639-1 code (`en-US` → `en`), else none.
 */
export function transcriptionLanguage(
  option: string | undefined,
  bcp47: string,
): string | undefined {
  if (option !== undefined) return option;
  const primary = bcp47.split(/[-_]/)[0]?.toLowerCase() ?? '';
  return /^[a-z]{2}$/.test(primary) ? primary : undefined;
}

/**
 * Creates the `openai` ASR provider. Not streaming: there are no partials;
 * each `finalize()` uploads the audio pushed since the previous one (a 16-bit
 * mono WAV) and yields exactly one `final` with the text (empty for an
 * utterance without audio, which is not uploaded), then `usage` with the audio
 * transcribed so far. Utterances are transcribed one at a time, in order;
 * `end()` finalizes what is left and ends after the last answer.
 *
 * @example
 * const asr = createOpenAiTranscriptionAsr({ clock: systemClock });
 * const stream = asr.open({ sampleRate: 16000, language: 'en-US' });
 * stream.push(frame); stream.finalize(); // → final 'hello', usage
 */
export function createOpenAiTranscriptionAsr(deps: OpenAiTranscriptionAsrDeps): AsrProvider {
  const env = deps.env ?? process.env;
  return {
    id: PROVIDER,
    validateOptions: optionsValidator(openAiTranscriptionOptionsSchema, PROVIDER),
    open(open) {
      const options = parseProviderOptions(
        openAiTranscriptionOptionsSchema,
        open.options,
        PROVIDER,
      );
      let apiKey: string;
      try {
        apiKey = resolveApiKey({
          provider: PROVIDER,
          option: options.api_key,
          env,
          variable: 'OPENAI_API_KEY',
        });
      } catch (error) {
        return failedAsrStream(error as Error);
      }
      return new OpenAiTranscriptionStream(deps, options, apiKey, open);
    },
  };
}

/** One utterance to transcribe. */
interface Utterance {
  readonly samples: Int16Array;
  readonly startMs: number;
  readonly endMs: number;
}

class OpenAiTranscriptionStream implements AsrStream {
  readonly #clock: Clock;
  readonly #fetch: FetchFunction;
  readonly #options: OpenAiTranscriptionOptions;
  readonly #apiKey: string;
  readonly #rate: SampleRate;
  readonly #language: string | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #queue: AsyncEventQueue<AsrEvent>;
  #buffer: Int16Array;
  #length = 0;
  #streamSamples = 0;
  readonly #jobs: Utterance[] = [];
  #working = false;
  #ending = false;
  #closed = false;
  #inflight: AbortController | undefined;
  #usageMs = 0;

  constructor(
    deps: OpenAiTranscriptionAsrDeps,
    options: OpenAiTranscriptionOptions,
    apiKey: string,
    open: AsrOpenOptions,
  ) {
    this.#clock = deps.clock;
    this.#fetch = deps.fetch ?? globalThis.fetch;
    this.#options = options;
    this.#apiKey = apiKey;
    this.#rate = open.sampleRate;
    this.#language = transcriptionLanguage(options.language, open.language);
    this.#signal = open.signal;
    this.#buffer = new Int16Array(open.sampleRate);
    this.#queue = new AsyncEventQueue<AsrEvent>(() => {
      this.abort();
    });
    if (this.#signal?.aborted === true) this.abort();
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  readonly #onAbort = (): void => {
    this.abort();
  };

  push(samples: Int16Array): void {
    if (this.#closed || this.#ending || samples.length === 0) return;
    const needed = this.#length + samples.length;
    if (needed * 2 + WAV_HEADER_BYTES > MAX_UPLOAD_BYTES) {
      this.#fail(
        protocolError(PROVIDER, 'no answer: the utterance exceeds the 25 MB upload limit', false),
      );
      return;
    }
    if (needed > this.#buffer.length) {
      const grown = new Int16Array(Math.max(needed, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(samples, this.#length);
    this.#length = needed;
    this.#streamSamples += samples.length;
  }

  finalize(): void {
    if (this.#closed || this.#ending) return;
    const end = this.#streamSamples;
    const start = end - this.#length;
    this.#jobs.push({
      samples: this.#buffer.slice(0, this.#length),
      startMs: durationMsOf(start, this.#rate),
      endMs: durationMsOf(end, this.#rate),
    });
    this.#length = 0;
    void this.#work();
  }

  end(): void {
    if (this.#closed || this.#ending) return;
    if (this.#length > 0) this.finalize();
    this.#ending = true;
    if (!this.#working && this.#jobs.length === 0) this.#finish();
  }

  abort(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.clear();
    this.#cleanup();
  }

  [Symbol.asyncIterator](): AsyncIterator<AsrEvent> {
    return this.#queue[Symbol.asyncIterator]();
  }

  /** Transcribes the queued utterances one by one, in order. */
  async #work(): Promise<void> {
    if (this.#working) return;
    this.#working = true;
    try {
      for (let job = this.#jobs.shift(); job !== undefined; job = this.#jobs.shift()) {
        let text = '';
        if (job.samples.length > 0) {
          const answer = await this.#transcribe(job.samples);
          if (answer === undefined || this.#closed) return;
          text = answer.text.trim();
          this.#usageMs +=
            answer.usage?.seconds === undefined
              ? job.endMs - job.startMs
              : answer.usage.seconds * 1000;
        }
        this.#queue.push({ type: 'final', text, startMs: job.startMs, endMs: job.endMs });
        if (job.samples.length > 0) this.#queue.push({ type: 'usage', audioMs: this.#usageMs });
      }
    } catch (error) {
      this.#fail(VoiceError.from(error, 'PROVIDER_ERROR'));
      return;
    } finally {
      this.#working = false;
    }
    if (this.#ending) this.#finish();
  }

  /** One request; undefined when the stream was aborted meanwhile. */
  async #transcribe(
    samples: Int16Array,
  ): Promise<z.output<typeof transcriptionSchema> | undefined> {
    const controller = new AbortController();
    this.#inflight = controller;
    const timeout = this.#options.first_byte_timeout_ms;
    const progress = { stalled: false };
    const timer = this.#clock.setTimeout(() => {
      progress.stalled = true;
      controller.abort();
    }, timeout);
    const failure = (cause: unknown, what: string): VoiceError | undefined => {
      if (this.#closed) return undefined;
      if (progress.stalled) return stallError(PROVIDER, timeout, what, false);
      return connectionError(PROVIDER, `${what} failed`, false, cause);
    };
    try {
      const form = new FormData();
      const wav = writeWav({ sampleRate: this.#rate, samples });
      form.append('file', new Blob([wav], { type: 'audio/wav' }), 'utterance.wav');
      form.append('model', this.#options.model);
      if (this.#language !== undefined) form.append('language', this.#language);
      form.append('response_format', 'json');
      let response: Response;
      let body: string;
      try {
        response = await this.#fetch(
          `${this.#options.base_url.replace(/\/+$/, '')}/audio/transcriptions`,
          {
            method: 'POST',
            headers: { Authorization: `Bearer ${this.#apiKey}` },
            body: form,
            signal: controller.signal,
          },
        );
        body = await response.text();
      } catch (cause) {
        const error = failure(cause, 'transcription request');
        if (error === undefined) return undefined;
        throw error;
      }
      if (!response.ok) {
        throw httpStatusError({
          provider: PROVIDER,
          status: response.status,
          header: (name) => response.headers.get(name),
          body,
          secret: this.#apiKey,
          now: this.#clock.now(),
          partial: false,
        });
      }
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        throw protocolError(PROVIDER, 'a transcription that is not JSON', false);
      }
      const parsed = transcriptionSchema.safeParse(json);
      if (!parsed.success) throw protocolError(PROVIDER, 'a malformed transcription', false);
      return parsed.data;
    } finally {
      this.#clock.clearTimeout(timer);
      this.#inflight = undefined;
    }
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.end();
    this.#cleanup();
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.fail(error);
    this.#cleanup();
  }

  #cleanup(): void {
    this.#inflight?.abort();
    this.#jobs.length = 0;
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}
