/**
 * A Telnyx media stream (TeXML `<Connect><Stream bidirectionalMode="rtp">`): Telnyx's wire
 * format on the carrier-agnostic stream of `../telephony/carrier-stream.ts` — JSON
 * messages in, base64 PCMU or PCMA 8 kHz RTP payloads both ways, a `mark` after every
 * segment (returned once Telnyx has played it), and `clear` on barge-in.
 */
import { VoiceError } from '@prx-voice/types';
import type { CarrierAudioFormat } from '../telephony/carrier-audio.js';
import type { CarrierMessage, CarrierProtocol } from '../telephony/carrier-protocol.js';
import { createCarrierMediaStream } from '../telephony/carrier-stream.js';
import type { CarrierMediaStream, CarrierMediaStreamOptions } from '../telephony/carrier-stream.js';
import { parseTelnyxMessage } from './messages.js';
import type { TelnyxInboundMessage } from './messages.js';

/** The codecs a Telnyx stream can carry here (both ways, 8 kHz). */
export const TELNYX_CODECS = Object.freeze(['PCMU', 'PCMA'] as const);
/** One of {@link TELNYX_CODECS}. */
export type TelnyxCodec = (typeof TELNYX_CODECS)[number];

/** What `start` tells about the stream. */
export interface TelnyxStartInfo {
  readonly streamId: string;
  /** The call's Call Control id (REST commands address the call by it). */
  readonly callControlId: string;
  readonly callSessionId: string | undefined;
  readonly from: string | undefined;
  readonly to: string | undefined;
  /** The TeXML `<Parameter>`s of the `<Stream>`. */
  readonly customParameters: Readonly<Record<string, string>>;
  /** The dial command's `client_state` (base64), when the call was placed through Call Control. */
  readonly clientState?: string | undefined;
  readonly mediaFormat: {
    readonly encoding: string;
    readonly sampleRate: number;
    readonly channels: number;
  };
}

const FORMATS: Readonly<Record<TelnyxCodec, CarrierAudioFormat>> = {
  PCMU: { encoding: 'mulaw', sampleRate: 8000 },
  PCMA: { encoding: 'alaw', sampleRate: 8000 },
};

/** A Telnyx message in carrier-neutral terms. */
function toCarrierMessage(message: TelnyxInboundMessage): CarrierMessage<TelnyxStartInfo> {
  if (message.event === 'connected') return { kind: 'connected' };
  const common = {
    event: message.event,
    streamId: message.stream_id ?? '',
    sequence: message.sequence_number,
  };
  switch (message.event) {
    case 'start': {
      const { start } = message;
      const mediaFormat = {
        encoding: start.media_format.encoding,
        sampleRate: start.media_format.sample_rate,
        channels: start.media_format.channels,
      };
      return {
        ...common,
        kind: 'start',
        mediaFormat,
        start: {
          streamId: message.stream_id,
          callControlId: start.call_control_id,
          callSessionId: start.call_session_id,
          from: start.from,
          to: start.to,
          customParameters: start.custom_parameters ?? {},
          clientState: start.client_state ?? undefined,
          mediaFormat,
        },
      };
    }
    case 'media':
      return {
        ...common,
        kind: 'audio',
        // `inbound_track` streams may leave the track out; `both_tracks` names each.
        inbound: message.media.track === undefined || message.media.track === 'inbound',
        payload: message.media.payload,
      };
    case 'dtmf':
      return { ...common, kind: 'dtmf', digit: message.dtmf.digit };
    case 'mark':
      return { ...common, kind: 'played', name: message.mark.name };
    case 'error': {
      const p = message.payload;
      const text = [p?.code, p?.title, p?.detail].filter((v) => v !== undefined).join(' ');
      return { ...common, kind: 'carrier-error', message: text === '' ? 'unknown error' : text };
    }
    case 'stop':
      return { ...common, kind: 'stop' };
  }
}

/** Telnyx media streaming (bidirectional `rtp` mode) as a {@link CarrierProtocol}. */
export const telnyxProtocol: CarrierProtocol<TelnyxStartInfo> = {
  label: 'Telnyx',
  parse: (text) => {
    const result = parseTelnyxMessage(text);
    return result.kind === 'message'
      ? { kind: 'message', message: toCarrierMessage(result.message) }
      : result;
  },
  audioFormat: (format) => {
    const known = (TELNYX_CODECS as readonly string[]).includes(format.encoding)
      ? FORMATS[format.encoding as TelnyxCodec]
      : undefined;
    if (known !== undefined && format.sampleRate === 8000 && format.channels === 1) return known;
    return new VoiceError('UNSUPPORTED_AUDIO_FORMAT', {
      message: `The stream's media format ${format.encoding} ${format.sampleRate} Hz × ${format.channels} is not supported; expected PCMU or PCMA 8000 Hz mono.`,
      details: { mediaFormat: format },
    });
  },
  // Telnyx knows the stream by its socket: outbound frames carry no stream id.
  mediaEnvelope: () => ({ prefix: '{"event":"media","media":{"payload":"', suffix: '"}}' }),
  mark: (_streamId, name) => JSON.stringify({ event: 'mark', mark: { name } }),
  clear: () => '{"event":"clear"}',
};

/** Options of {@link createTelnyxMediaStream}. */
export type TelnyxMediaStreamOptions = Omit<CarrierMediaStreamOptions<TelnyxStartInfo>, 'protocol'>;

/** One Telnyx media-stream connection. */
export type TelnyxMediaStream = CarrierMediaStream<TelnyxStartInfo>;

/**
 * Creates the protocol handler of one Telnyx media-stream WebSocket.
 *
 * @example
 * const stream = createTelnyxMediaStream({ socket: ws, clock, engine: { inputRate: 16000, outputRate: 24000 }, handlers });
 * ws.on('message', (data) => stream.receive(data as Buffer));
 */
export function createTelnyxMediaStream(options: TelnyxMediaStreamOptions): TelnyxMediaStream {
  return createCarrierMediaStream({ ...options, protocol: telnyxProtocol });
}
