/**
 * The `mock` ASR of the public contract: each utterance (the audio pushed
 * between `finalize()` calls) gets growing-prefix partials of the configured
 * transcript while its audio arrives, then a final whose text is the transcript.
 */
import { z } from 'zod';
import { durationMsOf } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import { AsyncEventQueue } from '../internal/async-queue.js';
import { parseProviderOptions } from '../internal/options.js';
import { wordsOf } from '../internal/words.js';
import type { AsrEvent, AsrOpenOptions, AsrProvider, AsrStream, AsrWord } from '../interfaces.js';

const PROVIDER = 'mock';

/** The options of the mock ASR (`asr.options`). */
const mockAsrOptionsSchema = z.object({
  /** Text of every final (default `hello`). */
  transcript: z.string().default('hello'),
  /** A partial is emitted per this much audio of an utterance (default 200 ms). */
  partial_interval_ms: z.number().positive().max(60_000).default(200),
});

/**
 * Creates the `mock` ASR provider. Partials: the k-th comes once k × `partial_interval_ms`
 * of the utterance's audio has been pushed and shows its first k words (at most
 * one per word); an utterance shorter than that still gets one partial, at
 * `finalize()`. The final carries word timings spread over the utterance in
 * proportion to the words' lengths, and is followed by `usage` with the audio
 * of the whole stream so far. An empty transcript gives a final with no partial.
 *
 * @example
 * const stream = createMockAsr().open({ sampleRate: 16000, language: 'en-US', options: { transcript: 'hi there' } });
 * stream.push(frame); stream.finalize(); // → partial 'hi', final 'hi there', usage
 */
export function createMockAsr(): AsrProvider {
  return {
    id: PROVIDER,
    open: (options) => new MockAsrStream(options),
    healthCheck: () => Promise.resolve({ healthy: true, detail: 'built in' }),
  };
}

class MockAsrStream implements AsrStream {
  readonly #queue: AsyncEventQueue<AsrEvent>;
  readonly #rate: SampleRate;
  readonly #transcript: string;
  readonly #words: readonly string[];
  /** `#prefixes[k]` is the first k words, prepared once so partials do not build strings. */
  readonly #prefixes: readonly string[];
  readonly #intervalSamples: number;
  readonly #signal: AbortSignal | undefined;
  #streamSamples = 0;
  #utteranceStart = 0;
  #partials = 0;
  #closed = false;

  constructor(options: AsrOpenOptions) {
    const parsed = parseProviderOptions(mockAsrOptionsSchema, options.options, PROVIDER);
    this.#rate = options.sampleRate;
    this.#transcript = parsed.transcript;
    this.#words = wordsOf(parsed.transcript);
    this.#prefixes = this.#words.map((_, k) => this.#words.slice(0, k + 1).join(' '));
    this.#intervalSamples = Math.max(
      1,
      Math.round((parsed.partial_interval_ms * options.sampleRate) / 1000),
    );
    this.#queue = new AsyncEventQueue<AsrEvent>(() => {
      this.abort();
    });
    this.#signal = options.signal;
    if (this.#signal?.aborted === true) this.abort();
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  readonly #onAbort = (): void => {
    this.abort();
  };

  push(samples: Int16Array): void {
    if (this.#closed) return;
    this.#streamSamples += samples.length;
    const heard = this.#streamSamples - this.#utteranceStart;
    while (
      this.#partials < this.#words.length &&
      heard >= (this.#partials + 1) * this.#intervalSamples
    ) {
      this.#partials += 1;
      this.#emitPartial(this.#utteranceStart + this.#partials * this.#intervalSamples);
    }
  }

  finalize(): void {
    if (this.#closed) return;
    const start = this.#utteranceStart;
    const end = this.#streamSamples;
    if (end === start) return;
    if (this.#partials === 0 && this.#words.length > 0) {
      this.#partials = 1;
      this.#emitPartial(end);
    }
    const startMs = this.#ms(start);
    const endMs = this.#ms(end);
    this.#queue.push({
      type: 'final',
      text: this.#transcript,
      startMs,
      endMs,
      confidence: 1,
      words: this.#timedWords(startMs, endMs),
    });
    this.#queue.push({ type: 'usage', audioMs: endMs });
    this.#utteranceStart = end;
    this.#partials = 0;
  }

  end(): void {
    if (this.#closed) return;
    this.finalize();
    this.#close();
    this.#queue.end();
  }

  abort(): void {
    if (this.#closed) return;
    this.#close();
    this.#queue.clear();
  }

  [Symbol.asyncIterator](): AsyncIterator<AsrEvent> {
    return this.#queue[Symbol.asyncIterator]();
  }

  #close(): void {
    this.#closed = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  #emitPartial(endSample: number): void {
    this.#queue.push({
      type: 'partial',
      text: this.#prefixes[this.#partials - 1] ?? '',
      startMs: this.#ms(this.#utteranceStart),
      endMs: this.#ms(endSample),
    });
  }

  #ms(samples: number): number {
    return durationMsOf(samples, this.#rate);
  }

  /** Word spans over [startMs, endMs] in proportion to the words' lengths. */
  #timedWords(startMs: number, endMs: number): AsrWord[] {
    const total = this.#words.reduce((sum, word) => sum + word.length, 0);
    const span = endMs - startMs;
    let chars = 0;
    return this.#words.map((text) => {
      const wordStart = startMs + (span * chars) / total;
      chars += text.length;
      return { text, startMs: wordStart, endMs: startMs + (span * chars) / total, confidence: 1 };
    });
  }
}
