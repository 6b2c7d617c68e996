/**
 * Reading and writing RIFF/WAVE files of 16-bit PCM: mono, or stereo down-mixed
 * on request. Other encodings are refused with an error naming what the file is.
 * `wavHeader` gives the 44-byte header alone, for mono or stereo data written in pieces.
 */
import { VoiceError } from '@prx-voice/types';
import { pcm16View } from './frame.js';
import { isSampleRate, SAMPLE_RATES } from './sample-rate.js';
import type { SampleRate } from './sample-rate.js';

/** A decoded WAV file. */
export interface WavAudio {
  /** Sample rate of the file. */
  readonly sampleRate: SampleRate;
  /** Channel count of the file; `samples` is mono either way (down-mixed from 2). */
  readonly channels: number;
  /** Mono PCM16 samples; may be a view sharing the input's memory. */
  readonly samples: Int16Array;
}

/** Options of {@link readWav}. */
export interface ReadWavOptions {
  /** Down-mix stereo PCM16 to mono by averaging; without it stereo is refused. */
  readonly downmix?: boolean;
}

/** Input of {@link writeWav}. */
export interface WavInput {
  /** Sample rate to record in the header. */
  readonly sampleRate: number;
  /** Mono PCM16 samples. */
  readonly samples: Int16Array;
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Bytes 2…15 shared by every KSDATAFORMAT_SUBTYPE_* GUID derived from a format tag. */
const GUID_TAIL = [
  0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
];
const FORMAT_NAMES: Readonly<Record<number, string>> = {
  0x0002: 'Microsoft ADPCM',
  0x0003: 'IEEE float',
  0x0006: 'A-law',
  0x0007: 'µ-law',
  0x0011: 'IMA ADPCM',
  0x0055: 'MP3',
};
const EXPECTED = 'expected 16-bit PCM, mono (or stereo with { downmix: true })';

function invalid(message: string, details: Record<string, unknown> = {}): VoiceError {
  return new VoiceError('INVALID_AUDIO', { message, details });
}

function unsupported(message: string, details: Record<string, unknown>): VoiceError {
  return new VoiceError('UNSUPPORTED_AUDIO_FORMAT', { message, details });
}

function fourCc(view: DataView, offset: number): string {
  return String.fromCharCode(
    view.getUint8(offset),
    view.getUint8(offset + 1),
    view.getUint8(offset + 2),
    view.getUint8(offset + 3),
  );
}

interface FormatChunk {
  readonly format: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly blockAlign: number;
  readonly bitsPerSample: number;
}

function parseFormat(view: DataView, offset: number, size: number): FormatChunk {
  if (size < 16) throw invalid(`WAV fmt chunk is ${size} bytes; expected at least 16.`, { size });
  let format = view.getUint16(offset, true);
  const channels = view.getUint16(offset + 2, true);
  const sampleRate = view.getUint32(offset + 4, true);
  const blockAlign = view.getUint16(offset + 12, true);
  const bitsPerSample = view.getUint16(offset + 14, true);
  if (format === WAVE_FORMAT_EXTENSIBLE) {
    if (size < 40) {
      throw invalid(`WAV fmt chunk of WAVE_FORMAT_EXTENSIBLE is ${size} bytes; expected 40.`, {
        size,
      });
    }
    const guid = offset + 24;
    const tailMatches = GUID_TAIL.every((byte, i) => view.getUint8(guid + 2 + i) === byte);
    // A GUID not derived from a format tag is some other, unknown encoding.
    format = tailMatches ? view.getUint16(guid, true) : -1;
  }
  return { format, channels, sampleRate, blockAlign, bitsPerSample };
}

function describeFormat(fmt: FormatChunk): string {
  const encoding =
    fmt.format === WAVE_FORMAT_PCM
      ? `${fmt.bitsPerSample}-bit PCM`
      : fmt.format === -1
        ? 'an unknown WAVE_FORMAT_EXTENSIBLE sub-format'
        : `${fmt.bitsPerSample}-bit ${FORMAT_NAMES[fmt.format] ?? `format 0x${fmt.format.toString(16).padStart(4, '0')}`}`;
  return `${encoding}, ${fmt.channels} channel(s), ${fmt.sampleRate} Hz`;
}

function checkFormat(fmt: FormatChunk, downmix: boolean): SampleRate {
  if (fmt.format !== WAVE_FORMAT_PCM || fmt.bitsPerSample !== 16) {
    throw unsupported(`WAV file is ${describeFormat(fmt)}; ${EXPECTED}.`, {
      format: fmt.format,
      bitsPerSample: fmt.bitsPerSample,
    });
  }
  if (fmt.channels === 0) throw invalid('WAV fmt chunk declares 0 channels; expected 1 or 2.');
  if (fmt.channels > 2 || (fmt.channels === 2 && !downmix)) {
    throw unsupported(`WAV file is ${describeFormat(fmt)}; ${EXPECTED}.`, {
      channels: fmt.channels,
    });
  }
  if (fmt.blockAlign !== 2 * fmt.channels) {
    throw invalid(
      `WAV block align is ${fmt.blockAlign} bytes; expected ${2 * fmt.channels} for ${describeFormat(fmt)}.`,
      {
        blockAlign: fmt.blockAlign,
      },
    );
  }
  if (fmt.sampleRate === 0) throw invalid('WAV fmt chunk declares a sample rate of 0 Hz.');
  if (!isSampleRate(fmt.sampleRate)) {
    throw unsupported(
      `WAV sample rate ${fmt.sampleRate} Hz is not supported; expected one of ${SAMPLE_RATES.join(', ')} Hz.`,
      {
        sampleRate: fmt.sampleRate,
      },
    );
  }
  return fmt.sampleRate;
}

/**
 * Parses a WAV file of 16-bit PCM. Unknown chunks (LIST, fact, …) are skipped
 * with RIFF's odd-size padding; a data size of 0xFFFFFFFF or one running past the
 * end (streamed or truncated files) means "until the end of the file". Throws
 * `INVALID_AUDIO` for malformed files and `UNSUPPORTED_AUDIO_FORMAT` for other
 * encodings, channel counts or rates.
 */
export function readWav(bytes: Uint8Array, options: ReadWavOptions = {}): WavAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12)
    throw invalid(`WAV header is truncated: ${bytes.length} bytes; expected at least 12.`);
  const riff = fourCc(view, 0);
  if (riff === 'RIFX' || riff === 'RF64') {
    throw unsupported(
      `WAV container ${riff} is not supported; expected a little-endian RIFF file.`,
      { container: riff },
    );
  }
  if (riff !== 'RIFF' || fourCc(view, 8) !== 'WAVE') {
    throw invalid('Not a WAV file: expected "RIFF" at byte 0 and "WAVE" at byte 8.');
  }

  let fmt: FormatChunk | undefined;
  let dataStart = -1;
  let dataEnd = -1;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = fourCc(view, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'data') {
      dataStart = body;
      const untilEnd = size === 0xffffffff || body + size > bytes.length;
      dataEnd = untilEnd ? bytes.length : body + size;
      if (untilEnd || fmt !== undefined) break;
    } else if (id === 'fmt ') {
      if (body + size > bytes.length) {
        throw invalid(
          `WAV fmt chunk is truncated: it declares ${size} bytes but ${bytes.length - body} remain.`,
        );
      }
      fmt = parseFormat(view, body, size);
      if (dataStart >= 0) break;
    }
    offset = body + size + (size % 2);
  }
  if (fmt === undefined) throw invalid('WAV file has no fmt chunk before its end.');
  if (dataStart < 0) throw invalid('WAV file has no data chunk.');

  const sampleRate = checkFormat(fmt, options.downmix === true);
  const blockAlign = fmt.blockAlign;
  const whole = dataEnd - ((dataEnd - dataStart) % blockAlign);
  const pcm = pcm16View(bytes.subarray(dataStart, whole));
  if (fmt.channels === 1) return { sampleRate, channels: 1, samples: pcm };

  const mono = new Int16Array(pcm.length / 2);
  for (let i = 0; i < mono.length; i++)
    mono[i] = ((pcm[2 * i] as number) + (pcm[2 * i + 1] as number)) >> 1;
  return { sampleRate, channels: 2, samples: mono };
}

