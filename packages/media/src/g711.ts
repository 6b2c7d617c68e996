/**
 * G.711 µ-law and A-law companding (ITU-T G.711), table-driven.
 *
 * 16-bit input is reduced to G.711's linear domain the way ITU-T G.191's
 * reference code does: the top 14 bits for µ-law and the top 12 magnitude bits
 * for A-law, truncating, with negative samples taken by one's complement (so
 * -1…-4 encode as µ-law's "negative zero" 0x7F). Decoding yields the
 * interval midpoints of G.711's tables, left-justified to 16 bits.
 */
import { VoiceError } from '@prx-voice/types';

/** µ-law code for every 14-bit two's-complement input (index = sample >> 2 & 0x3fff). */
const MULAW_ENCODE = new Uint8Array(1 << 14);
/** A-law code for every 12-bit two's-complement input (index = sample >> 4 & 0xfff). */
const ALAW_ENCODE = new Uint8Array(1 << 12);
/** 16-bit value of every µ-law code. */
const MULAW_DECODE = new Int16Array(256);
/** 16-bit value of every A-law code. */
const ALAW_DECODE = new Int16Array(256);

/** Index of the highest set bit of a positive integer. */
function log2Floor(value: number): number {
  return 31 - Math.clz32(value);
}

function buildTables(): void {
  // µ-law: magnitude m (0…8191) plus the bias 33 falls in segment s when
  // 2^(s+5) <= m + 33 < 2^(s+6); the step within segment s is 2^(s+1).
  for (let index = 0; index < 1 << 14; index++) {
    const value = (index << 18) >> 18; // sign-extend 14 bits
    const negative = value < 0;
    const magnitude = negative ? ~value : value;
    const biased = Math.min(magnitude + 33, 0x1fff);
    const segment = log2Floor(biased) - 5;
    const mantissa = (biased >> (segment + 1)) & 0x0f;
    const code = ~((segment << 4) | mantissa) & 0x7f;
    MULAW_ENCODE[index] = negative ? code : code | 0x80;
  }
  // A-law: 11-bit magnitude m; segment 0 holds 0…15 with step 1, segment s >= 1
  // holds 2^(s+3)…2^(s+4)-1 with step 2^(s-1). Even bits are inverted on the line.
  for (let index = 0; index < 1 << 12; index++) {
    const value = (index << 20) >> 20; // sign-extend 12 bits
    const negative = value < 0;
    const magnitude = negative ? ~value : value;
    const segment = magnitude < 16 ? 0 : log2Floor(magnitude) - 3;
    const mantissa = segment === 0 ? magnitude : (magnitude >> (segment - 1)) & 0x0f;
    const code = (segment << 4) | mantissa | (negative ? 0 : 0x80);
    ALAW_ENCODE[index] = code ^ 0x55;
  }
  for (let code = 0; code < 256; code++) {
    const inverted = ~code & 0xff;
    const segment = (inverted >> 4) & 0x07;
    const mantissa = inverted & 0x0f;
    const magnitude = ((((mantissa << 1) + 33) << segment) - 33) << 2;
    MULAW_DECODE[code] = code & 0x80 ? magnitude : -magnitude;

    const toggled = code ^ 0x55;
    const aSegment = (toggled >> 4) & 0x07;
    const aMantissa = toggled & 0x0f;
    const aMagnitude =
      aSegment === 0 ? (aMantissa << 4) + 8 : (((aMantissa + 16) << 4) + 8) << (aSegment - 1);
    ALAW_DECODE[code] = code & 0x80 ? aMagnitude : -aMagnitude;
  }
}
buildTables();

/** Encodes one 16-bit sample to a µ-law code (G.711, G.191 reduction). */
export function encodeMulawSample(sample: number): number {
  return MULAW_ENCODE[(sample >> 2) & 0x3fff] as number;
}

/** Decodes one µ-law code (0…255) to a 16-bit sample. */
export function decodeMulawSample(code: number): number {
  return MULAW_DECODE[code & 0xff] as number;
}

/** Encodes one 16-bit sample to an A-law code (G.711, G.191 reduction). */
export function encodeAlawSample(sample: number): number {
  return ALAW_ENCODE[(sample >> 4) & 0x0fff] as number;
}

/** Decodes one A-law code (0…255) to a 16-bit sample. */
export function decodeAlawSample(code: number): number {
  return ALAW_DECODE[code & 0xff] as number;
}

/** Throws `VALIDATION_FAILED` when a caller's output buffer is too short. */
function checkOut(out: { length: number }, needed: number, what: string): void {
  if (out.length < needed) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Output buffer holds ${out.length} ${what} but ${needed} are needed; pass one at least as long as the input.`,
      details: { outLength: out.length, needed },
    });
  }
}

/** `out` itself when it has exactly `n` elements, else a view of its first `n`. */
function fit<T extends Uint8Array | Int16Array>(out: T, n: number): T {
  return (out.length === n ? out : out.subarray(0, n)) as T;
}

/**
 * Encodes PCM16 samples to µ-law, one byte per sample. Writes into `out` when
 * given (no allocation) and returns `out` or a view of its first `samples.length` bytes.
 */
export function encodeMulaw(samples: Int16Array, out?: Uint8Array): Uint8Array {
  const n = samples.length;
  const target = out ?? new Uint8Array(n);
  checkOut(target, n, 'bytes');
  const table = MULAW_ENCODE;
  for (let i = 0; i < n; i++) target[i] = table[((samples[i] as number) >> 2) & 0x3fff] as number;
  return fit(target, n);
}

/**
 * Decodes µ-law bytes to PCM16 samples. Writes into `out` when given (no
 * allocation) and returns `out` or a view of its first `bytes.length` samples.
 */
export function decodeMulaw(bytes: Uint8Array, out?: Int16Array): Int16Array {
  const n = bytes.length;
  const target = out ?? new Int16Array(n);
  checkOut(target, n, 'samples');
  const table = MULAW_DECODE;
  for (let i = 0; i < n; i++) target[i] = table[bytes[i] as number] as number;
  return fit(target, n);
}

/**
 * Encodes PCM16 samples to A-law, one byte per sample. Writes into `out` when
 * given (no allocation) and returns `out` or a view of its first `samples.length` bytes.
 */
export function encodeAlaw(samples: Int16Array, out?: Uint8Array): Uint8Array {
  const n = samples.length;
  const target = out ?? new Uint8Array(n);
  checkOut(target, n, 'bytes');
  const table = ALAW_ENCODE;
  for (let i = 0; i < n; i++) target[i] = table[((samples[i] as number) >> 4) & 0x0fff] as number;
  return fit(target, n);
}

/**
 * Decodes A-law bytes to PCM16 samples. Writes into `out` when given (no
 * allocation) and returns `out` or a view of its first `bytes.length` samples.
 */
export function decodeAlaw(bytes: Uint8Array, out?: Int16Array): Int16Array {
  const n = bytes.length;
  const target = out ?? new Int16Array(n);
  checkOut(target, n, 'samples');
  const table = ALAW_DECODE;
  for (let i = 0; i < n; i++) target[i] = table[bytes[i] as number] as number;
  return fit(target, n);
}
