/**
 * The energy VAD: each 20 ms frame is scored by how far its level stands above
 * an adaptive noise floor, with zero-crossing bounds against hiss and hum.
 * Cheap and model-free; right for speech over a quiet or steady background,
 * fooled by loud or fluctuating noise (babble, traffic) — use Silero there.
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
/** Level of a digitally silent frame, dBFS. */
const SILENT_DBFS = -120;

/** Options of {@link createEnergyVad}; the defaults suit speech at 8–48 kHz. */
export interface EnergyVadOptions {
  /** Level above the noise floor, dB, at which a frame scores 0.5 (default 7). */
  readonly marginDb?: number;
  /** Absolute level, dBFS, at which a frame scores 0.5 (default −55): quieter is never speech. */
  readonly minDbfs?: number;
  /** Width of both score curves, dB: ±1 width moves the score to 0.27 / 0.73 (default 1.5). */
  readonly widthDb?: number;
  /**
   * Highest the noise floor goes, dBFS (default −24): a steady sound louder
   * than this plus `marginDb` (−17 dBFS) is always loud enough to be speech.
   */
  readonly maxFloorDbfs?: number;
}

type Settings = Required<EnergyVadOptions>;

const DEFAULTS: Settings = { marginDb: 7, minDbfs: -55, widthDb: 1.5, maxFloorDbfs: -24 };

/** How fast the floor rises under a fluctuating level (speech), dB/s. */
const FLOOR_RISE_DB_PER_S = 6;
/** How fast the floor rises under a steady level (a noise bed), dB/s. */
const STEADY_RISE_DB_PER_S = 100;
/** A level is steady once every frame for this long has stayed within {@link STEADY_DB} of the recent level. */
const STEADY_MS = 250;
/** See {@link STEADY_MS}. */
const STEADY_DB = 3;
/** Time constant of the recent level, ms. */
const LEVEL_SMOOTHING_MS = 40;
/** Corner of the high-pass filter in front of the level and zero-crossing measurements, Hz. */
const HIGH_PASS_HZ = 100;
/** Fewest zero crossings per second of a speech frame: fewer is mains hum or rumble. */
const MIN_CROSSINGS_PER_S = 150;
/** Most zero crossings per sample of a speech frame: more is hiss (white noise has 0.5). */
const MAX_CROSSINGS_PER_SAMPLE = 0.42;

/** One frame's measurements, for {@link energyFrameScore}. */
export interface EnergyFrame {
  /** RMS level, dBFS. */
  readonly dbfs: number;
  /** The noise floor before this frame, dBFS. */
  readonly floorDbfs: number;
  /** Zero crossings per sample (0–1). */
  readonly crossingsPerSample: number;
  /** Sample rate, Hz. */
  readonly sampleRate: number;
}

const logistic = (x: number, width: number): number => 1 / (1 + Math.exp(-x / width));

/** Filter outputs smaller than this (in LSBs of 16-bit audio) are zero. */
const DENORMAL_GUARD = 1e-9;

/**
 * A frame's speech score (0–1): the smaller of a logistic curve over its level
 * above the noise floor (0.5 at `marginDb`) and one over its absolute level
 * (0.5 at `minDbfs`), both `widthDb` wide; and 0 when its zero-crossing rate
 * is out of the bounds of voiced speech: under 150 per second (mains hum, rumble)
 * or over 0.42 per sample (hiss; white noise has 0.5, and an /s/ on its
 * own is left to the state machine as a dip). With the defaults, a voiced
 * frame at −30 dBFS scores 0.5 over a floor at −37 dBFS and 0.99 over one at
 * −44; at −56 dBFS it scores under 0.5 whatever the floor.
 */
export function energyFrameScore(frame: EnergyFrame, options: EnergyVadOptions = {}): number {
  return score(frame.dbfs, frame.floorDbfs, frame.crossingsPerSample, frame.sampleRate, {
    ...DEFAULTS,
    ...options,
  });
}

function score(
  dbfs: number,
  floorDbfs: number,
  crossingsPerSample: number,
  sampleRate: number,
  s: Settings,
): number {
  if (dbfs <= SILENT_DBFS) return 0;
  if (
    crossingsPerSample * sampleRate < MIN_CROSSINGS_PER_S ||
    crossingsPerSample > MAX_CROSSINGS_PER_SAMPLE
  )
    return 0;
  return Math.min(
    logistic(dbfs - floorDbfs - s.marginDb, s.widthDb),
    logistic(dbfs - s.minDbfs, s.widthDb),
  );
}

