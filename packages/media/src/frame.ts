import { VoiceError } from '@prx-voice/types';
import { assertSampleRate } from './sample-rate.js';
import type { SampleRate } from './sample-rate.js';

/**
 * Whether this host stores multi-byte numbers little-endian, probed once with a
 * typed array. PCM16 on the wire (WAV, telephony, provider APIs) is little-endian,
 * and the zero-copy views below reinterpret bytes in host order, so a big-endian
 * host is refused when this module loads.
 */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([0x0102]).buffer)[0] === 0x02;
if (!LITTLE_ENDIAN_HOST) {
  throw new VoiceError('NOT_IMPLEMENTED', {
    message: '@prx-voice/media needs a little-endian host; this host is big-endian.',
  });
}

/** One chunk of mono PCM16 audio with its rate and the time of its first sample. */
export interface AudioFrame {
  /** Mono signed 16-bit samples. */
  readonly samples: Int16Array;
  /** Sample rate of `samples`. */
  readonly sampleRate: SampleRate;
  /** Stream time of the first sample, in milliseconds. */
  readonly timestampMs: number;
}

/** Options of {@link createAudioFrame}. */
export interface AudioFrameInit {
  /** Mono signed 16-bit samples; kept as is, not copied. */
  readonly samples: Int16Array;
  /** Sample rate of `samples`, checked at run time. */
  readonly sampleRate: number;
  /** Stream time of the first sample in milliseconds; defaults to 0. */
  readonly timestampMs?: number;
}

/** Builds an {@link AudioFrame}, checking the sample rate and the timestamp. */
export function createAudioFrame(init: AudioFrameInit): AudioFrame {
  const sampleRate = assertSampleRate(init.sampleRate);
  const timestampMs = init.timestampMs ?? 0;
  if (!Number.isFinite(timestampMs) || timestampMs < 0) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Frame timestamp ${String(timestampMs)} ms is invalid; expected a finite number of milliseconds >= 0.`,
      details: { timestampMs },
    });
  }
  return { samples: init.samples, sampleRate, timestampMs };
}

/**
 * Reads little-endian PCM16 bytes as samples. Returns a view sharing `bytes`'
 * memory when `bytes.byteOffset` is even (the usual case); when it is odd, an
 * `Int16Array` cannot view it, so the samples are copied into a new array.
 * Throws `INVALID_AUDIO` for an odd byte length.
 */
export function pcm16View(bytes: Uint8Array): Int16Array {
  if (bytes.byteLength % 2 !== 0) {
    throw new VoiceError('INVALID_AUDIO', {
      message: `PCM16 data has an odd length of ${bytes.byteLength} bytes; expected 2 bytes per sample.`,
      details: { byteLength: bytes.byteLength },
    });
  }
  if (bytes.byteOffset % 2 === 0) {
    return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  }
  const copy = new Int16Array(bytes.byteLength / 2);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}

/** The little-endian bytes of `samples` as a `Buffer` view (no copy; shares memory). */
export function pcm16Bytes(samples: Int16Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}
