/**
 * Audio of the Realtime protocol: its formats (`audio/pcm` 24 kHz, `audio/pcmu`,
 * `audio/pcma`, and the beta names) as the session WebSocket's wire formats, and
 * base64 both ways through the shared converters (G.711 codecs and the streaming
 * resampler of `@prx-voice/media`).
 */
import type { SampleRate } from '@prx-voice/media';
import { createInboundConverter, createOutboundConverter } from '../audio-format.js';
import type { InboundConverter, OutboundConverter, WireAudioFormat } from '../audio-format.js';
import type { RealtimeAudioFormatInput } from './client-events.js';

/** A format as the GA protocol reports it. */
export type RealtimeAudioFormat =
  | { readonly type: 'audio/pcm'; readonly rate: 24000 }
  | { readonly type: 'audio/pcmu' }
  | { readonly type: 'audio/pcma' };

/** The protocol's default both ways: PCM16 little-endian, 24 kHz, mono. */
export const REALTIME_DEFAULT_FORMAT: RealtimeAudioFormat = Object.freeze({
  type: 'audio/pcm',
  rate: 24000,
});

/** A validated format (GA object or beta string) in its GA form. */
export function normalizeRealtimeFormat(input: RealtimeAudioFormatInput): RealtimeAudioFormat {
  if (typeof input === 'string') {
    return input === 'pcm16'
      ? REALTIME_DEFAULT_FORMAT
      : { type: input === 'g711_ulaw' ? 'audio/pcmu' : 'audio/pcma' };
  }
  return input.type === 'audio/pcm' ? REALTIME_DEFAULT_FORMAT : { type: input.type };
}

/** The wire format of a realtime format. */
export function wireFormatOf(format: RealtimeAudioFormat): WireAudioFormat {
  switch (format.type) {
    case 'audio/pcm':
      return { encoding: 'pcm16', sampleRate: 24000 };
    case 'audio/pcmu':
      return { encoding: 'mulaw', sampleRate: 8000 };
    case 'audio/pcma':
      return { encoding: 'alaw', sampleRate: 8000 };
  }
}

/** Milliseconds of audio in `bytes` of a format. */
export function audioMs(format: RealtimeAudioFormat, bytes: number): number {
  return format.type === 'audio/pcm' ? bytes / 48 : bytes / 8;
}

/** Base64 audio of the client's format → engine PCM16, and back. */
export interface RealtimeAudioCodec {
  readonly input: RealtimeAudioFormat;
  readonly output: RealtimeAudioFormat;
  /** Decodes an `input_audio_buffer.append`'s audio; a view valid until the next call. */
  decode(base64: string): Int16Array;
  /** Encodes an engine frame as the base64 of a `response.output_audio.delta` ('' while the resampler fills). */
  encode(frame: Int16Array): { readonly base64: string; readonly bytes: number };
  /** Forgets the input stream's resampler state (`input_audio_buffer.clear`). */
  resetInput(): void;
  /** Forgets the output stream's resampler state (a response ended). */
  resetOutput(): void;
}

/**
 * Creates the codec for a pair of formats and the engine's rates.
 *
 * @example
 * const codec = createRealtimeAudioCodec({ type: 'audio/pcmu' }, REALTIME_DEFAULT_FORMAT, { inputRate: 16000, outputRate: 24000 });
 * actor.pushAudio(codec.decode(event.audio));
 */
export function createRealtimeAudioCodec(
  input: RealtimeAudioFormat,
  output: RealtimeAudioFormat,
  engine: { readonly inputRate: SampleRate; readonly outputRate: SampleRate },
): RealtimeAudioCodec {
  const inbound: InboundConverter = createInboundConverter(wireFormatOf(input), engine.inputRate);
  const outbound: OutboundConverter = createOutboundConverter(
    engine.outputRate,
    wireFormatOf(output),
  );
  return {
    input,
    output,
    decode: (base64) => {
      const bytes = Buffer.from(base64, 'base64');
      return inbound.convert(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
    encode: (frame) => {
      const bytes = outbound.convert(frame);
      if (bytes.byteLength === 0) return { base64: '', bytes: 0 };
      const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
        'base64',
      );
      return { base64, bytes: bytes.byteLength };
    },
    resetInput: () => inbound.reset(),
    resetOutput: () => outbound.reset(),
  };
}

/** How many bytes the base64 text decodes to (without decoding it). */
export function base64DecodedLength(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.floor((base64.length * 3) / 4) - padding;
}
