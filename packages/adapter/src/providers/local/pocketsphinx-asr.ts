/**
 * The `pocketsphinx` ASR: local streaming recognition with CMU pocketsphinx
 * (`pocketsphinx_continuous`), optionally restricted to a JSGF grammar or a
 * keyphrase per stream.
 *
 * How `finalize()` works. pocketsphinx_continuous prints one line per
 * utterance that its own voice-activity detector closes, and only then; it
 * closes one after about 0.3–0.5 s of silence, usually before the caller's
 * endpointing calls `finalize()`. Pushing silence at `finalize()` and waiting
 * for "the next line" therefore mostly waits for a line that already came (so
 * for a timeout), and a line that comes after such a timeout lands in the wrong
 * utterance. Instead each utterance gets its own process: `finalize()` closes
 * that process's stdin, pocketsphinx ends the utterance it is in at the end of
 * its input, prints it and exits, and the final is every line that process
 * printed, joined — exactly one final per `finalize()`, as soon as the engine
 * is done, with no guessing. The next utterance's process is started at once
 * (models load in about 0.1 s with a grammar, 0.3 s with the full language
 * model) and the live cepstral mean is carried over with `-cmninit`. Lines a
 * process prints before its input ends (pauses inside the utterance) are
 * emitted as partials. A process that dies unexpectedly is restarted and the
 * utterance's audio replayed into it, up to `max_restarts` times in a row.
 * How the audio reaches the engine (a FIFO, not `/dev/stdin`) is described in
 * `pocketsphinx-worker.ts`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@prx-voice/core';
import type { Clock, TimerHandle } from '@prx-voice/core';
import { createResampler, durationMsOf } from '@prx-voice/media';
import type { Resampler, SampleRate } from '@prx-voice/media';
import type { VoiceError } from '@prx-voice/types';
import { providerError } from '../../interfaces.js';
import type { AsrEvent, AsrOpenOptions, AsrProvider, AsrStream } from '../../interfaces.js';
import { AsyncEventQueue } from '../../internal/async-queue.js';
import { optionsValidator, parseProviderOptions } from '../../internal/options.js';
import { engineUnavailable } from './local-process.js';
import type { LocalProcessInfo, ProcessExit } from './local-process.js';
import { ENGINE_RATE, pocketsphinxOptionsSchema, sphinxArgs } from './pocketsphinx-options.js';
import type { PocketsphinxOptions } from './pocketsphinx-options.js';
import { SphinxWorker } from './pocketsphinx-worker.js';
import { probeExecutable } from '../health.js';

const PROVIDER = 'pocketsphinx';
/** Audio of an utterance kept for replay into a restarted process, samples at 16 kHz (60 s). */
const MAX_REPLAY_SAMPLES = 60 * ENGINE_RATE;

/** Dependencies of {@link createPocketsphinxAsr}. */
export interface PocketsphinxAsrDeps {
  /** Times the final timeout (default the system clock). */
  readonly clock?: Clock;
  /** The recognizer executable (default `pocketsphinx_continuous` on the PATH). */
  readonly command?: string;
  /** Told about each process started: per utterance `mkfifo`, the engine and its `dd` feeder (for metrics and tests). */
  readonly onProcess?: (process: LocalProcessInfo) => void;
}

/**
 * Creates the `pocketsphinx` ASR provider: one supervised pocketsphinx_continuous
 * process per utterance, fed 16 kHz audio (see the file note on `finalize()`).
 * Each final is followed by `usage` with the stream's audio so far. A missing
 * engine or a bad grammar or model fails the iteration with `PROVIDER_UNAVAILABLE`
 * (fallback possible, stderr in the details); `abort()` kills the process.
 *
 * @example
 * const stream = createPocketsphinxAsr().open({ sampleRate: 16000, language: 'en-US',
 *   options: { grammar: '#JSGF V1.0; grammar g; public <g> = hello there | goodbye;' } });
 * stream.push(frame); stream.finalize(); // → final 'hello there', usage
 */
export function createPocketsphinxAsr(deps: PocketsphinxAsrDeps = {}): AsrProvider {
  return {
    id: PROVIDER,
    validateOptions: optionsValidator(pocketsphinxOptionsSchema, PROVIDER),
    open: (options) => new PocketsphinxStream(options, deps),
    // The engine is there (and the models the options name, if any).
    healthCheck: ({ options }) => {
      const parsed = parseProviderOptions(pocketsphinxOptionsSchema, options, PROVIDER);
      const files = [parsed.hmm, parsed.dict].filter((f): f is string => f !== undefined);
      return Promise.resolve(probeExecutable(deps.command ?? 'pocketsphinx_continuous', files));
    },
  };
}

/** One utterance: the audio since the previous final and the process transcribing it. */
interface Utterance {
  readonly startSample: number;
  endSample: number;
  /** Input samples pushed into it (at the stream's rate). */
  inputSamples: number;
  /** Its 16 kHz audio, for replay; the oldest is dropped past {@link MAX_REPLAY_SAMPLES}. */
  readonly audio: Int16Array[];
  audioSamples: number;
  segments: string[];
  worker: SphinxWorker | undefined;
  finalized: boolean;
  done: boolean;
  timer: TimerHandle | undefined;
  /** Events waiting for the finals of earlier utterances. */
  readonly held: AsrEvent[];
}

