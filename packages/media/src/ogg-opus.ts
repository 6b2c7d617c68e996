/**
 * Ogg Opus encapsulation (RFC 7845 over RFC 3533): the identification and comment
 * headers, each on a page of its own, then Opus packets gathered into pages with their
 * granule positions (48 kHz samples, pre-skip included), the last page marked end of
 * stream and its granule position trimming the padding of the last packet. Pure: the
 * packets come from an encoder the caller owns; pages come back as bytes to write in order.
 */
import { VoiceError } from '@prx-voice/types';

/** Options of {@link createOggOpusMuxer}. */
export interface OggOpusOptions {
  /** 1 or 2 (mapping family 0). */
  readonly channels: 1 | 2;
  /** The rate the audio had before encoding (informational, in OpusHead). */
  readonly inputSampleRate: number;
  /** Samples (at 48 kHz) a decoder discards at the start: the encoder's look-ahead. */
  readonly preSkip: number;
  /** The logical stream's serial number. */
  readonly serial: number;
  /** OpusTags vendor string. */
  readonly vendor?: string;
  /** Packets per page before it is handed out (default 50: one second of 20 ms packets). */
  readonly packetsPerPage?: number;
}

/** An Ogg Opus stream being written; see {@link createOggOpusMuxer}. */
export interface OggOpusMuxer {
  /** The two header pages (OpusHead, OpusTags): the stream's first bytes. */
  headers(): Uint8Array;
  /** Adds one packet holding `samples` samples at 48 kHz; returns a page when one is complete. */
  packet(data: Uint8Array, samples: number): Uint8Array | undefined;
  /**
   * Ends the stream: the last page (end of stream), its granule position the pre-skip plus
   * `totalSamples` (48 kHz, the real length) when given — so a decoder drops the padding.
   * The packets must cover that much: an encoder is fed silence past the end of its input
   * until pre-skip + length samples are encoded.
   */
  end(totalSamples?: number): Uint8Array;
}

const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** The Ogg page checksum: CRC-32, polynomial 0x04c11db7, no reflection, initial 0. */
export function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes)
    crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ b) & 0xff] as number)) >>> 0;
  return crc;
}

const FLAG_BOS = 0x02;
const FLAG_EOS = 0x04;

/** One Ogg page of whole packets (each under 255 × 255 bytes). */
function page(
  packets: readonly Uint8Array[],
  flags: number,
  granule: number,
  serial: number,
  sequence: number,
): Uint8Array {
  const lacing: number[] = [];
  for (const p of packets) {
    for (let left = p.length; ; left -= 255) {
      lacing.push(Math.min(left, 255));
      if (left < 255) break;
    }
  }
  if (lacing.length > 255) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `an Ogg page holds at most 255 segments, these packets need ${lacing.length}`,
    });
  }
  const body = packets.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(27 + lacing.length + body);
  const view = new DataView(out.buffer);
  out.set([0x4f, 0x67, 0x67, 0x53], 0); // "OggS"
  out[4] = 0; // version
  out[5] = flags;
  view.setBigInt64(6, BigInt(granule), true);
  view.setUint32(14, serial >>> 0, true);
  view.setUint32(18, sequence, true);
  // 22..25: the CRC, computed with these bytes zero
  out[26] = lacing.length;
  out.set(lacing, 27);
  let at = 27 + lacing.length;
  for (const p of packets) {
    out.set(p, at);
    at += p.length;
  }
  view.setUint32(22, oggCrc(out), true);
  return out;
}

/**
 * Creates an Ogg Opus muxer.
 *
 * @example
 * const mux = createOggOpusMuxer({ channels: 2, inputSampleRate: 24000, preSkip: 312, serial: 1 });
 * out.write(mux.headers());
 * for (const frame of frames) { const p = mux.packet(encoder.encode(frame), 960); if (p) out.write(p); }
 * out.write(mux.end(total48k));
 */
export function createOggOpusMuxer(options: OggOpusOptions): OggOpusMuxer {
  const { channels, preSkip, serial } = options;
  if (!Number.isInteger(preSkip) || preSkip < 0 || preSkip > 0xffff) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Ogg Opus pre-skip ${preSkip} is out of range 0 … 65535`,
    });
  }
  const perPage = options.packetsPerPage ?? 50;
  let sequence = 0;
  let granule = 0;
  let pending: Uint8Array[] = [];

  const flush = (flags: number, at: number): Uint8Array => {
    const out = page(pending, flags, at, serial, sequence);
    sequence += 1;
    pending = [];
    return out;
  };

  return {
    headers() {
      const head = new Uint8Array(19);
      const hv = new DataView(head.buffer);
      head.set(new TextEncoder().encode('OpusHead'), 0);
      head[8] = 1; // version
      head[9] = channels;
      hv.setUint16(10, preSkip, true);
      hv.setUint32(12, options.inputSampleRate >>> 0, true);
      hv.setInt16(16, 0, true); // output gain
      head[18] = 0; // mapping family 0: mono or stereo
      const vendor = new TextEncoder().encode(options.vendor ?? 'prx-voice');
      const tags = new Uint8Array(8 + 4 + vendor.length + 4);
      const tv = new DataView(tags.buffer);
      tags.set(new TextEncoder().encode('OpusTags'), 0);
      tv.setUint32(8, vendor.length, true);
      tags.set(vendor, 12);
      tv.setUint32(12 + vendor.length, 0, true); // no user comments
      const first = page([head], FLAG_BOS, 0, serial, sequence++);
      const second = page([tags], 0, 0, serial, sequence++);
      const out = new Uint8Array(first.length + second.length);
      out.set(first, 0);
      out.set(second, first.length);
      return out;
    },
    packet(data, samples) {
      // A full page goes out when the next packet comes, so the last page is never empty.
      const out = pending.length >= perPage ? flush(0, granule) : undefined;
      pending.push(data);
      granule += samples;
      return out;
    },
    end(totalSamples) {
      const last = totalSamples === undefined ? granule : Math.min(granule, preSkip + totalSamples);
      return flush(FLAG_EOS, last);
    },
  };
}
