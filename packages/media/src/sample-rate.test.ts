import { describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import {
  assertSampleRate,
  durationMsOf,
  isSampleRate,
  SAMPLE_RATES,
  samplesForMs,
} from './sample-rate.js';

describe('sample rates', () => {
  it('lists the six supported rates', () => {
    expect(SAMPLE_RATES).toEqual([8000, 16000, 22050, 24000, 44100, 48000]);
    expect(Object.isFrozen(SAMPLE_RATES)).toBe(true);
  });

  it('isSampleRate accepts exactly those', () => {
    for (const rate of SAMPLE_RATES) expect(isSampleRate(rate)).toBe(true);
    for (const value of [0, 11025, 16000.5, '16000', null, undefined, 96000])
      expect(isSampleRate(value)).toBe(false);
  });

  it('assertSampleRate names the rate and the supported list', () => {
    expect(assertSampleRate(22050)).toBe(22050);
    try {
      assertSampleRate(11025);
      expect.unreachable();
    } catch (error) {
      expect(VoiceError.is(error)).toBe(true);
      const e = error as VoiceError;
      expect(e.code).toBe('UNSUPPORTED_AUDIO_FORMAT');
      expect(e.message).toContain('11025');
      expect(e.message).toContain('8000, 16000, 22050, 24000, 44100, 48000');
    }
  });

  it('converts between milliseconds and samples', () => {
    expect(samplesForMs(16000, 20)).toBe(320);
    expect(samplesForMs(44100, 20)).toBe(882);
    expect(samplesForMs(22050, 10)).toBe(221);
    expect(samplesForMs(8000, 0)).toBe(0);
    expect(durationMsOf(320, 16000)).toBe(20);
    expect(durationMsOf(441, 22050)).toBe(20);
    expect(() => samplesForMs(8000, -1)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
    expect(() => durationMsOf(Number.NaN, 8000)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });
});
