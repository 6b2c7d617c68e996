import { VoiceError } from '@prx-voice/types';

/** A sample rate the media layer supports, in Hz. */
export type SampleRate = 8000 | 16000 | 22050 | 24000 | 44100 | 48000;

/** Every supported sample rate, ascending. */
export const SAMPLE_RATES: readonly SampleRate[] = Object.freeze([
  8000, 16000, 22050, 24000, 44100, 48000,
]);

/** Whether a value is one of {@link SAMPLE_RATES}. */
export function isSampleRate(value: unknown): value is SampleRate {
  return typeof value === 'number' && (SAMPLE_RATES as readonly number[]).includes(value);
}

/**
 * Returns the value as a {@link SampleRate}, or throws `UNSUPPORTED_AUDIO_FORMAT`
 * naming the rate and the supported list.
 */
export function assertSampleRate(value: number): SampleRate {
  if (isSampleRate(value)) return value;
  throw new VoiceError('UNSUPPORTED_AUDIO_FORMAT', {
    message: `Sample rate ${String(value)} Hz is not supported; expected one of ${SAMPLE_RATES.join(', ')} Hz.`,
    details: { sampleRate: value, supported: SAMPLE_RATES },
  });
}

/**
 * Number of samples in `ms` milliseconds at `rate`, rounded to the nearest
 * integer (20 ms at 16 kHz → 320; 10 ms at 22.05 kHz → 221).
 */
export function samplesForMs(rate: SampleRate, ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Duration ${String(ms)} ms is invalid; expected a finite number of milliseconds >= 0.`,
      details: { ms },
    });
  }
  return Math.round((rate * ms) / 1000);
}

/** Duration in milliseconds of `samples` samples at `rate` (not rounded). */
export function durationMsOf(samples: number, rate: SampleRate): number {
  if (!Number.isFinite(samples) || samples < 0) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Sample count ${String(samples)} is invalid; expected a finite number >= 0.`,
      details: { samples },
    });
  }
  return (samples * 1000) / rate;
}
