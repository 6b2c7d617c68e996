/**
 * The energy VAD: a frame's speech probability is a smooth function of its RMS
 * level in dBFS. Cheap and model-free; right for clean input, fooled by loud noise.
 */
import { samplesForMs } from '@prx-voice/media';
import type { VadEvent, VadOptions, VadProvider, VadState, VadStream } from '../interfaces.js';
import { checkVadOptions } from './vad-options.js';
import { createVadStateMachine } from './vad-state-machine.js';
import type { VadStateMachine } from './vad-state-machine.js';

/** Full-scale amplitude of PCM16. */
const FULL_SCALE = 32768;
/** Frame length of the energy VAD. */
const FRAME_MS = 20;

/** Options of {@link createEnergyVad}. */
export interface EnergyVadOptions {
  /** Level, dBFS, at which the probability is 0.5 (default −40). */
  readonly midpointDbfs?: number;
  /** Width of the transition, dB: ±1 width moves the probability to 0.27 / 0.73 (default 3). */
  readonly widthDb?: number;
}

/**
 * The energy VAD's probability for a frame level: a logistic curve over dBFS,
 * p = 1 / (1 + e^−(dBFS − midpoint) / width). With the defaults (−40 dBFS, 3 dB):
 * −50 dBFS → 0.03, −43 → 0.27, −40 → 0.5, −37 → 0.73, −30 → 0.97; silence → 0.
 * `rms` is 0–1 of full scale.
 */
export function energySpeechProbability(rms: number, midpointDbfs = -40, widthDb = 3): number {
  if (!(rms > 0)) return 0;
  const dbfs = 20 * Math.log10(rms);
  return 1 / (1 + Math.exp(-(dbfs - midpointDbfs) / widthDb));
}

/**
 * Creates the energy VAD (`energy`): 20 ms frames, each scored by
 * {@link energySpeechProbability} and fed to the shared VAD state machine.
 * Events are delivered synchronously from `push`. A push does not allocate:
 * samples are summed as they arrive, whatever the chunking.
 *
 * @example
 * const stream = createEnergyVad().open(
 *   { sampleRate: 16000, threshold: 0.5, minSpeechMs: 250, minSilenceMs: 500, minVolume: 0 },
 *   (event) => console.log(event.type, event.atMs),
 * );
 * stream.push(frame);
 */
export function createEnergyVad(options: EnergyVadOptions = {}): VadProvider {
  const midpointDbfs = options.midpointDbfs ?? -40;
  const widthDb = options.widthDb ?? 3;
  return {
    id: 'energy',
    open: (vadOptions, onEvent) =>
      new EnergyVadStream(checkVadOptions(vadOptions, 'energy'), onEvent, midpointDbfs, widthDb),
  };
}

class EnergyVadStream implements VadStream {
  readonly #machine: VadStateMachine;
  readonly #onEvent: (event: VadEvent) => void;
  readonly #frameSamples: number;
  readonly #frameMs: number;
  readonly #midpointDbfs: number;
  readonly #widthDb: number;
  #sumSquares = 0;
  #count = 0;
  #closed = false;

  constructor(
    options: VadOptions,
    onEvent: (event: VadEvent) => void,
    midpointDbfs: number,
    widthDb: number,
  ) {
    this.#machine = createVadStateMachine(options);
    this.#onEvent = onEvent;
    this.#frameSamples = samplesForMs(options.sampleRate, FRAME_MS);
    this.#frameMs = (this.#frameSamples * 1000) / options.sampleRate;
    this.#midpointDbfs = midpointDbfs;
    this.#widthDb = widthDb;
  }

  get state(): VadState {
    return this.#machine.state;
  }

  get probability(): number {
    return this.#machine.probability;
  }

  push(samples: Int16Array): void {
    if (this.#closed) return;
    const frameSamples = this.#frameSamples;
    let sum = this.#sumSquares;
    let count = this.#count;
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i] as number;
      sum += s * s;
      count += 1;
      if (count === frameSamples) {
        if (!this.#frame(Math.sqrt(sum / count) / FULL_SCALE)) return;
        sum = 0;
        count = 0;
      }
    }
    this.#sumSquares = sum;
    this.#count = count;
  }

  close(): void {
    this.#closed = true;
  }

  /** Processes one frame; returns whether the stream is still open (`onEvent` may close it). */
  #frame(rms: number): boolean {
    const probability = energySpeechProbability(rms, this.#midpointDbfs, this.#widthDb);
    const event = this.#machine.process(probability, rms, this.#frameMs);
    if (event === undefined) return true;
    this.#onEvent(event);
    return this.#isOpen();
  }

  #isOpen(): boolean {
    return !this.#closed;
  }
}