/**
 * Creates the energy VAD (`energy`): 20 ms frames, each scored by
 * {@link energyFrameScore} against the stream's noise floor and fed to the
 * shared VAD state machine (which tolerates syllable dips while speech
 * starts). Events are delivered synchronously from `push`; a push does not
 * allocate, whatever the chunking.
 *
 * The noise floor follows the background. It starts at the first frame's
 * level (what is there when the stream opens is background until it changes),
 * falls at once to any quieter frame, and rises towards louder ones at 6 dB/s
 * while the level fluctuates as speech does, at 100 dB/s once it has been
 * steady (every frame within 3 dB of the recent level) for 250 ms, as a
 * fan, hum, hiss or held chord is. It stays between `minDbfs − marginDb` and
 * `maxFloorDbfs`. So:
 * - speech peaking anywhere from −12 to −30 dBFS over a quiet line is heard,
 *   a 300 ms "yes" included; so is speech 10 dB above a steady noise bed;
 * - a steady noise bed present from the start is never speech; one that
 *   starts mid-stream may make one `speech_start` (then `speech_end` once the
 *   floor has caught up, typically within 0.5–2 s) when it is more than
 *   `marginDb` above the old floor, as it sounds like a speech onset at first;
 * - loud or fluctuating noise (babble, traffic, a steady sound above −17 dBFS)
 *   is heard as speech: use the Silero VAD there;
 * - speech that starts with the stream's very first frame, abruptly and below
 *   −17 dBFS, sets the floor and is heard from its first dip on.
 *
 * @example
 * const stream = createEnergyVad().open(
 *   { sampleRate: 16000, threshold: 0.5, minSpeechMs: 120, minSilenceMs: 250, minVolume: 0 },
 *   (event) => console.log(event.type, event.atMs),
 * );
 * stream.push(frame);
 */
export function createEnergyVad(options: EnergyVadOptions = {}): VadProvider {
  const settings: Settings = { ...DEFAULTS, ...options };
  return {
    id: 'energy',
    open: (vadOptions, onEvent) =>
      new EnergyVadStream(checkVadOptions(vadOptions, 'energy'), onEvent, settings),
  };
}

class EnergyVadStream implements VadStream {
  readonly #machine: VadStateMachine;
  readonly #onEvent: (event: VadEvent) => void;
  readonly #settings: Settings;
  readonly #sampleRate: number;
  readonly #frameSamples: number;
  readonly #frameMs: number;
  /** Floor rise per frame, dB, under a fluctuating and a steady level. */
  readonly #riseDb: number;
  readonly #steadyRiseDb: number;
  /** Smoothing factor per frame of the recent level. */
  readonly #levelAlpha: number;
  /** The high-pass filter's coefficients (a second-order Butterworth section) and state. */
  readonly #b0: number;
  readonly #b1: number;
  readonly #a1: number;
  readonly #a2: number;
  #x1 = 0;
  #x2 = 0;
  #y1 = 0;
  #y2 = 0;
  /** Sums of squares of the frame so far: high-passed, and as it came. */
  #sumSquares = 0;
  #rawSumSquares = 0;
  #count = 0;
  #crossings = 0;
  /** Whether the last sample seen was negative (zero crossings span pushes and frames). */
  #negative = false;
  #floorDbfs: number;
  /** Below this the floor does not matter: a frame must reach `minDbfs` anyway. */
  readonly #lowestFloorDbfs: number;
  /** The recent level, dBFS (smoothed over about 40 ms); NaN before the first frame. */
  #levelDbfs = Number.NaN;
  /** How long the level has been steady, ms. */
  #steadyMs: number;
  #closed = false;

