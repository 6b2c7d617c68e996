import { describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import { readWav, wavHeader, writeWav } from './wav.js';

interface Chunk {
  readonly id: string;
  readonly body: Uint8Array;
  /** Size written in the chunk header; defaults to the body's length. */
  readonly declaredSize?: number;
}

/** Builds a RIFF file from chunks, padding odd-sized bodies as RIFF requires. */
function riff(chunks: readonly Chunk[], form = 'WAVE', container = 'RIFF'): Buffer {
  const parts = chunks.map((chunk) => {
    const header = Buffer.alloc(8);
    header.write(chunk.id, 0, 'latin1');
    header.writeUInt32LE(chunk.declaredSize ?? chunk.body.length, 4);
    const pad = chunk.body.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0);
    return Buffer.concat([header, chunk.body, pad]);
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(12);
  head.write(container, 0, 'latin1');
  head.writeUInt32LE(4 + body.length, 4);
  head.write(form, 8, 'latin1');
  return Buffer.concat([head, body]);
}

interface FmtFields {
  format?: number;
  channels?: number;
  sampleRate?: number;
  bits?: number;
  blockAlign?: number;
  /** WAVE_FORMAT_EXTENSIBLE sub-format tag; the GUID tail is the standard one unless `badGuid`. */
  subFormat?: number;
  badGuid?: boolean;
}

function fmt(fields: FmtFields = {}): Chunk {
  const channels = fields.channels ?? 1;
  const bits = fields.bits ?? 16;
  const sampleRate = fields.sampleRate ?? 16000;
  const blockAlign = fields.blockAlign ?? (channels * bits) / 8;
  const extensible = fields.subFormat !== undefined;
  const body = Buffer.alloc(extensible ? 40 : 16);
  body.writeUInt16LE(extensible ? 0xfffe : (fields.format ?? 1), 0);
  body.writeUInt16LE(channels, 2);
  body.writeUInt32LE(sampleRate, 4);
  body.writeUInt32LE(sampleRate * blockAlign, 8);
  body.writeUInt16LE(blockAlign, 12);
  body.writeUInt16LE(bits, 14);
  if (extensible) {
    body.writeUInt16LE(22, 16); // cbSize
    body.writeUInt16LE(bits, 18); // valid bits
    body.writeUInt32LE(channels === 2 ? 3 : 4, 20); // channel mask
    body.writeUInt16LE(fields.subFormat ?? 1, 24);
    Buffer.from([0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71]).copy(body, 26);
    if (fields.badGuid === true) body[39] = 0x72;
  }
  return { id: 'fmt ', body };
}

function pcm(samples: readonly number[]): Uint8Array {
  const data = Int16Array.from(samples);
  return new Uint8Array(data.buffer);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (VoiceError.is(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('expected an error');
}

const SAMPLES = [0, 1, -1, 32767, -32768, 1234, -4321];

describe('writeWav / readWav round trip', () => {
  it('writes a canonical 44-byte header and reads back the same samples', () => {
    const samples = Int16Array.from(SAMPLES);
    const file = writeWav({ sampleRate: 24000, samples });
    expect(file.length).toBe(44 + 2 * samples.length);
    expect(file.toString('latin1', 0, 4)).toBe('RIFF');
    expect(file.readUInt32LE(4)).toBe(36 + 2 * samples.length);
    expect(file.toString('latin1', 8, 16)).toBe('WAVEfmt ');
    expect(file.readUInt32LE(24)).toBe(24000);
    expect(file.readUInt32LE(28)).toBe(48000);
    expect(file.readUInt32LE(40)).toBe(2 * samples.length);
    const back = readWav(file);
    expect(back.sampleRate).toBe(24000);
    expect(back.channels).toBe(1);
    expect(Array.from(back.samples)).toEqual(SAMPLES);
  });

  it('round-trips an empty file and a long one', () => {
    expect(
      readWav(writeWav({ sampleRate: 8000, samples: new Int16Array(0) })).samples,
    ).toHaveLength(0);
    const long = Int16Array.from({ length: 48000 }, (_, i) => ((i * 7919) % 65536) - 32768);
    expect(Array.from(readWav(writeWav({ sampleRate: 48000, samples: long })).samples)).toEqual(
      Array.from(long),
    );
  });

  it('reads a file at an odd byte offset (copying) and an even one (a view)', () => {
    const file = writeWav({ sampleRate: 16000, samples: Int16Array.from(SAMPLES) });
    const odd = new Uint8Array(file.length + 1);
    odd.set(file, 1);
    expect(Array.from(readWav(odd.subarray(1)).samples)).toEqual(SAMPLES);
    const even = readWav(file);
    expect(even.samples.buffer).toBe(file.buffer);
  });

  it('refuses to write an unsupported rate', () => {
    expect(codeOf(() => writeWav({ sampleRate: 11025, samples: new Int16Array(1) }))).toMatch(
      /^UNSUPPORTED_AUDIO_FORMAT: .*11025/,
    );
  });
});

describe('readWav with unusual layouts', () => {
  it('skips LIST and other chunks, honouring RIFF odd-size padding', () => {
    const file = riff([
      { id: 'LIST', body: Buffer.from('INFOISFT\x05\x00\x00\x00abcde', 'latin1') },
      fmt(),
      { id: 'odd ', body: Buffer.from([1, 2, 3]) },
      { id: 'data', body: pcm(SAMPLES) },
      { id: 'id3 ', body: Buffer.from([9]) },
    ]);
    expect(Array.from(readWav(file).samples)).toEqual(SAMPLES);
  });

  it('accepts WAVE_FORMAT_EXTENSIBLE with the PCM sub-format GUID', () => {
    const file = riff([fmt({ subFormat: 1 }), { id: 'data', body: pcm(SAMPLES) }]);
    expect(Array.from(readWav(file).samples)).toEqual(SAMPLES);
  });

  it('treats a data size of 0xFFFFFFFF, or one past the end, as "until end of file"', () => {
    for (const declaredSize of [0xffffffff, 1000]) {
      const file = riff([fmt(), { id: 'data', body: pcm(SAMPLES), declaredSize }]);
      expect(Array.from(readWav(file).samples)).toEqual(SAMPLES);
    }
    // A streamed file cut mid-sample keeps only whole samples.
    const cut = riff([
      fmt(),
      { id: 'data', body: pcm(SAMPLES), declaredSize: 0xffffffff },
    ]).subarray(0, 44 + 5);
    expect(Array.from(readWav(cut).samples)).toEqual(SAMPLES.slice(0, 2));
  });

  it('finds fmt after data', () => {
    const file = riff([{ id: 'data', body: pcm(SAMPLES) }, fmt({ sampleRate: 8000 })]);
    expect(readWav(file).sampleRate).toBe(8000);
  });

  it('down-mixes stereo only when asked', () => {
    const file = riff([
      fmt({ channels: 2 }),
      { id: 'data', body: pcm([100, 300, -32768, -32768, 32767, 32767, 1, -2]) },
    ]);
    expect(codeOf(() => readWav(file))).toMatch(
      /^UNSUPPORTED_AUDIO_FORMAT: WAV file is 16-bit PCM, 2 channel\(s\), 16000 Hz; expected 16-bit PCM/,
    );
    const mixed = readWav(file, { downmix: true });
    expect(mixed.channels).toBe(2);
    expect(Array.from(mixed.samples)).toEqual([200, -32768, 32767, -1]);
  });
});

describe('readWav errors', () => {
  it.each([
    ['empty input', new Uint8Array(0), /^INVALID_AUDIO: WAV header is truncated/],
    ['not RIFF', Buffer.from('OggS\0\0\0\0WAVEfmt '), /^INVALID_AUDIO: Not a WAV file/],
    ['RIFF but not WAVE', riff([], 'AVI '), /^INVALID_AUDIO: Not a WAV file/],
    [
      'no fmt',
      riff([{ id: 'data', body: pcm(SAMPLES) }]),
      /^INVALID_AUDIO: WAV file has no fmt chunk/,
    ],
    [
      'no data',
      riff([fmt(), { id: 'LIST', body: Buffer.alloc(4) }]),
      /^INVALID_AUDIO: WAV file has no data chunk/,
    ],
    ['truncated fmt', riff([fmt()]).subarray(0, 30), /^INVALID_AUDIO: WAV fmt chunk is truncated/],
    [
      'short fmt',
      riff([
        { id: 'fmt ', body: Buffer.alloc(12) },
        { id: 'data', body: pcm([1]) },
      ]),
      /^INVALID_AUDIO: .*at least 16/,
    ],
    [
      'zero channels',
      riff([fmt({ channels: 0, blockAlign: 2 }), { id: 'data', body: pcm([1]) }]),
      /^INVALID_AUDIO: .*0 channels/,
    ],
    [
      'bad block align',
      riff([fmt({ blockAlign: 4 }), { id: 'data', body: pcm([1, 2]) }]),
      /^INVALID_AUDIO: WAV block align is 4/,
    ],
    ['RIFX', riff([fmt()], 'WAVE', 'RIFX'), /^UNSUPPORTED_AUDIO_FORMAT: WAV container RIFX/],
  ])('%s → clear error', (_name, bytes, pattern) => {
    expect(codeOf(() => readWav(bytes))).toMatch(pattern);
  });

  it.each([
    ['8-bit PCM', fmt({ bits: 8 }), /8-bit PCM, 1 channel\(s\), 16000 Hz; expected 16-bit PCM/],
    ['24-bit PCM', fmt({ bits: 24 }), /24-bit PCM/],
    ['32-bit PCM', fmt({ bits: 32 }), /32-bit PCM/],
    ['float', fmt({ format: 3, bits: 32 }), /32-bit IEEE float/],
    ['µ-law', fmt({ format: 7, bits: 8 }), /8-bit µ-law/],
    ['A-law', fmt({ format: 6, bits: 8 }), /8-bit A-law/],
    ['extensible float', fmt({ subFormat: 3, bits: 32 }), /32-bit IEEE float/],
    [
      'extensible unknown GUID',
      fmt({ subFormat: 1, badGuid: true }),
      /unknown WAVE_FORMAT_EXTENSIBLE sub-format/,
    ],
    ['6 channels', fmt({ channels: 6 }), /16-bit PCM, 6 channel\(s\)/],
    ['11025 Hz', fmt({ sampleRate: 11025 }), /sample rate 11025 Hz is not supported/],
  ])('%s → UNSUPPORTED_AUDIO_FORMAT naming it', (_name, chunk, pattern) => {
    const message = codeOf(() =>
      readWav(riff([chunk, { id: 'data', body: pcm([1, 2, 3, 4]) }]), { downmix: true }),
    );
    expect(message).toMatch(/^UNSUPPORTED_AUDIO_FORMAT: /);
    expect(message).toMatch(pattern);
  });
});

describe('wavHeader', () => {
  it('is the canonical 44-byte PCM16 header, the one writeWav writes', () => {
    const samples = Int16Array.from(SAMPLES);
    const header = wavHeader({ sampleRate: 24000, channels: 1, dataBytes: samples.byteLength });
    expect(header).toBeInstanceOf(Uint8Array);
    expect(header.length).toBe(44);
    expect(Array.from(header)).toEqual(
      Array.from(writeWav({ sampleRate: 24000, samples }).subarray(0, 44)),
    );
  });

  it('describes stereo: channels, byte rate and block align', () => {
    const header = Buffer.from(wavHeader({ sampleRate: 16000, channels: 2, dataBytes: 400 }));
    expect(header.toString('latin1', 0, 4)).toBe('RIFF');
    expect(header.readUInt32LE(4)).toBe(36 + 400);
    expect(header.toString('latin1', 8, 16)).toBe('WAVEfmt ');
    expect(header.readUInt32LE(16)).toBe(16);
    expect(header.readUInt16LE(20)).toBe(1);
    expect(header.readUInt16LE(22)).toBe(2);
    expect(header.readUInt32LE(24)).toBe(16000);
    expect(header.readUInt32LE(28)).toBe(64000);
    expect(header.readUInt16LE(32)).toBe(4);
    expect(header.readUInt16LE(34)).toBe(16);
    expect(header.toString('latin1', 36, 40)).toBe('data');
    expect(header.readUInt32LE(40)).toBe(400);
  });

  it('heads a stereo file that readWav down-mixes (and refuses without downmix)', () => {
    const interleaved = pcm([100, 300, -32768, -32768, 32767, 32767, 1, -2]);
    const file = Buffer.concat([
      wavHeader({ sampleRate: 48000, channels: 2, dataBytes: interleaved.length }),
      interleaved,
    ]);
    const mixed = readWav(file, { downmix: true });
    expect(mixed.sampleRate).toBe(48000);
    expect(mixed.channels).toBe(2);
    expect(Array.from(mixed.samples)).toEqual([200, -32768, 32767, -1]);
    expect(codeOf(() => readWav(file))).toMatch(/^UNSUPPORTED_AUDIO_FORMAT: .*2 channel\(s\)/);
  });

  it('accepts an empty data chunk', () => {
    const header = wavHeader({ sampleRate: 8000, channels: 2, dataBytes: 0 });
    expect(readWav(header, { downmix: true }).samples).toHaveLength(0);
  });

  it.each([
    [
      'an unsupported rate',
      { sampleRate: 11025, channels: 1, dataBytes: 0 },
      /^UNSUPPORTED_AUDIO_FORMAT: .*11025/,
    ],
    [
      '0 channels',
      { sampleRate: 16000, channels: 0, dataBytes: 0 },
      /^VALIDATION_FAILED: .*0 channel/,
    ],
    [
      '3 channels',
      { sampleRate: 16000, channels: 3, dataBytes: 0 },
      /^VALIDATION_FAILED: .*3 channel/,
    ],
    [
      'a partial stereo frame',
      { sampleRate: 16000, channels: 2, dataBytes: 6 },
      /^VALIDATION_FAILED: .*frames of 4 bytes/,
    ],
    [
      'an odd mono size',
      { sampleRate: 16000, channels: 1, dataBytes: 3 },
      /^VALIDATION_FAILED: .*frames of 2 bytes/,
    ],
    ['a negative size', { sampleRate: 16000, channels: 1, dataBytes: -2 }, /^VALIDATION_FAILED: /],
    [
      'a fractional size',
      { sampleRate: 16000, channels: 1, dataBytes: 2.5 },
      /^VALIDATION_FAILED: /,
    ],
    [
      'a size past 4 GiB',
      { sampleRate: 16000, channels: 2, dataBytes: 0x100000000 },
      /^VALIDATION_FAILED: .*does not fit/,
    ],
  ])('refuses %s', (_name, input, pattern) => {
    expect(codeOf(() => wavHeader(input))).toMatch(pattern);
  });
});
