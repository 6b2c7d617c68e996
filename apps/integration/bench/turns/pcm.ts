/**
 * Plain PCM16 arithmetic of the turn-taking bench: levels, where the speech of
 * a clean clip lies, and mixing onto a noise bed.
 */

/** Full-scale amplitude of PCM16. */
const FULL_SCALE = 32768;

/** A span of a clip, ms from its first sample. */
export interface Span {
  readonly startMs: number;
  readonly endMs: number;
}

/** RMS (0–1 of full scale) of `samples[from, to)`; 0 for an empty range. */
export function rmsOf(samples: Int16Array, from = 0, to = samples.length): number {
  const end = Math.min(to, samples.length);
  if (end <= from) return 0;
  let sum = 0;
  for (let i = from; i < end; i++) {
    const v = (samples[i] ?? 0) / FULL_SCALE;
    sum += v * v;
  }
  return Math.sqrt(sum / (end - from));
}

/** Level in dBFS of an RMS or peak value (0–1 of full scale); −Infinity for 0. */
export function dbfs(value: number): number {
  return 20 * Math.log10(value);
}

/** RMS of each `windowMs` window of a clip at `rate`. */
export function windowRms(samples: Int16Array, rate: number, windowMs = 10): number[] {
  const size = Math.round((rate * windowMs) / 1000);
  const out: number[] = [];
  for (let i = 0; i < samples.length; i += size) out.push(rmsOf(samples, i, i + size));
  return out;
}

/**
 * Where the sound of a clean clip lies: the first and last 10 ms window whose RMS
 * is within `belowPeakDb` of the loudest window's. Undefined for a silent clip.
 */
export function activeSpan(samples: Int16Array, rate: number, belowPeakDb = 35): Span | undefined {
  const windows = windowRms(samples, rate, 10);
  const peak = Math.max(0, ...windows);
  if (peak === 0) return undefined;
  const threshold = peak * 10 ** (-belowPeakDb / 20);
  const first = windows.findIndex((w) => w >= threshold);
  const last = windows.findLastIndex((w) => w >= threshold);
  return { startMs: first * 10, endMs: Math.min((last + 1) * 10, msOf(samples.length, rate)) };
}

/** RMS over the active 10 ms windows of a clip (those within 35 dB of the loudest). */
export function activeRms(samples: Int16Array, rate: number): number {
  const windows = windowRms(samples, rate, 10);
  const threshold = Math.max(0, ...windows) * 10 ** (-35 / 20);
  const active = windows.filter((w) => w > 0 && w >= threshold);
  if (active.length === 0) return 0;
  return Math.sqrt(active.reduce((sum, w) => sum + w * w, 0) / active.length);
}

/** Duration of `samples` samples at `rate`, ms. */
export function msOf(samples: number, rate: number): number {
  return (samples * 1000) / rate;
}

/** Samples of `ms` at `rate`, rounded. */
export function samplesOf(ms: number, rate: number): number {
  return Math.round((ms * rate) / 1000);
}

/** `a`, then `gapSamples` of digital silence, then `b`. */
export function concatWithGap(a: Int16Array, gapSamples: number, b: Int16Array): Int16Array {
  const out = new Int16Array(a.length + gapSamples + b.length);
  out.set(a, 0);
  out.set(b, a.length + gapSamples);
  return out;
}

/** `a + gain × b` sample by sample, clipped to PCM16 (the length of `a`). */
export function mixInto(a: Int16Array, b: Int16Array, gain: number): Int16Array {
  const out = new Int16Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = (a[i] ?? 0) + gain * (b[i] ?? 0);
    out[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
  }
  return out;
}
