/**
 * The `mock` ASR of the public contract: each utterance (the audio pushed
 * between `finalize()` calls) gets growing-prefix partials of its configured
 * transcript while its audio arrives, then a final whose text is that transcript.
 */
import { z } from 'zod';
import { durationMsOf } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import { AsyncEventQueue } from '../internal/async-queue.js';
import { optionsValidator, parseProviderOptions } from '../internal/options.js';
import { wordsOf } from '../internal/words.js';
import type { AsrEvent, AsrOpenOptions, AsrProvider, AsrStream, AsrWord } from '../interfaces.js';

const PROVIDER = 'mock';

/** The options of the mock ASR (`asr.options`). */
const mockAsrOptionsSchema = z.object({
  /**
   * Text of every final (default `hello`), or one text per utterance: the n-th
   * utterance gets the n-th, the last one repeats.
   */
  transcript: z
    .union(
      [
        z.string(),
        z.array(z.string()).min(1, { error: 'expected at least one text in the transcript array' }),
      ],
      { error: 'expected a string or a non-empty array of strings' },
    )
    .default('hello'),
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
 * With a transcript array, the n-th utterance gets the n-th text (the last repeats).
 *
 * @example
 * const stream = createMockAsr().open({ sampleRate: 16000, language: 'en-US', options: { transcript: 'hi there' } });
 * stream.push(frame); stream.finalize(); // → partial 'hi', final 'hi there', usage
 */
export function createMockAsr(): AsrProvider {
  return {
    id: PROVIDER,
    validateOptions: optionsValidator(mockAsrOptionsSchema, PROVIDER),
    open: (options) => new MockAsrStream(options),
    healthCheck: () => Promise.resolve({ healthy: true, detail: 'built in' }),
  };
}

/** One utterance's text, split once so partials do not build strings. */
interface UtteranceText {
  readonly text: string;
  readonly words: readonly string[];
  /** `prefixes[k]` is the first k + 1 words. */
  readonly prefixes: readonly string[];
}

function utteranceText(text: string): UtteranceText {
  const words = wordsOf(text);
  return { text, words, prefixes: words.map((_, k) => words.slice(0, k + 1).join(' ')) };
}

class MockAsrStream implements AsrStream {
  readonly #queue: AsyncEventQueue<AsrEvent>;
  readonly #rate: SampleRate;
  /** The texts of successive utterances; never empty, the last one repeats. */
  readonly #texts: readonly UtteranceText[];
  readonly #intervalSamples: number;
  readonly #signal: AbortSignal | undefined;
  #streamSamples = 0;
  #utteranceStart = 0;
  #partials = 0;
  /** Index in `#texts` of the utterance being heard (stays on the last). */
  #utterance = 0;
  /** The text of the utterance being heard. */
  #current: UtteranceText;
  #closed = false;

  constructor(options: AsrOpenOptions) {
    const parsed = parseProviderOptions(mockAsrOptionsSchema, options.options, PROVIDER);
    this.#rate = options.sampleRate;
    const texts = typeof parsed.transcript === 'string' ? [parsed.transcript] : parsed.transcript;
    this.#texts = texts.map(utteranceText);
    this.#current = this.#texts[0] ?? utteranceText('');
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
    const words = this.#current.words.length;
    while (this.#partials < words && heard >= (this.#partials + 1) * this.#intervalSamples) {
      this.#partials += 1;
      this.#emitPartial(this.#utteranceStart + this.#partials * this.#intervalSamples);
    }
  }

  finalize(): void {
    if (this.#closed) return;
    const start = this.#utteranceStart;
    const end = this.#streamSamples;
    if (end === start) return;
    const current = this.#current;
    if (this.#partials === 0 && current.words.length > 0) {
      this.#partials = 1;
      this.#emitPartial(end);
    }
    const startMs = this.#ms(start);
    const endMs = this.#ms(end);
    this.#queue.push({
      type: 'final',
      text: current.text,
      startMs,
      endMs,
      confidence: 1,
      words: timedWords(current.words, startMs, endMs),
    });
    this.#queue.push({ type: 'usage', audioMs: endMs });
    this.#utteranceStart = end;
    this.#partials = 0;
    this.#utterance = Math.min(this.#utterance + 1, this.#texts.length - 1);
    this.#current = this.#texts[this.#utterance] ?? current;
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
      text: this.#current.prefixes[this.#partials - 1] ?? '',
      startMs: this.#ms(this.#utteranceStart),
      endMs: this.#ms(endSample),
    });
  }

  #ms(samples: number): number {
    return durationMsOf(samples, this.#rate);
  }
}

/** Word spans over [startMs, endMs] in proportion to the words' lengths. */
function timedWords(words: readonly string[], startMs: number, endMs: number): AsrWord[] {
  const total = words.reduce((sum, word) => sum + word.length, 0);
  const span = endMs - startMs;
  let chars = 0;
  return words.map((text) => {
    const wordStart = startMs + (span * chars) / total;
    chars += text.length;
    return { text, startMs: wordStart, endMs: startMs + (span * chars) / total, confidence: 1 };
  });
}
