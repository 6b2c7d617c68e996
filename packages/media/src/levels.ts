/**
 * Signal levels of PCM16 audio. Full scale is 32768: a full-scale square wave
 * is 0 dBFS, a full-scale sine about −3.01 dBFS, and silence −Infinity dBFS.
 */
import { VoiceError } from '@prx-voice/types';

/** Full-scale amplitude of PCM16, the 0 dBFS reference. */
const FULL_SCALE = 32768;

/** Root-mean-square of the samples, in sample units (0 … 32768); 0 for no samples. */
export function rms(samples: Int16Array): number {
  const n = samples.length;
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const s = samples[i] as number;
    sum += s * s;
  }
  return Math.sqrt(sum / n);
}

/** Largest absolute sample value (0 … 32768); 0 for no samples. */
export function peak(samples: Int16Array): number {
  let max = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as number;
    const a = s < 0 ? -s : s;
    if (a > max) max = a;
  }
  return max;
}

/**
 * Converts a level in sample units to dBFS: 20·log10(level / 32768), so 32768 is
 * 0 dBFS and 0 (silence) is −Infinity. Throws `VALIDATION_FAILED` for a negative or
 * non-numeric level.
 */
export function dbfs(level: number): number {
  if (!(level >= 0) || level === Number.POSITIVE_INFINITY) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Level ${String(level)} is invalid; expected a finite number >= 0 in sample units.`,
      details: { level },
    });
  }
  return 20 * Math.log10(level / FULL_SCALE);
}

/** RMS level of the samples in dBFS (−Infinity for silence or no samples). */
export function rmsDbfs(samples: Int16Array): number {
  return dbfs(rms(samples));
}