  constructor(options: VadOptions, onEvent: (event: VadEvent) => void, settings: Settings) {
    this.#machine = createVadStateMachine(options);
    this.#onEvent = onEvent;
    this.#settings = settings;
    this.#sampleRate = options.sampleRate;
    this.#frameSamples = samplesForMs(options.sampleRate, FRAME_MS);
    this.#frameMs = (this.#frameSamples * 1000) / options.sampleRate;
    this.#riseDb = (FLOOR_RISE_DB_PER_S * this.#frameMs) / 1000;
    this.#steadyRiseDb = (STEADY_RISE_DB_PER_S * this.#frameMs) / 1000;
    this.#levelAlpha = 1 - Math.exp(-this.#frameMs / LEVEL_SMOOTHING_MS);
    // RBJ's high-pass biquad with Q = 1/√2, normalised by a0; b2 = b0.
    const w = (2 * Math.PI * HIGH_PASS_HZ) / options.sampleRate;
    const alpha = Math.sin(w) / Math.SQRT2;
    const a0 = 1 + alpha;
    this.#b0 = (1 + Math.cos(w)) / 2 / a0;
    this.#b1 = -(1 + Math.cos(w)) / a0;
    this.#a1 = (-2 * Math.cos(w)) / a0;
    this.#a2 = (1 - alpha) / a0;
    this.#lowestFloorDbfs = settings.minDbfs - settings.marginDb;
    this.#floorDbfs = this.#lowestFloorDbfs;
    // What is there when the stream opens is taken for background until it changes.
    this.#steadyMs = STEADY_MS;
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
    const b0 = this.#b0;
    const b1 = this.#b1;
    const a1 = this.#a1;
    const a2 = this.#a2;
    let x1 = this.#x1;
    let x2 = this.#x2;
    let y1 = this.#y1;
    let y2 = this.#y2;
    let sum = this.#sumSquares;
    let raw = this.#rawSumSquares;
    let count = this.#count;
    let crossings = this.#crossings;
    let negative = this.#negative;
    for (let i = 0; i < samples.length; i++) {
      const x = samples[i] as number;
      let y = b0 * (x + x2) + b1 * x1 - a1 * y1 - a2 * y2;
      // Flushed to zero far below one LSB: after a speech, digital silence makes the filter's
      // output decay into subnormal numbers, whose arithmetic is several times slower.
      if (y < DENORMAL_GUARD && y > -DENORMAL_GUARD) y = 0;
      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      sum += y * y;
      raw += x * x;
      count += 1;
      // Below half an LSB counts as the sign it continues, so digital silence does not cross.
      if ((y > 0.5 && negative) || (y < -0.5 && !negative)) {
        crossings += 1;
        negative = !negative;
      }
      if (count === frameSamples) {
        this.#x1 = x1;
        this.#x2 = x2;
        this.#y1 = y1;
        this.#y2 = y2;
        this.#negative = negative;
        // The filter rings on after an abrupt stop: a frame is never louder than it came.
        const level = Math.sqrt(Math.min(sum, raw) / count) / FULL_SCALE;
        if (!this.#frame(level, crossings / count)) return;
        sum = 0;
        raw = 0;
        count = 0;
        crossings = 0;
      }
    }
    this.#x1 = x1;
    this.#x2 = x2;
    this.#y1 = y1;
    this.#y2 = y2;
    this.#sumSquares = sum;
    this.#rawSumSquares = raw;
    this.#count = count;
    this.#crossings = crossings;
    this.#negative = negative;
  }

  close(): void {
    this.#closed = true;
  }

  /** Processes one frame; returns whether the stream is still open (`onEvent` may close it). */
  #frame(rms: number, crossingsPerSample: number): boolean {
    const dbfs = rms > 0 ? Math.max(SILENT_DBFS, 20 * Math.log10(rms)) : SILENT_DBFS;
    const probability = score(
      dbfs,
      this.#floorDbfs,
      crossingsPerSample,
      this.#sampleRate,
      this.#settings,
    );
    this.#track(dbfs);
    const event = this.#machine.process(probability, rms, this.#frameMs);
    if (event === undefined) return true;
    this.#onEvent(event);
    return this.#isOpen();
  }

  /** Moves the noise floor after a frame at `dbfs`. */
  #track(dbfs: number): void {
    const s = this.#settings;
    if (Number.isNaN(this.#levelDbfs)) {
      // The first frame: the floor starts at its level.
      this.#levelDbfs = dbfs;
      this.#floorDbfs = Math.min(Math.max(dbfs, this.#lowestFloorDbfs), s.maxFloorDbfs);
      return;
    }
    this.#steadyMs =
      Math.abs(dbfs - this.#levelDbfs) <= STEADY_DB ? this.#steadyMs + this.#frameMs : 0;
    this.#levelDbfs += (dbfs - this.#levelDbfs) * this.#levelAlpha;
    if (dbfs <= this.#floorDbfs) {
      this.#floorDbfs = Math.max(dbfs, this.#lowestFloorDbfs);
    } else {
      const rise = this.#steadyMs >= STEADY_MS ? this.#steadyRiseDb : this.#riseDb;
      this.#floorDbfs = Math.min(this.#floorDbfs + rise, dbfs, s.maxFloorDbfs);
    }
  }

  #isOpen(): boolean {
    return !this.#closed;
  }
}
