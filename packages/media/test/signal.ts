/**
 * Signal helpers shared by the tests and the bench: reference sines and
 * measurements of a resampler's output against the analytic signal.
 */

/** A sine quantised to PCM16: amplitude is a fraction of full scale (32767). */
export function pcmSine(
  rate: number,
  frequencyHz: number,
  length: number,
  amplitude = 0.5,
): Int16Array {
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++)
    out[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * frequencyHz * i) / rate));
  return out;
}

/**
 * SNR in dB of `samples` against the exact sine A·sin(2π f j / rate), skipping
 * `skip` samples at each end (the filter's start-up and tail).
 */
export function sineSnrDb(
  samples: Int16Array,
  rate: number,
  frequencyHz: number,
  amplitude: number,
  skip: number,
): number {
  let signal = 0;
  let noise = 0;
  for (let j = skip; j < samples.length - skip; j++) {
    const reference = amplitude * 32767 * Math.sin((2 * Math.PI * frequencyHz * j) / rate);
    const error = (samples[j] as number) - reference;
    signal += reference * reference;
    noise += error * error;
  }
  return 10 * Math.log10(signal / noise);
}

/** Mean power of `samples[skip … length - skip)` in dB relative to a full-scale (32767) sine's power. */
export function powerDbFs(samples: Int16Array, skip: number): number {
  let sum = 0;
  const end = samples.length - skip;
  for (let j = skip; j < end; j++) sum += (samples[j] as number) ** 2;
  const mean = sum / Math.max(1, end - skip);
  return 10 * Math.log10(mean / (32767 * 32767 * 0.5));
}

/** Concatenates PCM16 chunks, copying each (they may be views of one reused buffer). */
export function concat(chunks: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** A small deterministic PRNG (mulberry32) giving floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
