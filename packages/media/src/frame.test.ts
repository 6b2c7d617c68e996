import { describe, expect, it } from 'vitest';
import { createAudioFrame, pcm16Bytes, pcm16View } from './frame.js';

describe('PCM16 views', () => {
  it('views aligned bytes without copying, little-endian', () => {
    const bytes = Uint8Array.from([0x01, 0x00, 0xff, 0xff, 0x00, 0x80, 0xff, 0x7f]);
    const samples = pcm16View(bytes);
    expect(Array.from(samples)).toEqual([1, -1, -32768, 32767]);
    expect(samples.buffer).toBe(bytes.buffer);
    bytes[0] = 2;
    expect(samples[0]).toBe(2);
  });

  it('copies when the byte offset is odd', () => {
    const backing = new Uint8Array(9);
    backing.set([0x34, 0x12, 0xcd, 0xab], 1);
    const samples = pcm16View(backing.subarray(1, 5));
    expect(Array.from(samples)).toEqual([0x1234, 0xabcd - 0x10000]);
    expect(samples.buffer).not.toBe(backing.buffer);
  });

  it('rejects an odd byte length with INVALID_AUDIO', () => {
    expect(() => pcm16View(new Uint8Array(3))).toThrow(
      expect.objectContaining({ code: 'INVALID_AUDIO' }),
    );
  });

  it('pcm16Bytes is a Buffer view of the samples', () => {
    const samples = Int16Array.from([1, -2, 300]);
    const bytes = pcm16Bytes(samples.subarray(1));
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(Array.from(bytes)).toEqual([0xfe, 0xff, 0x2c, 0x01]);
    samples[2] = 0;
    expect(bytes.readInt16LE(2)).toBe(0);
    expect(Array.from(pcm16View(bytes))).toEqual([-2, 0]);
  });
});

describe('createAudioFrame', () => {
  it('builds a frame and checks rate and timestamp', () => {
    const samples = new Int16Array(320);
    expect(createAudioFrame({ samples, sampleRate: 16000, timestampMs: 40 })).toEqual({
      samples,
      sampleRate: 16000,
      timestampMs: 40,
    });
    expect(createAudioFrame({ samples, sampleRate: 8000 }).timestampMs).toBe(0);
    expect(() => createAudioFrame({ samples, sampleRate: 11025 })).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_AUDIO_FORMAT' }),
    );
    expect(() => createAudioFrame({ samples, sampleRate: 8000, timestampMs: -1 })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });
});
