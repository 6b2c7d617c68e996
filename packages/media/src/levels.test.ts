import { describe, expect, it } from 'vitest';
import { dbfs, peak, rms, rmsDbfs } from './levels.js';

describe('levels', () => {
  it('a full-scale square wave is 0 dBFS', () => {
    const square = Int16Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? -32768 : 32767));
    expect(rms(square)).toBeCloseTo(32767.5, 3);
    expect(rmsDbfs(square)).toBeCloseTo(0, 3);
    expect(dbfs(32768)).toBe(0);
  });

  it('a full-scale sine is about -3.01 dBFS and a half-scale one about -9.03', () => {
    const sine = (a: number): Int16Array =>
      Int16Array.from({ length: 16000 }, (_, i) =>
        Math.round(a * Math.sin((2 * Math.PI * 1000 * i) / 16000)),
      );
    expect(rmsDbfs(sine(32767))).toBeCloseTo(-3.01, 2);
    expect(rmsDbfs(sine(16384))).toBeCloseTo(-9.03, 2);
  });

  it('silence and empty input are -Infinity dBFS with rms and peak 0', () => {
    expect(rmsDbfs(new Int16Array(10))).toBe(Number.NEGATIVE_INFINITY);
    expect(rmsDbfs(new Int16Array(0))).toBe(Number.NEGATIVE_INFINITY);
    expect(rms(new Int16Array(0))).toBe(0);
    expect(peak(new Int16Array(0))).toBe(0);
  });

  it('peak is the largest magnitude, 32768 for -32768', () => {
    expect(peak(Int16Array.from([3, -7, 5]))).toBe(7);
    expect(peak(Int16Array.from([100, -32768]))).toBe(32768);
  });

  it('rms of a known sequence', () => {
    expect(rms(Int16Array.from([3, -4, 3, -4]))).toBeCloseTo(Math.sqrt(12.5), 12);
  });

  it('dbfs rejects negative and non-numeric levels', () => {
    for (const level of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => dbfs(level)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });
});
