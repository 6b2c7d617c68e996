import { describe, expect, it } from 'vitest';
import { createOggOpusMuxer, oggCrc } from './ogg-opus.js';

/** The pages of an Ogg stream: header fields and packets (reassembled from the lacing). */
function pages(bytes: Uint8Array) {
  const out: { flags: number; granule: bigint; sequence: number; packets: Uint8Array[] }[] = [];
  let at = 0;
  while (at < bytes.length) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + at);
    expect(new TextDecoder().decode(bytes.subarray(at, at + 4))).toBe('OggS');
    const segments = bytes[at + 26] as number;
    const lacing = bytes.subarray(at + 27, at + 27 + segments);
    const size = 27 + segments + lacing.reduce((n, l) => n + l, 0);
    const copy = bytes.slice(at, at + size);
    copy.fill(0, 22, 26);
    expect(oggCrc(copy)).toBe(view.getUint32(22, true));
    const packets: Uint8Array[] = [];
    let body = at + 27 + segments;
    let current: number[] = [];
    for (const l of lacing) {
      current.push(...bytes.subarray(body, body + l));
      body += l;
      if (l < 255) {
        packets.push(Uint8Array.from(current));
        current = [];
      }
    }
    out.push({
      flags: bytes[at + 5] as number,
      granule: view.getBigInt64(6, true),
      sequence: view.getUint32(18, true),
      packets,
    });
    at += size;
  }
  return out;
}

describe('oggCrc', () => {
  it('is the Ogg CRC-32 (polynomial 0x04c11db7, unreflected, initial 0)', () => {
    expect(oggCrc(new Uint8Array())).toBe(0);
    // CRC-32/MPEG-2 differs only by its initial value and final xor; this check value is
    // the unreflected, zero-initialised variant's for "123456789" (CRC-32/BZIP2 without them).
    expect(oggCrc(new TextEncoder().encode('123456789'))).toBe(0x89a1897f);
  });
});

describe('createOggOpusMuxer', () => {
  it('writes OpusHead and OpusTags pages, then packets with their granule positions, the last page trimmed and marked', () => {
    const mux = createOggOpusMuxer({
      channels: 2,
      inputSampleRate: 24000,
      preSkip: 312,
      serial: 0x1234,
      packetsPerPage: 2,
    });
    const chunks: Uint8Array[] = [mux.headers()];
    // Five packets of 960 samples (20 ms) and 300-byte packets (two lacing values each).
    for (let i = 0; i < 5; i++) {
      const page = mux.packet(new Uint8Array(300).fill(i + 1), 960);
      if (page !== undefined) chunks.push(page);
    }
    chunks.push(mux.end(4 * 960 + 100));
    const all = Uint8Array.from(chunks.flatMap((c) => [...c]));
    const p = pages(all);
    expect(p.map((x) => x.sequence)).toEqual([0, 1, 2, 3, 4]);
    expect(p.map((x) => x.flags)).toEqual([0x02, 0, 0, 0, 0x04]);
    const head = p[0]?.packets[0] as Uint8Array;
    expect(new TextDecoder().decode(head.subarray(0, 8))).toBe('OpusHead');
    expect([head[8], head[9]]).toEqual([1, 2]);
    expect(new DataView(head.buffer).getUint16(10, true)).toBe(312);
    expect(new DataView(head.buffer).getUint32(12, true)).toBe(24000);
    expect(new TextDecoder().decode(p[1]?.packets[0]?.subarray(0, 8))).toBe('OpusTags');
    expect(p.slice(2).map((x) => x.packets.map((k) => [k.length, k[0]]))).toEqual([
      [
        [300, 1],
        [300, 2],
      ],
      [
        [300, 3],
        [300, 4],
      ],
      [[300, 5]],
    ]);
    // Samples decoded so far, the pre-skip included; the end trimmed to pre-skip + length.
    expect(p.slice(2).map((x) => x.granule)).toEqual([
      BigInt(2 * 960),
      BigInt(4 * 960),
      BigInt(312 + 4 * 960 + 100),
    ]);
  });

  it('refuses a pre-skip out of range and packets that overflow a page', () => {
    expect(() =>
      createOggOpusMuxer({ channels: 1, inputSampleRate: 16000, preSkip: -1, serial: 1 }),
    ).toThrow(/pre-skip/);
    const mux = createOggOpusMuxer({
      channels: 1,
      inputSampleRate: 16000,
      preSkip: 0,
      serial: 1,
      packetsPerPage: 2,
    });
    mux.packet(new Uint8Array(255 * 200), 960);
    mux.packet(new Uint8Array(255 * 200), 960);
    expect(() => mux.packet(new Uint8Array(1), 960)).toThrow(/255 segments/);
  });
});
