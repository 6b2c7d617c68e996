/**
 * Synthetic, deterministic test signals for the VAD tests: speech-like
 * utterances (amplitude-modulated harmonic tones with syllable dips, plosive
 * gaps and fricatives) and steady noise beds (white and pink noise, mains hum,
 * a sustained chord), with helpers to set levels and mix them. Every generator
 * is seeded, so a test sees the same samples on every run.
 */

/** A mono signal as floats, 1 = full scale. */
export type Signal = Float64Array;

/** A seeded uniform generator in [0, 1) (a linear congruential generator). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 0x1_0000_0000;
  };
}

const samples = (rate: number, ms: number): number => Math.round((rate * ms) / 1000);

/** `ms` of digital silence. */
export function silence(rate: number, ms: number): Signal {
  return new Float64Array(samples(rate, ms));
}

/** White noise, uniform, unit-free (set its level with {@link atRms}). */
export function whiteNoise(rate: number, ms: number, seed = 1): Signal {
  const random = seededRandom(seed);
  const out = new Float64Array(samples(rate, ms));
  for (let i = 0; i < out.length; i++) out[i] = random() * 2 - 1;
  return out;
}

/** Pink (1/f) noise: white noise through Paul Kellet's economy filter. */
export function pinkNoise(rate: number, ms: number, seed = 2): Signal {
  const random = seededRandom(seed);
  const out = new Float64Array(samples(rate, ms));
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  for (let i = 0; i < out.length; i++) {
    const white = random() * 2 - 1;
    b0 = 0.99765 * b0 + white * 0.099046;
    b1 = 0.963 * b1 + white * 0.2965164;
    b2 = 0.57 * b2 + white * 1.0526913;
    out[i] = b0 + b1 + b2 + white * 0.1848;
  }
  return out;
}

/** Mains hum: `hz` with its 2nd and 3rd harmonics (a transformer's buzz). */
export function hum(rate: number, ms: number, hz = 50): Signal {
  const out = new Float64Array(samples(rate, ms));
  for (let i = 0; i < out.length; i++) {
    const t = i / rate;
    out[i] =
      Math.sin(2 * Math.PI * hz * t) +
      0.5 * Math.sin(2 * Math.PI * 2 * hz * t) +
      0.3 * Math.sin(2 * Math.PI * 3 * hz * t);
  }
  return out;
}

/** A sustained chord (C major: C4 E4 G4 C5), each note with a few harmonics, as an organ holds it. */
export function chord(rate: number, ms: number): Signal {
  const notes = [261.63, 329.63, 392, 523.25];
  const out = new Float64Array(samples(rate, ms));
  for (let i = 0; i < out.length; i++) {
    const t = i / rate;
    let v = 0;
    for (const f of notes) {
      for (let k = 1; k <= 4 && k * f < rate / 2; k++) v += Math.sin(2 * Math.PI * k * f * t) / k;
    }
    out[i] = v;
  }
  return out;
}

/** One part of a speech-like utterance. */
export type SpeechPart =
  /** A voiced syllable of `ms` (a harmonic tone under a rise–hold–fall envelope). */
  | { readonly kind: 'syllable'; readonly ms: number; readonly f0?: number }
  /** A dip between syllables: the voice drops to `depthDb` (default −25 dB) below its peak for `ms`. */
  | { readonly kind: 'dip'; readonly ms: number; readonly depthDb?: number }
  /** A plosive: `ms` of closure (silence), then a 10 ms burst of noise. */
  | { readonly kind: 'plosive'; readonly ms: number }
  /** A fricative (an /s/): `ms` of high-passed noise at `levelDb` (default −12 dB) below the peak. */
  | { readonly kind: 'fricative'; readonly ms: number; readonly levelDb?: number };

/**
 * A speech-like utterance: voiced syllables are a harmonic tone (F0 around
 * `f0`, 120 Hz by default, with a slow pitch glide and ten harmonics shaped
 * like two formants) under a raised-cosine envelope with 15 % amplitude
 * shimmer; dips, plosive closures and fricatives in between. Unit-free: scale
 * it with {@link atPeak}.
 */
