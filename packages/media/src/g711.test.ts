import { describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import { inCi, soxAvailable, soxConvert } from '../test/sox.js';
import {
  decodeAlaw,
  decodeAlawSample,
  decodeMulaw,
  decodeMulawSample,
  encodeAlaw,
  encodeAlawSample,
  encodeMulaw,
  encodeMulawSample,
} from './g711.js';

/** Every 16-bit value, -32768 … 32767. */
function allSamples(): Int16Array {
  const all = new Int16Array(65536);
  for (let i = 0; i < all.length; i++) all[i] = i - 32768;
  return all;
}

const SOX_PCM16 = ['-t', 'raw', '-r', '8000', '-e', 'signed', '-b', '16', '-c', '1'];
const haveSox = soxAvailable();

/** Skips the test without sox, except in CI where sox must be installed. */
function requireSox(skip: (note: string) => never): void {
  if (haveSox) return;
  if (inCi())
    throw new Error('sox is required in CI (apt-get install -y sox) but was not found on PATH.');
  skip('sox is not installed; install it (apt-get install -y sox) to run the G.711 oracle test.');
}

/**
 * sox 14.4 reduces 16-bit PCM to G.711's linear domain by rounding to nearest
 * ((x + 2) >> 2 for µ-law, (x + 4) >> 3 for A-law, clipped), where G.191 truncates
 * with a one's complement for negatives. These return a 16-bit input that, under
 * G.191's reduction, lands on the same sign and magnitude as sox's reduction of x —
 * so comparing sox(x) with ours(mapped(x)) checks the G.711 companding itself.
 */
function soxReducedMulaw(x: number): number {
  const v = Math.max(-8192, Math.min(8191, (x + 2) >> 2));
  return v >= 0 ? 4 * v : Math.max(-32768, ~(4 * -v));
}
function soxReducedAlaw(x: number): number {
  const v = Math.max(-4096, Math.min(4095, (x + 4) >> 3));
  // Sun's A-law (used by sox) takes a one's complement in the 13-bit domain.
  return v >= 0 ? 8 * v : ~(8 * (-v - 1));
}

describe('G.711 against sox (all 65 536 inputs)', () => {
  for (const law of ['u-law', 'a-law'] as const) {
    const encode = law === 'u-law' ? encodeMulawSample : encodeAlawSample;
    const reduce = law === 'u-law' ? soxReducedMulaw : soxReducedAlaw;

    it(`${law}: encoding matches sox's G.711 on every input, given sox's rounding reduction`, ({
      skip,
    }) => {
      requireSox(skip);
      const all = allSamples();
      const sox = soxConvert(new Uint8Array(all.buffer), SOX_PCM16, ['-t', 'raw', '-e', law]);
      expect(sox.length).toBe(65536);
      const mismatches: string[] = [];
      let differFromSoxDirectly = 0;
      for (let i = 0; i < 65536; i++) {
        const x = i - 32768;
        const expected = sox[i] as number;
        if (encode(reduce(x)) !== expected)
          mismatches.push(`${x}: sox ${expected} ours ${encode(reduce(x))}`);
        if (encode(x) !== expected) differFromSoxDirectly++;
      }
      expect(mismatches.slice(0, 10)).toEqual([]);
      // The reductions differ only near decision thresholds: a few hundred inputs.
      expect(differFromSoxDirectly).toBeGreaterThan(0);
      expect(differFromSoxDirectly).toBeLessThan(1100);
    });

    it(`${law}: decoding matches sox for all 256 codes`, ({ skip }) => {
      requireSox(skip);
      const codes = new Uint8Array(256);
      for (let c = 0; c < 256; c++) codes[c] = c;
      const out = soxConvert(
        codes,
        ['-t', 'raw', '-r', '8000', '-e', law, '-c', '1'],
        ['-t', 'raw', '-e', 'signed', '-b', '16'],
      );
      const soxDecoded = new Int16Array(out.buffer, out.byteOffset, out.length / 2);
      const ours = law === 'u-law' ? decodeMulaw(codes) : decodeAlaw(codes);
      expect(Array.from(ours)).toEqual(Array.from(soxDecoded));
    });
  }

  it('agrees with sox exactly wherever both reductions give the same sign and magnitude', ({
    skip,
  }) => {
    requireSox(skip);
    const all = allSamples();
    const sox = soxConvert(new Uint8Array(all.buffer), SOX_PCM16, ['-t', 'raw', '-e', 'u-law']);
    let compared = 0;
    for (let i = 0; i < 65536; i++) {
      const x = i - 32768;
      if (soxReducedMulaw(x) === x) {
        compared++;
        expect(encodeMulawSample(x)).toBe(sox[i]);
      }
    }
    expect(compared).toBeGreaterThan(16000);
  });
});

describe('G.711 round trip of codes', () => {
  it('µ-law: every code decodes and re-encodes to itself, except negative zero 0x7F → 0xFF', () => {
    for (let code = 0; code < 256; code++) {
      const again = encodeMulawSample(decodeMulawSample(code));
      expect(again).toBe(code === 0x7f ? 0xff : code);
    }
  });

  it('A-law: every code decodes and re-encodes to itself', () => {
    for (let code = 0; code < 256; code++) {
      expect(encodeAlawSample(decodeAlawSample(code))).toBe(code);
    }
  });

  it('decoding is odd-symmetric and strictly monotonic within each sign', () => {
    for (const decode of [decodeMulawSample, decodeAlawSample]) {
      const positive = Array.from({ length: 128 }, (_, i) => decode(0x80 | i));
      const negative = Array.from({ length: 128 }, (_, i) => decode(i));
      expect(negative.map((v) => 0 - v)).toEqual(positive);
      const sorted = [...new Set(positive)].sort((a, b) => a - b);
      expect(sorted.length).toBe(128);
    }
  });
});

describe('G.711 known values (ITU-T G.711 tables, G.191 reduction)', () => {
  it('µ-law zero, tiny negatives, extremes', () => {
    expect(encodeMulawSample(0)).toBe(0xff);
    expect(encodeMulawSample(3)).toBe(0xff);
    expect(encodeMulawSample(-1)).toBe(0x7f);
    expect(encodeMulawSample(-4)).toBe(0x7f);
    expect(encodeMulawSample(-5)).toBe(0x7e);
    expect(encodeMulawSample(32767)).toBe(0x80);
    expect(encodeMulawSample(-32768)).toBe(0x00);
    expect(decodeMulawSample(0xff)).toBe(0);
    expect(decodeMulawSample(0x7f)).toBe(0);
    expect(decodeMulawSample(0x80)).toBe(32124);
    expect(decodeMulawSample(0x00)).toBe(-32124);
  });

  it('µ-law segment ends at 14-bit decision values 31, 95, 223, 479, 991, 2015, 4063 and saturates at 8159', () => {
    const ends = [31, 95, 223, 479, 991, 2015, 4063];
    ends.forEach((end, segment) => {
      // Last code of the segment (mantissa 15) just below, first of the next just at the end.
      expect(encodeMulawSample(4 * end - 1)).toBe(0xff - (segment * 16 + 15));
      expect(encodeMulawSample(4 * end)).toBe(0xff - (segment + 1) * 16);
    });
    expect(encodeMulawSample(4 * 8158)).toBe(0x80);
    expect(encodeMulawSample(4 * 7902)).toBe(0x81);
    // Decoder outputs of segment 1 (14-bit): 33, 37, … 93.
    expect(decodeMulawSample(0xef) / 4).toBe(33);
    expect(decodeMulawSample(0xe0) / 4).toBe(93);
  });

  it('A-law zero, tiny negatives, extremes', () => {
    expect(encodeAlawSample(0)).toBe(0xd5);
    expect(encodeAlawSample(15)).toBe(0xd5);
    expect(encodeAlawSample(-1)).toBe(0x55);
    expect(encodeAlawSample(-16)).toBe(0x55);
    expect(encodeAlawSample(-17)).toBe(0x54);
    expect(encodeAlawSample(32767)).toBe(0xaa);
    expect(encodeAlawSample(-32768)).toBe(0x2a);
    expect(decodeAlawSample(0xd5)).toBe(8);
    expect(decodeAlawSample(0x55)).toBe(-8);
    expect(decodeAlawSample(0xaa)).toBe(32256);
    expect(decodeAlawSample(0x2a)).toBe(-32256);
  });

  it('A-law segments start at 12-bit magnitudes 32, 64, … 2048 (×8 in 16-bit)', () => {
    for (let segment = 1; segment <= 7; segment++) {
      const start = 8 * (16 << segment); // 256, 512, … 16384
      expect(encodeAlawSample(start) ^ 0x55).toBe(0x80 | (segment << 4));
      expect(encodeAlawSample(start - 1) ^ 0x55).toBe(0x80 | ((segment - 1) << 4) | 0x0f);
    }
    // Decoder output of code 0x80|0x10 (segment 1, mantissa 0) is 33 in 13-bit units (×8).
    expect(decodeAlawSample(0x90 ^ 0x55)).toBe(33 * 8);
  });
});

describe('G.711 buffer functions', () => {
  const input = Int16Array.from([0, -1, 1000, -1000, 32767, -32768, 12345]);

  it('buffer and single-sample forms agree', () => {
    expect(Array.from(encodeMulaw(input))).toEqual(Array.from(input, encodeMulawSample));
    expect(Array.from(encodeAlaw(input))).toEqual(Array.from(input, encodeAlawSample));
    const codes = Uint8Array.from([0, 0x7f, 0x80, 0xff, 0x55, 0xd5, 0x2a]);
    expect(Array.from(decodeMulaw(codes))).toEqual(Array.from(codes, decodeMulawSample));
    expect(Array.from(decodeAlaw(codes))).toEqual(Array.from(codes, decodeAlawSample));
  });

  it('writes into a caller buffer without allocating a new one', () => {
    const out = new Uint8Array(16);
    const encoded = encodeMulaw(input, out);
    expect(encoded.buffer).toBe(out.buffer);
    expect(encoded.length).toBe(input.length);
    const exact = new Int16Array(input.length);
    expect(decodeAlaw(encodeAlaw(input), exact)).toBe(exact);
  });

  it('rejects an output buffer that is too short', () => {
    expect(() => encodeMulaw(input, new Uint8Array(3))).toThrow(VoiceError);
    try {
      decodeMulaw(new Uint8Array(10), new Int16Array(2));
      expect.unreachable();
    } catch (error) {
      expect(VoiceError.is(error) && error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('round-trips a loud sine within the G.711 step size', () => {
    const n = 800;
    const sine = new Int16Array(n);
    for (let i = 0; i < n; i++)
      sine[i] = Math.round(20000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
    for (const [encode, decode] of [
      [encodeMulaw, decodeMulaw],
      [encodeAlaw, decodeAlaw],
    ] as const) {
      const back = decode(encode(sine));
      for (let i = 0; i < n; i++) {
        const x = sine[i] as number;
        // Half a step of the segment: at most 1/32 of |x| plus a small floor.
        expect(Math.abs((back[i] as number) - x)).toBeLessThanOrEqual(Math.abs(x) / 16 + 16);
      }
    }
  });
});
