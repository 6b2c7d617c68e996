import { describe, expect, it } from 'vitest';
import { sineSnrDb } from '../test/signal.js';
import { peak } from './levels.js';
import { generateTone } from './tone.js';

describe('generateTone', () => {
  it('makes a 440 Hz sine of the requested length and amplitude', () => {
    const { samples } = generateTone({ sampleRate: 16000, frequencyHz: 440, durationMs: 50 });
    expect(samples).toHaveLength(800);
    expect(samples[0]).toBe(0);
    expect(peak(samples)).toBeGreaterThan(16300);
    expect(peak(samples)).toBeLessThanOrEqual(16384);
    expect(sineSnrDb(samples, 16000, 440, 0.5, 0)).toBeGreaterThan(85);
  });

  it('continues the phase across calls: per-character chunks equal one long tone within 1 LSB', () => {
    const whole = generateTone({ sampleRate: 24000, frequencyHz: 440, durationMs: 50 * 7 }).samples;
    let phase = 0;
    const parts: number[] = [];
    for (let c = 0; c < 7; c++) {
      const tone = generateTone({ sampleRate: 24000, frequencyHz: 440, durationMs: 50, phase });
      phase = tone.phase;
      parts.push(...tone.samples);
    }
    expect(parts).toHaveLength(whole.length);
    let worst = 0;
    for (let i = 0; i < whole.length; i++) worst = Math.max(worst, Math.abs(parts[i]! - whole[i]!));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('returns the phase of the next sample, wrapped to [0, 2π)', () => {
    // 1000 Hz at 8 kHz: 8 samples per cycle; 3 samples advance 3π/4.
    const tone = generateTone({
      sampleRate: 8000,
      frequencyHz: 1000,
      durationMs: 0.375,
      phase: 2 * Math.PI - 0.1,
    });
    expect(tone.samples).toHaveLength(3);
    expect(tone.phase).toBeCloseTo((3 * Math.PI) / 4 - 0.1, 12);
  });

  it('writes into a caller buffer', () => {
    const out = new Int16Array(1000);
    const tone = generateTone({
      sampleRate: 8000,
      frequencyHz: 440,
      durationMs: 20,
      amplitude: 1,
      out,
    });
    expect(tone.samples.buffer).toBe(out.buffer);
    expect(tone.samples).toHaveLength(160);
    expect(peak(tone.samples)).toBeGreaterThan(32000);
  });

  it('validates its options', () => {
    const base = { sampleRate: 16000, frequencyHz: 440, durationMs: 10 };
    for (const bad of [
      { frequencyHz: -1 },
      { frequencyHz: 9000 },
      { amplitude: 1.5 },
      { phase: Number.NaN },
      { durationMs: -5 },
      { out: new Int16Array(10) },
    ]) {
      expect(() => generateTone({ ...base, ...bad })).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED' }),
      );
    }
    expect(() => generateTone({ ...base, sampleRate: 11025 })).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_AUDIO_FORMAT' }),
    );
  });
});
