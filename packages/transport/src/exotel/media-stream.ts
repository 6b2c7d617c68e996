/**
 * An Exotel Voicebot stream (the bidirectional AgentStream applet): Exotel's wire format on
 * the carrier-agnostic stream of `../telephony/carrier-stream.ts` — JSON messages in, base64
 * PCM16 little-endian ("raw/slin") mono at 8 kHz (or 16 kHz when the applet URL asks for it)
 * both ways; outbound payloads of at least 3200 bytes in multiples of 320, as Exotel
 * requires (a partial payload is held back, padded with silence before a mark, dropped on a
 * clear); a `mark` after every segment (returned once Exotel has played it), and `clear` on
 * barge-in.
 */
import { VoiceError } from '@prx-voice/types';
import type { CarrierAudioFormat, CarrierChunking } from '../telephony/carrier-audio.js';
import type { CarrierMessage, CarrierProtocol } from '../telephony/carrier-protocol.js';
import { createCarrierMediaStream } from '../telephony/carrier-stream.js';
import type { CarrierMediaStream, CarrierMediaStreamOptions } from '../telephony/carrier-stream.js';
import { parseExotelMessage } from './messages.js';
import type { ExotelInboundMessage } from './messages.js';

/**
 * Exotel's rule for what the bot sends: payloads of at least 3200 bytes ("3.2k, 100 ms" in
 * Exotel's words — 100 ms at 16 kHz, 200 ms at 8 kHz) in multiples of 320 bytes. The byte
 * count is what Exotel enforces, so it is the rule at every rate.
 */
export const EXOTEL_CHUNKING: CarrierChunking = Object.freeze({
  minBytes: 3200,
  multipleOfBytes: 320,
});

/** The sample rates an Exotel stream can carry here (PCM16 mono). */
export const EXOTEL_SAMPLE_RATES = Object.freeze([8000, 16000] as const);

/** What `start` tells about the stream. */
export interface ExotelStartInfo {
  readonly streamSid: string;
  /** The call's SID (Exotel's REST API knows the call by it). */
  readonly callSid: string;
  readonly accountSid: string | undefined;
  readonly from: string | undefined;
  readonly to: string | undefined;
  /** The applet URL's query parameters. */
  readonly customParameters: Readonly<Record<string, string>>;
  readonly mediaFormat: {
    readonly encoding: string;
    readonly sampleRate: number;
    readonly channels: number;
  };
}

/** The names Exotel's docs and accounts use for raw PCM16 ("audio/x-raw", "raw/slin"). */
const RAW_ENCODINGS = /^(audio\/x-raw|raw|slin|raw\/slin|s16le|pcm16?|audio\/l16)$/i;

/** An Exotel message in carrier-neutral terms. */
function toCarrierMessage(message: ExotelInboundMessage): CarrierMessage<ExotelStartInfo> {
  if (message.event === 'connected') return { kind: 'connected' };
  const common = {
    event: message.event,
    streamId: message.stream_sid,
    sequence: message.sequence_number,
  };
  switch (message.event) {
    case 'start': {
      const { start } = message;
      const mediaFormat = {
        encoding: start.media_format.encoding,
        sampleRate: start.media_format.sample_rate,
        // Exotel streams are mono and do not say so; a bit rate other than 16 is refused.
        channels:
          start.media_format.bit_rate === undefined || start.media_format.bit_rate === 16 ? 1 : 0,
      };
      return {
        ...common,
        kind: 'start',
        mediaFormat,
        start: {
          streamSid: message.stream_sid,
          callSid: start.call_sid,
          accountSid: start.account_sid,
          from: start.from,
          to: start.to,
          customParameters: start.custom_parameters ?? {},
          mediaFormat,
        },
      };
    }
    case 'media':
      return { ...common, kind: 'audio', inbound: true, payload: message.media.payload };
    case 'dtmf':
      return { ...common, kind: 'dtmf', digit: message.dtmf.digit };
    case 'mark':
      return { ...common, kind: 'played', name: message.mark.name };
    case 'stop':
      return { ...common, kind: 'stop' };
  }
}

/** Exotel's Voicebot stream as a {@link CarrierProtocol}. */
export const exotelProtocol: CarrierProtocol<ExotelStartInfo> = {
  label: 'Exotel',
  parse: (text) => {
    const result = parseExotelMessage(text);
    return result.kind === 'message'
      ? { kind: 'message', message: toCarrierMessage(result.message) }
      : result;
  },
  audioFormat: (format): CarrierAudioFormat | VoiceError => {
    const rate = format.sampleRate;
    if (
      RAW_ENCODINGS.test(format.encoding) &&
      format.channels === 1 &&
      (rate === 8000 || rate === 16000)
    ) {
      return { encoding: 'pcm16', sampleRate: rate };
    }
    return new VoiceError('UNSUPPORTED_AUDIO_FORMAT', {
      message: `The stream's media format ${format.encoding} ${format.sampleRate} Hz is not supported; expected raw 16-bit PCM (audio/x-raw) at 8000 or 16000 Hz, mono.`,
      details: { mediaFormat: format },
    });
  },
  mediaEnvelope: (streamId) => ({
    prefix: `{"event":"media","stream_sid":${JSON.stringify(streamId)},"media":{"payload":"`,
    suffix: '"}}',
  }),
  mark: (streamId, name) => JSON.stringify({ event: 'mark', stream_sid: streamId, mark: { name } }),
  clear: (streamId) => JSON.stringify({ event: 'clear', stream_sid: streamId }),
  outboundChunking: EXOTEL_CHUNKING,
};

/** Options of {@link createExotelMediaStream}. */
export type ExotelMediaStreamOptions = Omit<CarrierMediaStreamOptions<ExotelStartInfo>, 'protocol'>;

/** One Exotel Voicebot stream connection. */
export type ExotelMediaStream = CarrierMediaStream<ExotelStartInfo>;

/**
 * Creates the protocol handler of one Exotel Voicebot WebSocket.
 *
 * @example
 * const stream = createExotelMediaStream({ socket: ws, clock, engine: { inputRate: 16000, outputRate: 24000 }, handlers });
 * ws.on('message', (data) => stream.receive(data as Buffer));
 */
export function createExotelMediaStream(options: ExotelMediaStreamOptions): ExotelMediaStream {
  return createCarrierMediaStream({ ...options, protocol: exotelProtocol });
}
