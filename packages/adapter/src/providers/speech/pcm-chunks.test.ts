import { describe, expect, it } from 'vitest';
import { Pcm16Reassembler, PcmDecoder } from './pcm-chunks.js';
import { pcmBytes, rampSamples } from './testing/http-exchange-server.js';

/** Feeds `bytes` in chunks of the given sizes, collecting the samples. */
function feed(
  push: (chunk: Uint8Array) => Int16Array,
  bytes: Uint8Array,
  sizes: number[],
): number[] {
  const out: number[] = [];
  let at = 0;
  for (const size of sizes) {
    out.push(...push(bytes.subarray(at, at + size)));
    at += size;
  }
  return out;
}

describe('Pcm16Reassembler', () => {
  it('yields exactly the samples whatever the chunking, carrying odd bytes', () => {
    const samples = rampSamples(9);
    const bytes = pcmBytes(samples);
    for (const sizes of [
      [18],
      [1, 17],
      [3, 3, 3, 3, 3, 3],
      [1, 1, 1, 1, 14],
      [5, 0, 7, 6],
      [17, 1],
    ]) {
      const reassembler = new Pcm16Reassembler();
      expect(feed((c) => reassembler.push(c), bytes, sizes)).toEqual([...samples]);
      expect(reassembler.pending).toBe(false);
    }
  });

  it('holds back a trailing odd byte', () => {
    const reassembler = new Pcm16Reassembler();
    expect([...reassembler.push(Uint8Array.of(0x01, 0x02, 0x03))]).toEqual([0x0201]);
    expect(reassembler.pending).toBe(true);
    expect([...reassembler.push(Uint8Array.of(0x80))]).toEqual([-0x7ffd]);
  });

  it('reads chunks at odd offsets in memory', () => {
    const backing = new Uint8Array(5);
    backing.set([0, 0x34, 0x12, 0x78, 0x56]);
    expect([...new Pcm16Reassembler().push(backing.subarray(1))]).toEqual([0x1234, 0x5678]);
  });
});

describe('PcmDecoder', () => {
  it('passes equal rates through and resamples to ceil(n × to / from) in total', () => {
    const bytes = pcmBytes(rampSamples(2400));
    const same = new PcmDecoder(24000, 24000);
    expect(feed((c) => same.push(c), bytes, [777, 777, 777, 777, 1692])).toEqual([
      ...rampSamples(2400),
    ]);
    const down = new PcmDecoder(24000, 16000);
    const got =
      feed((c) => down.push(c), bytes, [777, 777, 777, 777, 1692]).length + down.flush().length;
    expect(got).toBe(1600);
  });

  it('returns arrays the caller may keep', () => {
    const decoder = new PcmDecoder(24000, 16000);
    const first = decoder.push(pcmBytes(rampSamples(960)));
    const copy = [...first];
    decoder.push(pcmBytes(rampSamples(960)));
    expect([...first]).toEqual(copy);
  });
});
