/**
 * The audio path of a carrier's media stream: base64 payloads in the carrier's format
 * (µ-law or A-law 8 kHz, PCM16 little-endian 8 or 16 kHz) ↔ PCM16 at the engine's rates,
 * through `@prx-voice/media`'s codecs and resampler. Buffers are reused across messages;
 * outbound audio leaves as one message per 20 ms, nothing held back but the resampler's
 * look-ahead.
 */
import { createResampler, encodeAlaw, encodeMulaw } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import { bytesPerSample, createInboundConverter } from '../audio-format.js';

/** A carrier's media format: G.711 at 8 kHz or PCM16 little-endian at 8 or 16 kHz, mono. */
export type CarrierAudioFormat =
  | { readonly encoding: 'mulaw' | 'alaw'; readonly sampleRate: 8000 }
  | { readonly encoding: 'pcm16'; readonly sampleRate: 8000 | 16000 };

/** Milliseconds of audio in one outbound payload. */
export const CARRIER_CHUNK_MS = 20;

/** Samples in one 20 ms payload of `format`. */
export function carrierChunkSamples(format: CarrierAudioFormat): number {
  return (format.sampleRate * CARRIER_CHUNK_MS) / 1000;
}

/** Carrier payloads → engine PCM16. */
export interface CarrierInboundAudio {
  /** Decodes and resamples one base64 payload; a view valid until the next call. */
  decode(payload: string): Int16Array;
}

/**
 * Creates the inbound audio path to the engine's input rate. Throws `INVALID_AUDIO`
 * from `decode` for PCM16 of odd byte length.
 */
export function createCarrierInboundAudio(
  format: CarrierAudioFormat,
  engineRate: SampleRate,
): CarrierInboundAudio {
  const converter = createInboundConverter(format, engineRate);
  let bytes = Buffer.alloc(640);
  return {
    decode: (payload) => {
      const capacity = Math.ceil((payload.length * 3) / 4);
      if (bytes.length < capacity) bytes = Buffer.alloc(Math.max(capacity, 2 * bytes.length));
      const length = bytes.write(payload, 0, 'base64');
      return converter.convert(bytes.subarray(0, length));
    },
  };
}

/** How an outbound `media` message is written around its base64 payload. */
export interface MediaEnvelope {
  /** The JSON before the payload, up to and including its opening quote. */
  readonly prefix: string;
  /** The JSON after the payload, from its closing quote. */
  readonly suffix: string;
}

/**
 * A carrier's rule for outbound payload sizes (Exotel: at least 3200 bytes, in multiples
 * of 320): audio is held until a full payload is ready, and a flush pads the rest with
 * silence up to a full payload.
 */
export interface CarrierChunking {
  /** The shortest payload, in bytes. */
  readonly minBytes: number;
  /** Every payload's byte length is a multiple of this. */
  readonly multipleOfBytes: number;
}

/** Bytes of one outbound payload of `format`: 20 ms, or what `chunking` asks for. */
export function carrierPayloadBytes(
  format: CarrierAudioFormat,
  chunking?: CarrierChunking,
): number {
  if (chunking === undefined) return carrierChunkSamples(format) * bytesPerSample(format);
  return Math.ceil(chunking.minBytes / chunking.multipleOfBytes) * chunking.multipleOfBytes;
}

/** Engine PCM16 → carrier `media` messages; see {@link createCarrierOutboundAudio}. */
export interface CarrierOutboundAudio {
  /** Writes later messages in this envelope (it names the stream). */
  setEnvelope(envelope: MediaEnvelope): void;
  /** Resamples and sends; returns the number of `media` messages sent. */
  push(samples: Int16Array): number;
  /**
   * Sends what the resampler (and, with chunking, the payload being filled) holds back
   * and starts a new stretch; returns messages sent.
   */
  flush(): number;
  /** Drops what the resampler (and the payload being filled) holds back. */
  reset(): void;
}

/** The encoded byte of silence of each encoding. */
const SILENCE: Readonly<Record<CarrierAudioFormat['encoding'], number>> = {
  mulaw: 0xff,
  alaw: 0xd5,
  pcm16: 0,
};

/**
 * Creates the outbound audio path from the engine's output rate: resample to the
 * carrier's rate, encode into a reused buffer, and `send` one JSON `media` message
 * per 20 ms (the last of a call may be shorter) — or, with `chunking`, per payload of
 * the carrier's size, holding a partial payload back until it fills or a flush pads it.
 */
export function createCarrierOutboundAudio(
  engineRate: SampleRate,
  format: CarrierAudioFormat,
  send: (message: string) => void,
  chunking?: CarrierChunking,
): CarrierOutboundAudio {
  const resampler = createResampler({ from: engineRate, to: format.sampleRate });
  const perSample = bytesPerSample(format);
  const chunkBytes = carrierPayloadBytes(format, chunking);
  const hold = chunking !== undefined;
  let encoded = Buffer.alloc(chunkBytes * 4);
  /** Bytes at the start of `encoded` waiting for a full payload (chunking only). */
  let held = 0;
  let envelope: MediaEnvelope = { prefix: '', suffix: '' };
  const encode = (samples: Int16Array, at: number): void => {
    switch (format.encoding) {
      case 'mulaw':
        encodeMulaw(samples, encoded.subarray(at));
        return;
      case 'alaw':
        encodeAlaw(samples, encoded.subarray(at));
        return;
      case 'pcm16':
        // Little-endian on every supported host: the samples' bytes are the payload.
        new Int16Array(encoded.buffer, encoded.byteOffset + at, samples.length).set(samples);
        return;
    }
  };
  const sendAll = (samples: Int16Array, final: boolean): number => {
    let length = held + samples.length * perSample;
    if (length + chunkBytes > encoded.length) {
      const grown = Buffer.alloc(Math.max(length + chunkBytes, 2 * encoded.length));
      encoded.copy(grown, 0, 0, held);
      encoded = grown;
    }
    encode(samples, held);
    if (hold && final && length % chunkBytes !== 0) {
      // The stretch ends: pad the last payload with silence to the carrier's size.
      const padded = Math.ceil(length / chunkBytes) * chunkBytes;
      encoded.fill(SILENCE[format.encoding], length, padded);
      length = padded;
    }
    let sent = 0;
    let at = 0;
    for (; at < length; at += chunkBytes) {
      if (hold && length - at < chunkBytes) break;
      const end = Math.min(at + chunkBytes, length);
      send(`${envelope.prefix}${encoded.toString('base64', at, end)}${envelope.suffix}`);
      sent++;
    }
    held = hold ? length - Math.min(at, length) : 0;
    if (held > 0) encoded.copyWithin(0, at, length);
    return sent;
  };
  return {
    setEnvelope: (next) => {
      envelope = next;
    },
    push: (samples) => sendAll(resampler.process(samples), false),
    flush: () => sendAll(resampler.flush(), true),
    reset: () => {
      resampler.reset();
      held = 0;
    },
  };
}
