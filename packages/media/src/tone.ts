/**
 * Sine tone generation (the mock TTS speaks 440 Hz, 50 ms per character), with
 * phase carried between calls so consecutive tones join without a click.
 */
import { VoiceError } from '@prx-voice/types';
import { assertSampleRate, samplesForMs } from './sample-rate.js';

/** Options of {@link generateTone}. */
export interface ToneOptions {
  /** Sample rate, Hz (one of the supported rates). */
  readonly sampleRate: number;
  /** Frequency, Hz; 0 … sampleRate / 2. */
  readonly frequencyHz: number;
  /** Duration, ms; the sample count is rounded to the nearest integer. */
  readonly durationMs: number;
  /** Peak amplitude as a fraction of full scale (0 … 1); default 0.5 (−6 dBFS). */
  readonly amplitude?: number;
  /** Starting phase in radians; pass the previous call's `phase` to continue a tone. */
  readonly phase?: number;
  /** Buffer to write into (at least the tone's length); the result is then a view of it. */
  readonly out?: Int16Array;
}

/** A generated tone and the phase at which the next one should start. */
export interface Tone {
  /** PCM16 samples of the tone. */
  readonly samples: Int16Array;
  /** Phase in radians (0 … 2π) of the sample after the last one. */
  readonly phase: number;
}

const TWO_PI = 2 * Math.PI;

function invalid(message: string, details: Record<string, unknown>): VoiceError {
  return new VoiceError('VALIDATION_FAILED', { message, details });
}

/**
 * Generates a sine tone of PCM16 samples, continuing from `phase`. Splitting a
 * tone into several calls that pass `phase` along gives the same samples as one
 * call, to within one least-significant bit.
 */
export function generateTone(options: ToneOptions): Tone {
  const sampleRate = assertSampleRate(options.sampleRate);
  const { frequencyHz, durationMs } = options;
  const amplitude = options.amplitude ?? 0.5;
  const phase = options.phase ?? 0;
  if (!(frequencyHz >= 0 && frequencyHz <= sampleRate / 2)) {
    throw invalid(
      `Tone frequency ${String(frequencyHz)} Hz is invalid; expected 0 … ${sampleRate / 2} Hz.`,
      { frequencyHz },
    );
  }
  if (!(amplitude >= 0 && amplitude <= 1)) {
    throw invalid(
      `Tone amplitude ${String(amplitude)} is invalid; expected a fraction of full scale, 0 … 1.`,
      { amplitude },
    );
  }
  if (!Number.isFinite(phase)) {
    throw invalid(`Tone phase ${String(phase)} is invalid; expected a finite number of radians.`, {
      phase,
    });
  }
  const length = samplesForMs(sampleRate, durationMs);
  const out = options.out;
  if (out !== undefined && out.length < length) {
    throw invalid(
      `Output buffer holds ${out.length} samples but the tone needs ${length}; pass a longer one.`,
      {
        outLength: out.length,
        needed: length,
      },
    );
  }
  const samples =
    out === undefined
      ? new Int16Array(length)
      : out.length === length
        ? out
        : out.subarray(0, length);
  const step = (TWO_PI * frequencyHz) / sampleRate;
  const scale = amplitude * 32767;
  for (let i = 0; i < length; i++) samples[i] = Math.round(scale * Math.sin(phase + step * i));
  const next = (phase + step * length) % TWO_PI;
  return { samples, phase: next < 0 ? next + TWO_PI : next };
}
