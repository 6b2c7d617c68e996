/**
 * Audio formats of the session WebSocket and the converters between them and
 * the engine's PCM16: G.711 decode/encode (from `@prx-voice/media`), PCM16
 * little-endian views, and streaming resampling. Converters reuse their buffers
 * and return views, so a frame costs no allocation beyond what the socket keeps.
 */
import { z } from 'zod';
import {
  createResampler,
  decodeAlaw,
  decodeMulaw,
  encodeAlaw,
  encodeMulaw,
} from '@prx-voice/media';
import type { Resampler, SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';

/** An audio format a client may use on the session WebSocket (always mono). */
export type WireAudioFormat =
  | { readonly encoding: 'pcm16'; readonly sampleRate: 8000 | 16000 | 24000 | 48000 }
  | { readonly encoding: 'mulaw' | 'alaw'; readonly sampleRate: 8000 };

/** An encoding of {@link WireAudioFormat}. */
export type WireEncoding = WireAudioFormat['encoding'];

/** The JSON form of a format, as `session.update` takes it and events report it. */
export interface WireAudioFormatJson {
  readonly encoding: WireEncoding;
  readonly sample_rate: number;
  readonly channels: 1;
}

/** The sample rates each encoding allows on the wire, in Hz. */
export const WIRE_SAMPLE_RATES: {
  readonly pcm16: readonly (8000 | 16000 | 24000 | 48000)[];
  readonly mulaw: readonly 8000[];
  readonly alaw: readonly 8000[];
} = Object.freeze({
  pcm16: Object.freeze([8000, 16000, 24000, 48000] as const),
  mulaw: Object.freeze([8000] as const),
  alaw: Object.freeze([8000] as const),
});

/** Every wire encoding. */
export const WIRE_ENCODINGS: readonly WireEncoding[] = Object.freeze(['pcm16', 'mulaw', 'alaw']);

/** Client → server audio before any `session.update`: PCM16 LE, 16 kHz, mono. */
export const DEFAULT_INPUT_FORMAT: WireAudioFormat = Object.freeze({
  encoding: 'pcm16',
  sampleRate: 16000,
});

/** Server → client audio before any `session.update`: PCM16 LE, 24 kHz, mono. */
export const DEFAULT_OUTPUT_FORMAT: WireAudioFormat = Object.freeze({
  encoding: 'pcm16',
  sampleRate: 24000,
});

/**
 * Validates a format's JSON form (`{"encoding":"mulaw","sample_rate":8000}`;
 * `channels`, if given, must be 1) and yields a {@link WireAudioFormat}.
 * Issues name the field and carry the allowed values in `params.allowed`.
 */
export const audioFormatSchema = z
  .strictObject({
    encoding: z.enum(WIRE_ENCODINGS as [WireEncoding, ...WireEncoding[]], {
      error: `expected one of ${WIRE_ENCODINGS.join(', ')}`,
    }),
    sample_rate: z.number({ error: 'expected a sample rate in Hz' }),
    channels: z.literal(1, { error: 'only mono (1 channel) is supported' }).optional(),
  })
  .check((ctx) => {
    const { encoding, sample_rate: rate } = ctx.value;
    const allowed = WIRE_SAMPLE_RATES[encoding] as readonly number[] | undefined;
    if (allowed !== undefined && !allowed.includes(rate)) {
      ctx.issues.push({
        code: 'custom',
        input: rate,
        path: ['sample_rate'],
        message: `${encoding} allows ${allowed.join(', ')} Hz, not ${String(rate)}`,
        params: { allowed },
      });
    }
  })
  .transform(
    (value) => ({ encoding: value.encoding, sampleRate: value.sample_rate }) as WireAudioFormat,
  );

/** The JSON form of a format, for events (`session.created`'s `audio`). */
export function audioFormatJson(format: WireAudioFormat): WireAudioFormatJson {
  return { encoding: format.encoding, sample_rate: format.sampleRate, channels: 1 };
}

/** Bytes one sample takes on the wire in a format (2 for PCM16, 1 for G.711). */
export function bytesPerSample(format: WireAudioFormat): 1 | 2 {
  return format.encoding === 'pcm16' ? 2 : 1;
}

/** Whether two formats are the same. */
export function sameAudioFormat(a: WireAudioFormat, b: WireAudioFormat): boolean {
  return a.encoding === b.encoding && a.sampleRate === b.sampleRate;
}

/** Wire bytes → engine-rate PCM16; see {@link createInboundConverter}. */
export interface InboundConverter {
  /** The wire format converted from. */
  readonly format: WireAudioFormat;
  /** The engine's input rate converted to. */
  readonly engineRate: SampleRate;
  /**
   * Converts the next frame of the stream. Returns a view that is valid until the
   * next call (copy it to keep it); it may be empty while the resampler fills.
   * Throws `INVALID_AUDIO` for PCM16 of odd byte length, with no state changed.
   */
  convert(bytes: Uint8Array): Int16Array;
  /** Forgets the stream's state (the resampler's history). */
  reset(): void;
}

/** Engine-rate PCM16 → wire bytes; see {@link createOutboundConverter}. */
export interface OutboundConverter {
  /** The engine's output rate converted from. */
  readonly engineRate: SampleRate;
  /** The wire format converted to. */
  readonly format: WireAudioFormat;
  /**
   * Converts the next chunk of the stream. Returns a view that is valid until the
   * next call (it may be a view of `samples` itself); it may be empty while the
   * resampler fills.
   */
  convert(samples: Int16Array): Uint8Array;
  /**
   * As `convert`, but into a new array the caller owns: for sockets that keep what
   * they send. Encodes straight into it, so it is the only allocation.
   */
  convertToNew(samples: Int16Array): Uint8Array;
  /** Forgets the stream's state, dropping the samples the resampler holds back. */
  reset(): void;
}

/** A growable reused Int16Array. */
class Scratch16 {
  private buffer = new Int16Array(0);
  take(length: number): Int16Array {
    if (this.buffer.length < length)
      this.buffer = new Int16Array(Math.max(length, 2 * this.buffer.length));
    return this.buffer;
  }
}

/**
 * Creates a converter from a wire format to PCM16 at the engine's input rate:
 * G.711 is decoded (into a reused buffer), PCM16 little-endian is viewed in place
 * (copied only when its byte offset is odd), then a streaming resampler, whose
 * state carries across frames, converts the rate.
 *
 * @example
 * const inbound = createInboundConverter({ encoding: 'mulaw', sampleRate: 8000 }, 16000);
 * session.pushAudio(inbound.convert(frame)); // 160 bytes in → about 320 samples out
 */
export function createInboundConverter(
  wire: WireAudioFormat,
  engineRate: SampleRate,
): InboundConverter {
  const resampler = createResampler({ from: wire.sampleRate, to: engineRate });
  const scratch = new Scratch16();
  const decode: (bytes: Uint8Array) => Int16Array =
    wire.encoding === 'pcm16'
      ? (bytes) => pcm16In(bytes, scratch)
      : wire.encoding === 'mulaw'
        ? (bytes) => decodeMulaw(bytes, scratch.take(bytes.length))
        : (bytes) => decodeAlaw(bytes, scratch.take(bytes.length));
  return {
    format: wire,
    engineRate,
    convert: (bytes) => resampler.process(decode(bytes)),
    reset: () => {
      resampler.reset();
    },
  };
}

/** PCM16 LE bytes as samples: a view when aligned, else a copy into the scratch buffer. */
function pcm16In(bytes: Uint8Array, scratch: Scratch16): Int16Array {
  if (bytes.byteLength % 2 !== 0) {
    throw new VoiceError('INVALID_AUDIO', {
      message: `PCM16 frame has an odd length of ${bytes.byteLength} bytes; expected 2 bytes per sample.`,
      details: { byteLength: bytes.byteLength },
    });
  }
  const length = bytes.byteLength / 2;
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, length);
  const target = scratch.take(length);
  new Uint8Array(target.buffer, 0, bytes.byteLength).set(bytes);
  return target.subarray(0, length);
}