class PocketsphinxStream implements AsrStream {
  readonly #queue: AsyncEventQueue<AsrEvent>;
  readonly #rate: SampleRate;
  readonly #options: PocketsphinxOptions;
  readonly #deps: PocketsphinxAsrDeps;
  readonly #clock: Clock;
  readonly #resampler: Resampler;
  readonly #signal: AbortSignal | undefined;
  #dir: string | undefined;
  #grammarFile: string | undefined;
  /** Utterances whose final is not emitted yet, in order; the current one is last. */
  readonly #pending: Utterance[] = [];
  #current: Utterance | undefined;
  #streamSamples = 0;
  #restarts = 0;
  /** Workers started so far (numbers their FIFOs). */
  #workers = 0;
  #cmn: string | undefined;
  #ending = false;
  #closed = false;

  constructor(options: AsrOpenOptions, deps: PocketsphinxAsrDeps) {
    this.#options = parseProviderOptions(pocketsphinxOptionsSchema, options.options, PROVIDER);
    this.#rate = options.sampleRate;
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
    this.#resampler = createResampler({ from: options.sampleRate, to: ENGINE_RATE });
    this.#queue = new AsyncEventQueue<AsrEvent>(() => {
      this.abort();
    });
    this.#signal = options.signal;
    if (this.#signal?.aborted === true) {
      this.abort();
      return;
    }
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (!/^en\b/i.test(options.language) && this.#options.hmm === undefined) {
      this.#fail(
        providerError('PROVIDER_UNAVAILABLE', {
          provider: PROVIDER,
          message: `pocketsphinx's installed model is US English; '${options.language}' needs the hmm, dict and lm options`,
          fallback: true,
          details: { language: options.language },
        }),
      );
      return;
    }
    // A private directory for the audio FIFOs and the grammar file.
    this.#dir = mkdtempSync(join(tmpdir(), 'prx-voice-sphinx-'));
    if (this.#options.grammar !== undefined) {
      this.#grammarFile = join(this.#dir, 'grammar.jsgf');
      writeFileSync(this.#grammarFile, this.#options.grammar);
    }
    this.#begin();
  }

  readonly #onAbort = (): void => {
    this.abort();
  };

  push(samples: Int16Array): void {
    const u = this.#current;
    if (u === undefined || samples.length === 0) return;
    this.#streamSamples += samples.length;
    u.inputSamples += samples.length;
    this.#feed(u, this.#resampler.process(samples));
  }

  finalize(): void {
    const u = this.#current;
    if (u === undefined) return;
    if (u.inputSamples === 0) {
      // Nothing heard: an empty final, and the waiting process stays for the next utterance.
      const empty = this.#utterance(this.#streamSamples);
      this.#pending.splice(this.#pending.length - 1, 0, empty);
      this.#complete(empty);
      return;
    }
    this.#close(u);
    this.#begin();
  }

  end(): void {
    const u = this.#current;
    if (u === undefined) return;
    this.#current = undefined;
    this.#ending = true;
    if (u.inputSamples > 0) {
      this.#close(u);
    } else {
      u.worker?.stop();
      this.#pending.pop();
    }
    this.#drain();
  }

  abort(): void {
    if (this.#closed) return;
    this.#shutdown();
    this.#queue.clear();
  }

  [Symbol.asyncIterator](): AsyncIterator<AsrEvent> {
    return this.#queue[Symbol.asyncIterator]();
  }

  #utterance(startSample: number): Utterance {
    return {
      startSample,
      endSample: startSample,
      inputSamples: 0,
      audio: [],
      audioSamples: 0,
      segments: [],
      worker: undefined,
      finalized: false,
      done: false,
      timer: undefined,
      held: [],
    };
  }

  /** Starts the next utterance with its process, so the models load before its audio comes. */
  #begin(): void {
    const u = this.#utterance(this.#streamSamples);
    this.#pending.push(u);
    this.#current = u;
    this.#startWorker(u);
  }

  /** Ends the utterance's audio: the process finishes it, prints it and exits. */
  #close(u: Utterance): void {
    this.#current = undefined;
    u.endSample = this.#streamSamples;
    this.#feed(u, this.#resampler.flush());
    u.finalized = true;
    u.worker?.endInput();
    this.#armTimeout(u);
  }

  #feed(u: Utterance, view: Int16Array): void {
    if (view.length === 0) return;
    const copy = view.slice();
    u.audio.push(copy);
    u.audioSamples += copy.length;
    while (u.audioSamples > MAX_REPLAY_SAMPLES && u.audio.length > 1) {
      u.audioSamples -= u.audio.shift()?.length ?? 0;
    }
    u.worker?.write(copy);
  }

  #startWorker(u: Utterance): SphinxWorker | undefined {
    const dir = this.#dir;
    if (dir === undefined) return undefined;
    this.#workers += 1;
    const worker: SphinxWorker = new SphinxWorker({
      command: this.#deps.command ?? 'pocketsphinx_continuous',
      args: sphinxArgs(this.#options, this.#grammarFile, this.#cmn),
      fifo: join(dir, `audio-${this.#workers}.fifo`),
      onProcess: this.#deps.onProcess,
      onLine: (line) => {
        this.#onLine(u, worker, line);
      },
      onCmn: (values) => {
        this.#cmn = values;
      },
      onExit: (exit) => {
        this.#onExit(u, worker, exit);
      },
    });
    u.worker = worker;
    return worker;
  }

  #onLine(u: Utterance, worker: SphinxWorker, line: string): void {
    const text = line.trim();
    if (this.#closed || u.worker !== worker || worker.stopped || text === '') return;
    u.segments.push(text);
    if (u.finalized) return; // the final follows at once
    this.#emit(u, {
      type: 'partial',
      text: u.segments.join(' '),
      startMs: this.#ms(u.startSample),
      endMs: this.#ms(this.#streamSamples),
    });
  }

  #onExit(u: Utterance, worker: SphinxWorker, exit: ProcessExit): void {
    if (this.#closed || u.worker !== worker || worker.stopped) return;
    if (worker.inputEnded && exit.code === 0) {
      this.#complete(u);
      return;
    }
    const stderr = worker.stderrTail();
    if (exit.spawnError !== undefined || (!worker.ready && exit.code !== null)) {
      // Restarting would not help: the engine is missing or refuses its settings.
      const message =
        exit.spawnError === undefined
          ? 'pocketsphinx_continuous could not start (check the grammar, keyphrase and model options)'
          : 'pocketsphinx_continuous is not available';
      this.#fail(engineUnavailable(PROVIDER, message, exit, stderr));
      return;
    }
    this.#restarts += 1;
    if (this.#restarts > this.#options.max_restarts) {
      this.#fail(
        engineUnavailable(
          PROVIDER,
          `pocketsphinx_continuous died ${this.#restarts} times in a row`,
          exit,
          stderr,
        ),
      );
      return;
    }
    // Restart and replay the utterance so far; its earlier lines come again.
    if (u.timer !== undefined) this.#clock.clearTimeout(u.timer);
    u.segments = [];
    const restarted = this.#startWorker(u);
    for (const chunk of u.audio) restarted?.write(chunk);
    if (u.finalized) {
      restarted?.endInput();
      this.#armTimeout(u);
    }
  }

  #armTimeout(u: Utterance): void {
    const ms = this.#options.final_timeout_ms;
    u.timer = this.#clock.setTimeout(() => {
      u.timer = undefined;
      this.#fail(
        providerError('PROVIDER_TIMEOUT', {
          provider: PROVIDER,
          message: `pocketsphinx_continuous gave no result ${ms} ms after finalize`,
          fallback: true,
          details: { timeout_ms: ms, stderr: u.worker?.stderrTail() ?? '' },
        }),
      );
    }, ms);
  }

  /** Emits the utterance's final and usage (in order after earlier utterances). */
  #complete(u: Utterance): void {
    u.done = true;
    if (u.timer !== undefined) this.#clock.clearTimeout(u.timer);
    u.timer = undefined;
    u.audio.length = 0;
    this.#restarts = 0;
    const endMs = this.#ms(u.endSample);
    this.#emit(u, {
      type: 'final',
      text: u.segments.join(' '),
      startMs: this.#ms(u.startSample),
      endMs,
    });
    this.#emit(u, { type: 'usage', audioMs: endMs });
    this.#drain();
  }

  #emit(u: Utterance, event: AsrEvent): void {
    if (this.#pending[0] === u) this.#queue.push(event);
    else u.held.push(event);
  }

  /** Drops finished utterances from the front, releasing the next one's held events; ends after `end()`. */
  #drain(): void {
    for (let head = this.#pending[0]; head?.done === true; head = this.#pending[0]) {
      this.#pending.shift();
      const next = this.#pending[0];
      if (next !== undefined) for (const event of next.held.splice(0)) this.#queue.push(event);
    }
    if (this.#ending && this.#pending.length === 0 && !this.#closed) {
      this.#shutdown();
      this.#queue.end();
    }
  }

  #fail(error: VoiceError): void {
    if (this.#closed) return;
    this.#shutdown();
    this.#queue.fail(error);
  }

  /** Stops every process and timer and removes the private directory. */
  #shutdown(): void {
    this.#closed = true;
    this.#current = undefined;
    for (const u of this.#pending.splice(0)) {
      if (u.timer !== undefined) this.#clock.clearTimeout(u.timer);
      u.worker?.stop();
    }
    this.#signal?.removeEventListener('abort', this.#onAbort);
    // Asynchronous, with retries: a stopped worker's mkfifo may still add a FIFO meanwhile.
    if (this.#dir !== undefined) {
      rm(this.#dir, { recursive: true, force: true, maxRetries: 5 }).catch(() => undefined);
    }
    this.#dir = undefined;
  }

  #ms(samples: number): number {
    return durationMsOf(samples, this.#rate);
  }
}
