/**
 * A Twilio Media Streams WebSocket (bidirectional, `<Connect><Stream>`): Twilio's wire
 * format on the carrier-agnostic stream of `../telephony/carrier-stream.ts` — JSON
 * messages in, base64 µ-law 8 kHz both ways, a `mark` after every segment (echoed once
 * Twilio has played it), and `clear` on barge-in.
 */
import { VoiceError } from '@prx-voice/types';
import type { CarrierAudioFormat } from '../telephony/carrier-audio.js';
import type { CarrierMessage, CarrierProtocol } from '../telephony/carrier-protocol.js';
import {
  DEFAULT_CARRIER_STREAM_LIMITS,
  createCarrierMediaStream,
} from '../telephony/carrier-stream.js';
import type {
  CarrierMarkInfo,
  CarrierMediaStream,
  CarrierMediaStreamHandlers,
  CarrierMediaStreamOptions,
  CarrierStreamLimits,
  CarrierStreamState,
  CarrierStreamStats,
} from '../telephony/carrier-stream.js';
import { parseTwilioMessage } from './messages.js';
import type { TwilioInboundMessage } from './messages.js';

/** What `start` tells about the stream. */
export interface TwilioStartInfo {
  readonly streamSid: string;
  readonly callSid: string;
  readonly accountSid: string;
  /** The `<Parameter>`s of the TwiML `<Stream>`. */
  readonly customParameters: Readonly<Record<string, string>>;
  /** Tracks Twilio will send, e.g. `["inbound"]`. */
  readonly tracks: readonly string[];
  readonly mediaFormat: {
    readonly encoding: string;
    readonly sampleRate: number;
    readonly channels: number;
  };
}

/** Context of a mark echo. */
export type TwilioMarkInfo = CarrierMarkInfo;
/** What the server does with Twilio's messages; arguments are valid only during the call. */
export type TwilioMediaStreamHandlers = CarrierMediaStreamHandlers<TwilioStartInfo>;
/** Limits of one Twilio stream. */
export type TwilioStreamLimits = CarrierStreamLimits;
/** Defaults of {@link TwilioStreamLimits}. */
export const DEFAULT_TWILIO_STREAM_LIMITS: TwilioStreamLimits = DEFAULT_CARRIER_STREAM_LIMITS;
/** Options of {@link createTwilioMediaStream}. */
export type TwilioMediaStreamOptions = Omit<CarrierMediaStreamOptions<TwilioStartInfo>, 'protocol'>;
/** Where the stream is. */
export type TwilioStreamState = CarrierStreamState;
/** Counters of one stream. */
export type TwilioStreamStats = CarrierStreamStats;

/** One Twilio Media Streams connection; see {@link createTwilioMediaStream}. */
export interface TwilioMediaStream extends CarrierMediaStream<TwilioStartInfo> {
  /** From `start`; undefined before it. */
  readonly streamSid: string | undefined;
}

/** Twilio's only media format: µ-law 8 kHz mono. */
const TWILIO_FORMAT: CarrierAudioFormat = { encoding: 'mulaw', sampleRate: 8000 };

/** A Twilio message in carrier-neutral terms. */
function toCarrierMessage(message: TwilioInboundMessage): CarrierMessage<TwilioStartInfo> {
  if (message.event === 'connected') return { kind: 'connected' };
  const common = {
    event: message.event,
    streamId: message.streamSid,
    sequence: Number(message.sequenceNumber),
  };
  switch (message.event) {
    case 'start': {
      const { start } = message;
      return {
        ...common,
        kind: 'start',
        mediaFormat: start.mediaFormat,
        start: {
          streamSid: message.streamSid,
          callSid: start.callSid,
          accountSid: start.accountSid,
          customParameters: start.customParameters,
          tracks: start.tracks,
          mediaFormat: start.mediaFormat,
        },
      };
    }
    case 'media':
      return {
        ...common,
        kind: 'audio',
        inbound: message.media.track === 'inbound',
        payload: message.media.payload,
      };
    case 'dtmf':
      return { ...common, kind: 'dtmf', digit: message.dtmf.digit };
    case 'mark':
      return { ...common, kind: 'played', name: message.mark.name };
    case 'stop':
      return { ...common, kind: 'stop' };
  }
}

/** Twilio Media Streams as a {@link CarrierProtocol}. */
export const twilioProtocol: CarrierProtocol<TwilioStartInfo> = {
  label: 'Twilio',
  parse: (text) => {
    const result = parseTwilioMessage(text);
    return result.kind === 'message'
      ? { kind: 'message', message: toCarrierMessage(result.message) }
      : result;
  },
  audioFormat: (format) =>
    format.encoding === 'audio/x-mulaw' && format.sampleRate === 8000 && format.channels === 1
      ? TWILIO_FORMAT
      : new VoiceError('UNSUPPORTED_AUDIO_FORMAT', {
          message: `The stream's media format ${format.encoding} ${format.sampleRate} Hz × ${format.channels} is not supported; expected audio/x-mulaw 8000 Hz mono.`,
          details: { mediaFormat: format },
        }),
  mediaEnvelope: (streamSid) => ({
    prefix: `{"event":"media","streamSid":${JSON.stringify(streamSid)},"media":{"payload":"`,
    suffix: '"}}',
  }),
  mark: (streamSid, name) => JSON.stringify({ event: 'mark', streamSid, mark: { name } }),
  clear: (streamSid) => JSON.stringify({ event: 'clear', streamSid }),
};

/**
 * Creates the protocol handler of one Twilio Media Streams WebSocket.
 *
 * @example
 * const stream = createTwilioMediaStream({ socket: ws, clock, engine: { inputRate: 16000, outputRate: 24000 }, handlers });
 * ws.on('message', (data) => stream.receive(data as Buffer));
 * // pacer: stream.sendAudio(frame); after each segment: stream.sendMark(segmentId); barge-in: stream.clear()
 */
export function createTwilioMediaStream(options: TwilioMediaStreamOptions): TwilioMediaStream {
  const stream = createCarrierMediaStream({ ...options, protocol: twilioProtocol });
  return Object.defineProperty(stream, 'streamSid', {
    get: () => stream.streamId,
    enumerable: true,
  }) as TwilioMediaStream;
}