/** Input of {@link wavHeader}. */
export interface WavHeaderInput {
  /** Sample rate to record in the header (one of the supported rates). */
  readonly sampleRate: number;
  /** 1 (mono) or 2 (stereo, interleaved left/right). */
  readonly channels: number;
  /** Bytes of PCM16 data that follow the header: whole sample frames of `2 × channels` bytes. */
  readonly dataBytes: number;
}

/** Largest data chunk a RIFF file can declare: its size field also counts the 36 header bytes after it. */
const MAX_DATA_BYTES = 0xffffffff - 36;

/**
 * The canonical 44-byte RIFF/WAVE header of 16-bit PCM (`fmt ` of 16 bytes, then
 * the `data` chunk header); write `dataBytes` of little-endian PCM16 after it.
 * Throws `UNSUPPORTED_AUDIO_FORMAT` for other rates and `VALIDATION_FAILED` for a
 * channel count other than 1 or 2, or a data size that is not whole sample frames
 * or does not fit in a RIFF file.
 *
 * @example
 * // A stereo recording written as chunks: the header goes first, once the total is known.
 * const header = wavHeader({ sampleRate: 24000, channels: 2, dataBytes: totalSamples * 4 });
 */
export function wavHeader(input: WavHeaderInput): Uint8Array {
  const { sampleRate, channels, dataBytes } = input;
  if (!isSampleRate(sampleRate)) {
    throw unsupported(
      `Sample rate ${sampleRate} Hz is not supported; expected one of ${SAMPLE_RATES.join(', ')} Hz.`,
      { sampleRate },
    );
  }
  if (channels !== 1 && channels !== 2) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `A WAV header for ${channels} channel(s) was asked for; expected 1 or 2.`,
      details: { channels },
    });
  }
  const blockAlign = 2 * channels;
  if (!Number.isInteger(dataBytes) || dataBytes < 0 || dataBytes % blockAlign !== 0) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `WAV data size ${dataBytes} bytes is invalid; expected whole sample frames of ${blockAlign} bytes.`,
      details: { dataBytes, blockAlign },
    });
  }
  if (dataBytes > MAX_DATA_BYTES) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `WAV data size ${dataBytes} bytes does not fit in a RIFF file; expected at most ${MAX_DATA_BYTES}.`,
      details: { dataBytes },
    });
  }
  const header = new Uint8Array(44);
  const view = new DataView(header.buffer);
  const ascii = (text: string, at: number): void => {
    for (let i = 0; i < text.length; i++) header[at + i] = text.charCodeAt(i);
  };
  ascii('RIFF', 0);
  view.setUint32(4, 36 + dataBytes, true);
  ascii('WAVE', 8);
  ascii('fmt ', 12);
  view.setUint32(16, 16, true);
  view.setUint16(20, WAVE_FORMAT_PCM, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true);
  ascii('data', 36);
  view.setUint32(40, dataBytes, true);
  return header;
}

/** Encodes mono PCM16 as a WAV file with the canonical 44-byte header (see {@link wavHeader}). */
export function writeWav(input: WavInput): Buffer {
  const dataBytes = input.samples.byteLength;
  if (isSampleRate(input.sampleRate) && dataBytes > MAX_DATA_BYTES) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `${input.samples.length} samples do not fit in a WAV file; expected at most ${MAX_DATA_BYTES / 2}.`,
    });
  }
  const out = Buffer.alloc(44 + dataBytes);
  out.set(wavHeader({ sampleRate: input.sampleRate, channels: 1, dataBytes }), 0);
  out.set(new Uint8Array(input.samples.buffer, input.samples.byteOffset, dataBytes), 44);
  return out;
}
