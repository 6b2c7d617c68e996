/**
 * The VAD state machine shared by every detector: quiet → starting → speaking
 * → stopping → quiet, fed one frame at a time with the frame's speech
 * probability, RMS level and duration.
 */
import type { VadEvent, VadOptions, VadState } from '../interfaces.js';

/** The thresholds the state machine needs (a {@link VadOptions} without the rate). */
export type VadStateMachineOptions = Pick<
  VadOptions,
  'threshold' | 'minSpeechMs' | 'minSilenceMs' | 'minVolume'
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
 * least `threshold` and its RMS at least `minVolume`. A run of speech frames
 * lasting `minSpeechMs` makes `speech_start`, stamped at the start of the run,
 * with the run's mean probability; a silence frame before that drops the run
 * (a click). In speech, a run of silence frames lasting `minSilenceMs` makes
 * `speech_end`, stamped at the start of the silence, with the speech's duration;
 * a speech frame before that resumes the speech without an event (a dip).
 *
 * @example
 * const vad = createVadStateMachine({ threshold: 0.5, minSpeechMs: 250, minSilenceMs: 500, minVolume: 0 });
 * const event = vad.process(0.9, 0.1, 20); // undefined until 250 ms of speech
 */
export function createVadStateMachine(options: VadStateMachineOptions): VadStateMachine {
  return new StateMachine(options);
}

class StateMachine implements VadStateMachine {
  readonly #threshold: number;
  readonly #minVolume: number;
  readonly #minSpeechMs: number;
  readonly #minSilenceMs: number;
  #state: VadState = 'quiet';
  #timeMs = 0;
  #probability = 0;
  /** Start of the current speech (or candidate speech) run. */
  #speechStart = 0;
  /** Start of the current silence run inside speech. */
  #silenceStart = 0;
  /** Sum of probability × ms over the candidate run, for its mean. */
  #weightedProbability = 0;

  constructor(options: VadStateMachineOptions) {
    this.#threshold = options.threshold;
    this.#minVolume = options.minVolume;
    this.#minSpeechMs = options.minSpeechMs;
    this.#minSilenceMs = options.minSilenceMs;
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
        this.#weightedProbability = 0;
        this.#state = 'starting';
        return this.#starting(probability, frameMs, frameEnd);
      case 'starting':
        if (!speech) {
          this.#state = 'quiet';
          return undefined;
        }
        return this.#starting(probability, frameMs, frameEnd);
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
    this.#weightedProbability = 0;
  }

  #starting(probability: number, frameMs: number, frameEnd: number): VadEvent | undefined {
    this.#weightedProbability += probability * frameMs;
    const lasted = frameEnd - this.#speechStart;
    if (lasted < this.#minSpeechMs) return undefined;
    this.#state = 'speaking';
    return {
      type: 'speech_start',
      atMs: this.#speechStart,
      probability: lasted > 0 ? this.#weightedProbability / lasted : probability,
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