export function speechLike(rate: number, parts: readonly SpeechPart[], seed = 3): Signal {
  const random = seededRandom(seed);
  const chunks: Float64Array[] = [];
  let phase = 0;
  for (const part of parts) {
    const n = samples(rate, part.ms);
    const out = new Float64Array(n);
    switch (part.kind) {
      case 'syllable': {
        const f0 = part.f0 ?? 120;
        const ramp = Math.min(n / 3, samples(rate, 40));
        let shimmer = 1;
        for (let i = 0; i < n; i++) {
          if (i % samples(rate, 10) === 0) shimmer = 0.85 + 0.15 * random();
          const env =
            i < ramp
              ? 0.5 - 0.5 * Math.cos((Math.PI * i) / ramp)
              : i > n - ramp
                ? 0.5 - 0.5 * Math.cos((Math.PI * (n - i)) / ramp)
                : 1;
          const f = f0 * (1 + 0.08 * Math.sin((Math.PI * i) / n));
          phase += (2 * Math.PI * f) / rate;
          let v = 0;
          for (let k = 1; k <= 10 && k * f < rate / 2; k++) {
            // Two formant-like bumps, around 500 Hz and 1500 Hz.
            const hz = k * f;
            const gain =
              1 / (1 + ((hz - 500) / 300) ** 2) + 0.5 / (1 + ((hz - 1500) / 400) ** 2) + 0.05;
            v += gain * Math.sin(k * phase);
          }
          out[i] = v * env * shimmer;
        }
        break;
      }
      case 'dip': {
        const gain = 10 ** ((part.depthDb ?? -25) / 20);
        for (let i = 0; i < n; i++) {
          phase += (2 * Math.PI * 110) / rate;
          out[i] = gain * (Math.sin(phase) + 0.5 * Math.sin(2 * phase));
        }
        break;
      }
      case 'plosive': {
        const burst = samples(rate, 10);
        for (let i = Math.max(0, n - burst); i < n; i++) out[i] = 0.4 * (random() * 2 - 1);
        break;
      }
      case 'fricative': {
        const gain = 1.5 * 10 ** ((part.levelDb ?? -12) / 20);
        let previous = 0;
        for (let i = 0; i < n; i++) {
          const white = random() * 2 - 1;
          const edge = Math.min(1, i / samples(rate, 20), (n - i) / samples(rate, 20));
          out[i] = gain * edge * (white - previous);
          previous = white;
        }
        break;
      }
    }
    chunks.push(out);
  }
  return concat(...chunks);
}

/** A two-syllable word with a plosive between: about 560 ms, like "table". */
export const WORD: readonly SpeechPart[] = [
  { kind: 'syllable', ms: 220 },
  { kind: 'plosive', ms: 40 },
  { kind: 'syllable', ms: 300, f0: 110 },
];

/** A short sentence: five syllables with dips, two plosives and a fricative, about 1.7 s. */
export const SENTENCE: readonly SpeechPart[] = [
  { kind: 'syllable', ms: 180 },
  { kind: 'dip', ms: 80 },
  { kind: 'syllable', ms: 240, f0: 130 },
  { kind: 'plosive', ms: 40 },
  { kind: 'syllable', ms: 200, f0: 125 },
  { kind: 'fricative', ms: 90 },
  { kind: 'syllable', ms: 260, f0: 118 },
  { kind: 'dip', ms: 120, depthDb: -30 },
  { kind: 'plosive', ms: 40 },
  { kind: 'syllable', ms: 320, f0: 105 },
];

/** "Yes": a 300 ms burst, a glide into a vowel and a fricative tail. */
export const YES: readonly SpeechPart[] = [
  { kind: 'syllable', ms: 200, f0: 140 },
  { kind: 'fricative', ms: 100, levelDb: -10 },
];

/** "Two": a plosive burst into a 260 ms vowel. */
export const TWO: readonly SpeechPart[] = [
  { kind: 'plosive', ms: 15 },
  { kind: 'syllable', ms: 260, f0: 125 },
];

/** Concatenation. */
export function concat(...parts: readonly Signal[]): Signal {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** `signal` scaled so its sample peak is `dbfs`. */
export function atPeak(signal: Signal, dbfs: number): Signal {
  let peak = 0;
  for (const v of signal) peak = Math.max(peak, Math.abs(v));
  return scale(signal, peak > 0 ? 10 ** (dbfs / 20) / peak : 0);
}

/** `signal` scaled so its RMS over the whole signal is `dbfs`. */
export function atRms(signal: Signal, dbfs: number): Signal {
  const level = rmsOf(signal);
  return scale(signal, level > 0 ? 10 ** (dbfs / 20) / level : 0);
}

/** RMS over the whole signal (1 = full scale). */
export function rmsOf(signal: Signal): number {
  let sum = 0;
  for (const v of signal) sum += v * v;
  return signal.length > 0 ? Math.sqrt(sum / signal.length) : 0;
}

function scale(signal: Signal, gain: number): Signal {
  return signal.map((v) => v * gain);
}

/** `bed` with `signal` added from `atMs` on (the bed must be long enough). */
export function overlay(bed: Signal, signal: Signal, rate: number, atMs: number): Signal {
  const out = bed.slice();
  const at = samples(rate, atMs);
  for (let i = 0; i < signal.length && at + i < out.length; i++) {
    out[at + i] = (out[at + i] as number) + (signal[i] as number);
  }
  return out;
}

/** PCM16, clipped at full scale. */
export function pcm16(signal: Signal): Int16Array {
  const out = new Int16Array(signal.length);
  for (let i = 0; i < signal.length; i++) {
    out[i] = Math.max(-32768, Math.min(32767, Math.round((signal[i] as number) * 32768)));
  }
  return out;
}
