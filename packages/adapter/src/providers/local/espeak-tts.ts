/**
 * The `espeak` TTS: the local espeak-ng engine, run once per sentence with
 * `--stdout`. Its WAV stream (a 44-byte header, then PCM16 mono at 22.05 kHz)
 * is read as it arrives, resampled to the requested rate and cut into chunks.
 */
import { z } from 'zod';
import { systemClock } from '@prx-voice/core';
import type { Clock } from '@prx-voice/core';
import { createResampler, pcm16View, readWav, samplesForMs } from '@prx-voice/media';
import type { Resampler, SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import { providerError } from '../../interfaces.js';
import type { TtsEvent, TtsProvider, TtsRequest } from '../../interfaces.js';
import { closeQuietly, isAborted, nextUnlessAborted } from '../../internal/clock-delay.js';
import { optionsValidator, parseProviderOptions } from '../../internal/options.js';
import { engineUnavailable, LocalProcess } from './local-process.js';
import type { LocalProcessInfo } from './local-process.js';
import { SentenceSplitter, splitSentences } from './sentences.js';
import { probeExecutable } from '../health.js';

const PROVIDER = 'espeak';
/** espeak-ng's `--stdout` header: RIFF, a 16-byte fmt chunk and an open-ended data chunk. */
const HEADER_BYTES = 44;
/** Audio is emitted in chunks of this length (the last of each sentence shorter). */
const CHUNK_MS = 40;

/** The options of the espeak TTS (`tts.options`). */
const espeakOptionsSchema = z.object({
  /**
   * espeak-ng voice (`espeak-ng --voices`, variants as `en-us+f2`; default `en-us`). The
   * request's `voice` is not used: in a failover chain it names another provider's voice.
   */
  voice: z.string().min(1).max(100).default('en-us'),
  /** Speed, words per minute (default 175). */
  rate: z.number().int().min(80).max(450).default(175),
  /** Pitch, 0–99 (default 50). */
  pitch: z.number().int().min(0).max(99).default(50),
  /** Longest wait for a sentence's first audio before failing with `PROVIDER_TIMEOUT` (default 5 s). */
  first_byte_timeout_ms: z.number().positive().max(600_000).default(5_000),
});

type EspeakOptions = z.output<typeof espeakOptionsSchema>;

/** Dependencies of {@link createEspeakTts}. */
export interface EspeakTtsDeps {
  /** Times the first-byte timeout (default the system clock). */
  readonly clock?: Clock;
  /** The espeak-ng executable (default `espeak-ng` on the PATH). */
  readonly command?: string;
  /** Told about each espeak-ng process started (for metrics and tests). */
  readonly onProcess?: (process: LocalProcessInfo) => void;
}

/**
 * Creates the `espeak` TTS provider. A text stream is cut into sentences as it
 * arrives and each is spoken as soon as it is complete; audio comes in 40 ms
 * chunks at the requested rate as espeak-ng writes it, then `usage` with the
 * characters of the text. Aborting kills the running espeak-ng and ends the
 * iteration without throwing. A missing engine, a bad voice or a failed run
 * throws `PROVIDER_UNAVAILABLE` (fallback possible) with espeak-ng's stderr.
 *
 * @example
 * const tts = createEspeakTts();
 * for await (const e of tts.synthesize({ text: 'Hello there.', sampleRate: 16000, signal, options: { rate: 160 } }))
 *   if (e.type === 'audio') play(e.samples);
 */
export function createEspeakTts(deps: EspeakTtsDeps = {}): TtsProvider {
  return {
    id: PROVIDER,
    validateOptions: optionsValidator(espeakOptionsSchema, PROVIDER),
    synthesize: (request) => synthesize(request, deps),
    healthCheck: () => Promise.resolve(probeExecutable(deps.command ?? 'espeak-ng')),
  };
}

async function* synthesize(request: TtsRequest, deps: EspeakTtsDeps): AsyncGenerator<TtsEvent> {
  const options = parseProviderOptions(espeakOptionsSchema, request.options, PROVIDER);
  const { signal } = request;
  const speaker = new Speaker(request, options, deps);
  let characters = 0;
  if (isAborted(signal)) return;
  if (typeof request.text === 'string') {
    characters = request.text.length;
    for (const sentence of splitSentences(request.text)) {
      yield* speaker.speak(sentence);
      if (isAborted(signal)) return;
    }
  } else {
    const splitter = new SentenceSplitter();
    const iterator = request.text[Symbol.asyncIterator]();
    let finished = false;
    try {
      for (;;) {
        const next = await nextUnlessAborted(iterator, signal);
        if (next === undefined || isAborted(signal)) return;
        if (next.done === true) break;
        characters += next.value.length;
        for (const sentence of splitter.push(next.value)) {
          yield* speaker.speak(sentence);
          if (isAborted(signal)) return;
        }
      }
      finished = true;
    } finally {
      // Stopped early (abort, or the consumer left): the text source is told so.
      if (!finished) closeQuietly(iterator);
    }
    for (const sentence of splitter.flush()) {
      yield* speaker.speak(sentence);
      if (isAborted(signal)) return;
    }
  }
  const tail = speaker.finish();
  if (tail.length > 0) yield { type: 'audio', samples: tail };
  yield { type: 'usage', characters };
}

/** Runs espeak-ng per sentence and turns its output into chunks at the request's rate. */
class Speaker {
  readonly #signal: AbortSignal;
  readonly #rate: SampleRate;
  readonly #args: readonly string[];
  readonly #voice: string;
  readonly #timeoutMs: number;
  readonly #deps: EspeakTtsDeps;
  readonly #clock: Clock;
  readonly #chunk: Int16Array;
  #chunkLength = 0;
  #resampler: Resampler | undefined;

  constructor(request: TtsRequest, options: EspeakOptions, deps: EspeakTtsDeps) {
    this.#signal = request.signal;
    this.#rate = request.sampleRate;
    this.#voice = options.voice;
    // Text goes through stdin, so nothing in it can be read as an option.
    this.#args = [
      '--stdout',
      '--stdin',
      '-b',
      '1',
      '-v',
      this.#voice,
      '-s',
      String(options.rate),
      '-p',
      String(options.pitch),
    ];
    this.#timeoutMs = options.first_byte_timeout_ms;
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
    this.#chunk = new Int16Array(Math.max(1, samplesForMs(this.#rate, CHUNK_MS)));
  }

  /** Speaks one sentence: audio events as espeak-ng produces them; the chunk in progress is emitted at the end. */
  async *speak(sentence: string): AsyncGenerator<TtsEvent> {
    const proc = new LocalProcess(this.#deps.command ?? 'espeak-ng', this.#args);
    this.#deps.onProcess?.(proc);
    const kill = (): void => {
      proc.kill('SIGKILL');
    };
    this.#signal.addEventListener('abort', kill, { once: true });
    const timeout = { fired: false };
    const timer = this.#clock.setTimeout(() => {
      timeout.fired = true;
      kill();
    }, this.#timeoutMs);
    const reader = new WavStreamReader();
    try {
      proc.child.stdin.end(sentence);
      for await (const bytes of proc.child.stdout as AsyncIterable<Buffer>) {
        this.#clock.clearTimeout(timer);
        if (isAborted(this.#signal)) return;
        const samples = reader.push(bytes);
        if (samples.length === 0) continue;
        for (const event of this.#emit(this.#resample(reader.sampleRate, samples))) {
          if (isAborted(this.#signal)) return;
          yield event;
        }
      }
      const exit = await proc.exited;
      if (isAborted(this.#signal)) return;
      if (timeout.fired) {
        throw providerError('PROVIDER_TIMEOUT', {
          provider: PROVIDER,
          message: `espeak-ng produced no audio within ${this.#timeoutMs} ms`,
          fallback: true,
          details: { timeout_ms: this.#timeoutMs },
        });
      }
      if (exit.code !== 0 || exit.spawnError !== undefined) {
        const what =
          exit.spawnError === undefined
            ? `espeak-ng failed (voice '${this.#voice}')`
            : 'espeak-ng is unavailable';
        throw engineUnavailable(PROVIDER, what, exit, proc.stderrTail());
      }
      const rest = this.#take();
      if (rest.length > 0) yield { type: 'audio', samples: rest };
    } catch (error) {
      if (isAborted(this.#signal)) return;
      if (VoiceError.is(error) && error.details['provider'] === PROVIDER) throw error;
      throw engineUnavailable(
        PROVIDER,
        `espeak-ng output unreadable: ${error instanceof Error ? error.message : String(error)}`,
        undefined,
        proc.stderrTail(),
      );
    } finally {
      this.#clock.clearTimeout(timer);
      this.#signal.removeEventListener('abort', kill);
      kill();
    }
  }

  /** Ends the request: the resampler's tail and the last partial chunk, as one array. */
  finish(): Int16Array {
    const tail = this.#resampler?.flush() ?? new Int16Array(0);
    const pending = this.#take();
    const out = new Int16Array(pending.length + tail.length);
    out.set(pending);
    out.set(tail, pending.length);
    return out;
  }

  #resample(from: SampleRate, samples: Int16Array): Int16Array {
    if (this.#resampler === undefined) {
      this.#resampler = createResampler({ from, to: this.#rate });
    } else if (this.#resampler.from !== from) {
      throw new Error(`espeak-ng changed its rate from ${this.#resampler.from} to ${from} Hz`);
    }
    return this.#resampler.process(samples);
  }

  /** Whole chunks of `samples` (appended to the chunk in progress), each a new array. */
  *#emit(samples: Int16Array): Generator<TtsEvent> {
    let offset = 0;
    while (offset < samples.length) {
      const take = Math.min(samples.length - offset, this.#chunk.length - this.#chunkLength);
      this.#chunk.set(samples.subarray(offset, offset + take), this.#chunkLength);
      this.#chunkLength += take;
      offset += take;
      if (this.#chunkLength === this.#chunk.length) yield { type: 'audio', samples: this.#take() };
    }
  }

  /** A copy of the chunk in progress, which starts again empty. */
  #take(): Int16Array {
    const out = this.#chunk.slice(0, this.#chunkLength);
    this.#chunkLength = 0;
    return out;
  }
}

/** espeak-ng's `--stdout` WAV as a stream: the header checked with `readWav`, then PCM16 samples. */
class WavStreamReader {
  #header: Uint8Array | undefined = new Uint8Array(0);
  /** A byte of a sample split across reads. */
  #odd: number | undefined;
  #rate: SampleRate | undefined;

  /** Sample rate from the header (known once the first samples were returned). */
  get sampleRate(): SampleRate {
    if (this.#rate === undefined) throw new Error('WAV header not read yet');
    return this.#rate;
  }

  /** The samples in `bytes` (after the header); may be empty. */
  push(bytes: Uint8Array): Int16Array {
    let data = bytes;
    if (this.#header !== undefined) {
      const joined = concat(this.#header, bytes);
      if (joined.length < HEADER_BYTES) {
        this.#header = joined;
        return new Int16Array(0);
      }
      const wav = readWav(joined.subarray(0, HEADER_BYTES));
      if (wav.channels !== 1 || wav.samples.length > 0) {
        throw new Error('unexpected WAV header (expected mono with an open-ended data chunk)');
      }
      this.#rate = wav.sampleRate;
      this.#header = undefined;
      data = joined.subarray(HEADER_BYTES);
    }
    if (this.#odd !== undefined) {
      data = concat(Uint8Array.of(this.#odd), data);
      this.#odd = undefined;
    }
    if (data.length % 2 === 1) {
      this.#odd = data[data.length - 1];
      data = data.subarray(0, data.length - 1);
    }
    return pcm16View(data);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