/**
 * Creates a converter from PCM16 at the engine's output rate to a wire format: a
 * streaming resampler, then G.711 encoding into a reused buffer, or a byte view
 * of the PCM16 (little-endian on every supported host).
 *
 * @example
 * const outbound = createOutboundConverter(24000, { encoding: 'alaw', sampleRate: 8000 });
 * socket.send(outbound.convertToNew(frame480)); // 20 ms at 24 kHz → 160 A-law bytes
 */
export function createOutboundConverter(
  engineRate: SampleRate,
  wire: WireAudioFormat,
): OutboundConverter {
  const resampler: Resampler = createResampler({ from: engineRate, to: wire.sampleRate });
  let encoded = new Uint8Array(0);
  const encodeInto = (samples: Int16Array, out: Uint8Array): Uint8Array => {
    switch (wire.encoding) {
      case 'pcm16':
        new Int16Array(out.buffer, out.byteOffset, samples.length).set(samples);
        return out;
      case 'mulaw':
        return encodeMulaw(samples, out);
      case 'alaw':
        return encodeAlaw(samples, out);
    }
  };
  const perSample = bytesPerSample(wire);
  return {
    engineRate,
    format: wire,
    convert: (samples) => {
      const resampled = resampler.process(samples);
      if (wire.encoding === 'pcm16') {
        return new Uint8Array(resampled.buffer, resampled.byteOffset, resampled.byteLength);
      }
      if (encoded.length < resampled.length) {
        encoded = new Uint8Array(Math.max(resampled.length, 2 * encoded.length));
      }
      return wire.encoding === 'mulaw'
        ? encodeMulaw(resampled, encoded)
        : encodeAlaw(resampled, encoded);
    },
    convertToNew: (samples) => {
      const resampled = resampler.process(samples);
      return encodeInto(resampled, new Uint8Array(resampled.length * perSample));
    },
    reset: () => {
      resampler.reset();
    },
  };
}
