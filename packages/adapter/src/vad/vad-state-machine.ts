/**
 * The VAD state machine shared by every detector: quiet → starting → speaking
 * → stopping → quiet, fed one frame at a time with the frame's speech
 * probability, RMS level and duration.
 */
import type { VadEvent, VadOptions, VadState } from '../interfaces.js';

/** Longest dip, ms, that a starting speech run survives when `maxDipMs` is not set. */
export const DEFAULT_MAX_DIP_MS = 100;

/** The thresholds the state machine needs (a {@link VadOptions} without the rate). */
export type VadStateMachineOptions = Pick<
  VadOptions,
  'threshold' | 'minSpeechMs' | 'minSilenceMs' | 'minVolume' | 'maxDipMs'
>;

/** One detector stream's speech state; see {@link createVadStateMachine}. */
export interface VadStateMachine {
  readonly state: VadState;
  /** Stream time, ms: the end of the last frame processed. */
  readonly timeMs: number;
  /** Probability of the last frame processed (0 before any). */
  readonly probability: number;
  /**
   * Processes the next frame: `probability` 0–1, `rms` 0–1 of full scale,
   * `frameMs` its duration. Returns the event the frame completes, if any.
   */
  process(probability: number, rms: number, frameMs: number): VadEvent | undefined;
  /** Back to quiet at stream time 0. */
  reset(): void;
}

/**
 * Creates the state machine. A frame is speech when its probability is at
 * least `threshold` and its RMS at least `minVolume`.
 *
 * Onset: a speech frame starts a candidate run. The run becomes `speech_start`
 * once its speech frames add up to `minSpeechMs` (voiced time, not wall time),
 * stamped at the start of the run, with the mean probability of its speech
 * frames. Non-speech frames inside the run (a syllable dip, a plosive's
 * closure) count neither as speech nor against it, as long as each dip lasts
 * at most `maxDipMs` (default {@link DEFAULT_MAX_DIP_MS}); a longer dip drops
 * the run (a click, a cough's tail). `maxDipMs` 0 drops the run at its first
 * non-speech frame.
 *
 * Offset: in speech, a run of non-speech frames lasting `minSilenceMs` makes
 * `speech_end`, stamped at the start of the silence, with the speech's
 * duration; a speech frame before that resumes the speech without an event.
 *
 * @example
 * const vad = createVadStateMachine({ threshold: 0.5, minSpeechMs: 150, minSilenceMs: 250, minVolume: 0 });
 * const event = vad.process(0.9, 0.1, 20); // undefined until 150 ms of speech frames
 */
export function createVadStateMachine(options: VadStateMachineOptions): VadStateMachine {
  return new StateMachine(options);
}

class StateMachine implements VadStateMachine {
  readonly #threshold: number;
  readonly #minVolume: number;
  readonly #minSpeechMs: number;
  readonly #minSilenceMs: number;
  readonly #maxDipMs: number;
  #state: VadState = 'quiet';
  #timeMs = 0;
  #probability = 0;
  /** Start of the current speech (or candidate speech) run. */
  #speechStart = 0;
  /** Start of the current silence run inside speech. */
  #silenceStart = 0;
  /** Speech frames' time in the candidate run, ms. */
  #voicedMs = 0;
  /** Length of the dip the candidate run is in, ms (0 when its last frame was speech). */
  #dipMs = 0;
  /** All the dips of the candidate run, ms. */
  #dipsMs = 0;
  /** Sum of probability × ms over the candidate run's speech frames, for their mean. */
  #weightedProbability = 0;

  constructor(options: VadStateMachineOptions) {
    this.#threshold = options.threshold;
    this.#minVolume = options.minVolume;
    this.#minSpeechMs = options.minSpeechMs;
    this.#minSilenceMs = options.minSilenceMs;
    this.#maxDipMs = options.maxDipMs ?? DEFAULT_MAX_DIP_MS;
  }

  get state(): VadState {
    return this.#state;
  }

  get timeMs(): number {
    return this.#timeMs;
  }

  get probability(): number {
    return this.#probability;
  }

  process(probability: number, rms: number, frameMs: number): VadEvent | undefined {
    const frameStart = this.#timeMs;
    const frameEnd = frameStart + frameMs;
    this.#timeMs = frameEnd;
    this.#probability = probability;
    const speech = probability >= this.#threshold && rms >= this.#minVolume;
    switch (this.#state) {
      case 'quiet':
        if (!speech) return undefined;
        this.#speechStart = frameStart;
        this.#voicedMs = 0;
        this.#dipMs = 0;
        this.#dipsMs = 0;
        this.#weightedProbability = 0;
        this.#state = 'starting';
        return this.#starting(probability, frameMs);
      case 'starting':
        if (!speech) {
          this.#dipMs += frameMs;
          this.#dipsMs += frameMs;
          if (this.#dipMs > this.#maxDipMs || this.#dipsMs > this.#voicedMs) this.#state = 'quiet';
          return undefined;
        }
        this.#dipMs = 0;
        return this.#starting(probability, frameMs);
      case 'speaking':
        if (speech) return undefined;
        this.#silenceStart = frameStart;
        this.#state = 'stopping';
        return this.#stopping(frameEnd);
      case 'stopping':
        if (speech) {
          this.#state = 'speaking';
          return undefined;
        }
        return this.#stopping(frameEnd);
    }
  }

  reset(): void {
    this.#state = 'quiet';
    this.#timeMs = 0;
    this.#probability = 0;
    this.#speechStart = 0;
    this.#silenceStart = 0;
    this.#voicedMs = 0;
    this.#dipMs = 0;
    this.#dipsMs = 0;
    this.#weightedProbability = 0;
  }

  /** A speech frame of the candidate run. */
  #starting(probability: number, frameMs: number): VadEvent | undefined {
    this.#weightedProbability += probability * frameMs;
    this.#voicedMs += frameMs;
    if (this.#voicedMs < this.#minSpeechMs) return undefined;
    this.#state = 'speaking';
    return {
      type: 'speech_start',
      atMs: this.#speechStart,
      probability: this.#voicedMs > 0 ? this.#weightedProbability / this.#voicedMs : probability,
    };
  }

  #stopping(frameEnd: number): VadEvent | undefined {
    if (frameEnd - this.#silenceStart < this.#minSilenceMs) return undefined;
    this.#state = 'quiet';
    return {
      type: 'speech_end',
      atMs: this.#silenceStart,
      speechMs: this.#silenceStart - this.#speechStart,
    };
  }
}
