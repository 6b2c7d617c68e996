/**
 * Polyphase windowed-sinc filter tables for the rational resampler: a Kaiser
 * window (Kaiser's design formulas for length and beta) over an ideal low-pass
 * at the middle of the transition band between the pass-band edge and the
 * lower rate's Nyquist frequency.
 */
import type { SampleRate } from './sample-rate.js';

/** Quality presets of the resampler, trading filter length (cost) for accuracy. */
export type ResamplerQuality = 'low' | 'medium' | 'high';

/** Design targets of one preset. */
interface QualitySpec {
  /** Stop-band attenuation, dB (also bounds the pass-band ripple). */
  readonly attenuationDb: number;
  /** Pass-band edge as a fraction of the lower rate's Nyquist frequency. */
  readonly passFraction: number;
}

const QUALITY: Readonly<Record<ResamplerQuality, QualitySpec>> = {
  low: { attenuationDb: 60, passFraction: 0.7 },
  medium: { attenuationDb: 80, passFraction: 0.85 },
  high: { attenuationDb: 100, passFraction: 0.9 },
};

/** A designed polyphase filter, shared by all resamplers of the same rates and quality. */
export interface PolyphaseFilter {
  /** Interpolation factor: output rate / gcd. */
  readonly up: number;
  /** Decimation factor: input rate / gcd. */
  readonly down: number;
  /** Half the filter's span in input samples; each output needs `halfWidth` inputs either side. */
  readonly halfWidth: number;
  /** Taps per phase (`2 × halfWidth`). */
  readonly taps: number;
  /** `up` phases of `taps` coefficients each, phase-major. */
  readonly coefficients: Float32Array;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** Modified Bessel function of the first kind, order 0, by its power series. */
function besselI0(x: number): number {
  const quarterSquare = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 200 && term > sum * 1e-17; k++) {
    term *= quarterSquare / (k * k);
    sum += term;
  }
  return sum;
}

/** Kaiser's beta for a stop-band attenuation in dB. */
function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) return 0.1102 * (attenuationDb - 8.7);
  if (attenuationDb >= 21)
    return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  return 0;
}

function designFilter(
  from: SampleRate,
  to: SampleRate,
  quality: ResamplerQuality,
): PolyphaseFilter {
  const divisor = gcd(from, to);
  const up = to / divisor;
  const down = from / divisor;
  const { attenuationDb, passFraction } = QUALITY[quality];

  // Frequencies in cycles per input sample.
  const nyquist = Math.min(from, to) / 2 / from;
  const passEdge = passFraction * nyquist;
  const cutoff = (passEdge + nyquist) / 2;
  const transition = 2 * Math.PI * (nyquist - passEdge); // radians per input sample
  const span = (attenuationDb - 7.95) / (2.285 * transition); // Kaiser's length estimate
  // At least one output step wide, so consecutive outputs always share history.
  const halfWidth = Math.max(2, Math.ceil(span / 2), Math.ceil(down / up) + 1);
  const taps = 2 * halfWidth;
  const beta = kaiserBeta(attenuationDb);
  const i0Beta = besselI0(beta);

  const coefficients = new Float32Array(up * taps);
  const phase = new Float64Array(taps);
  for (let p = 0; p < up; p++) {
    // Tap i of phase p weighs input (n - halfWidth + 1 + i) for an output at time n + p/up.
    let sum = 0;
    for (let i = 0; i < taps; i++) {
      const t = halfWidth - 1 - i + p / up;
      const ratio = t / halfWidth;
      const window =
        Math.abs(ratio) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - ratio * ratio)) / i0Beta;
      const x = 2 * cutoff * t;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const value = 2 * cutoff * sinc * window;
      phase[i] = value;
      sum += value;
    }
    // Unity gain at DC for every phase, so no phase modulates the level.
    for (let i = 0; i < taps; i++) coefficients[p * taps + i] = (phase[i] as number) / sum;
  }
  return { up, down, halfWidth, taps, coefficients };
}

const cache = new Map<string, PolyphaseFilter>();

/** The filter for a pair of rates and a quality, designed once and then shared. */
export function polyphaseFilter(
  from: SampleRate,
  to: SampleRate,
  quality: ResamplerQuality,
): PolyphaseFilter {
  const key = `${from}>${to}:${quality}`;
  let filter = cache.get(key);
  if (filter === undefined) {
    filter = designFilter(from, to, quality);
    cache.set(key, filter);
  }
  return filter;
}
