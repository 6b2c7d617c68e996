/**
 * A Plivo audio stream (Plivo XML `<Stream bidirectional="true">`): Plivo's wire format on
 * the carrier-agnostic stream of `../telephony/carrier-stream.ts` — JSON messages, base64
 * µ-law 8 kHz or L16 (PCM16 little-endian) 8/16 kHz both ways, a `checkpoint` after every
 * segment (answered by `playedStream` once Plivo has played it), and `clearAudio` on
 * barge-in (answered by `clearedAudio`; checkpoints it dropped are never answered).
 */
import { VoiceError } from '@prx-voice/types';
import type { CarrierAudioFormat } from '../telephony/carrier-audio.js';
import type { CarrierMessage, CarrierProtocol } from '../telephony/carrier-protocol.js';
import { createCarrierMediaStream } from '../telephony/carrier-stream.js';
import type { CarrierMediaStream, CarrierMediaStreamOptions } from '../telephony/carrier-stream.js';
import { parsePlivoMessage } from './messages.js';
import type { PlivoContentType, PlivoInboundMessage } from './messages.js';

/** What `start` tells about the stream. */
export interface PlivoStartInfo {
  readonly streamId: string;
  /** The call's UUID (Plivo's REST API addresses the call by it). */
  readonly callId: string;
  readonly accountId: string | undefined;
  readonly tracks: readonly string[];
  /** The Stream XML's `extraHeaders` (`key=value;…`), parsed. */
  readonly extraHeaders: Readonly<Record<string, string>>;
  readonly mediaFormat: { readonly encoding: string; readonly sampleRate: number };
}

/** The audio format of a Plivo content type (`audio/x-mulaw;rate=8000`, `audio/x-l16;rate=16000`). */
export function plivoAudioFormat(contentType: PlivoContentType): CarrierAudioFormat {
  switch (contentType) {
    case 'audio/x-mulaw;rate=8000':
      return { encoding: 'mulaw', sampleRate: 8000 };
    case 'audio/x-l16;rate=8000':
      return { encoding: 'pcm16', sampleRate: 8000 };
    case 'audio/x-l16;rate=16000':
      return { encoding: 'pcm16', sampleRate: 16000 };
  }
}

/** `extra_headers` (`a=1;b=2`, or comma-separated as the XML sets them) as a record; pairs without `=` are skipped. */
export function parsePlivoExtraHeaders(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (text ?? '').split(/[;,]/)) {
    const at = pair.indexOf('=');
    if (at > 0) headers[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return headers;
}

/** A Plivo message in carrier-neutral terms. */
function toCarrierMessage(message: PlivoInboundMessage): CarrierMessage<PlivoStartInfo> {
  const sequence = message.sequenceNumber;
  switch (message.event) {
    case 'start': {
      const { start } = message;
      const mediaFormat = {
        encoding: start.mediaFormat.encoding,
        sampleRate: start.mediaFormat.sampleRate,
      };
      return {
        event: 'start',
        streamId: start.streamId,
        sequence,
        kind: 'start',
        mediaFormat: { ...mediaFormat, channels: 1 },
        start: {
          streamId: start.streamId,
          callId: start.callId,
          accountId: start.accountId,
          tracks: start.tracks ?? ['inbound'],
          extraHeaders: parsePlivoExtraHeaders(message.extra_headers),
          mediaFormat,
        },
      };
    }
    case 'media':
      return {
        event: 'media',
        streamId: message.streamId,
        sequence,
        kind: 'audio',
        inbound: message.media.track === undefined || message.media.track === 'inbound',
        payload: message.media.payload,
      };
    case 'dtmf':
      return {
        event: 'dtmf',
        streamId: message.streamId,
        sequence,
        kind: 'dtmf',
        digit: message.dtmf.digit,
      };
    case 'playedStream':
      return {
        event: 'playedStream',
        streamId: message.streamId,
        sequence,
        kind: 'played',
        name: message.name,
      };
    case 'clearedAudio':
      return { event: 'clearedAudio', streamId: message.streamId, sequence, kind: 'cleared' };
  }
}

const ENCODINGS: Readonly<Record<string, 'mulaw' | 'pcm16'>> = {
  'audio/x-mulaw': 'mulaw',
  'audio/x-l16': 'pcm16',
};

/** Plivo audio streaming (bidirectional) as a {@link CarrierProtocol}. */
export const plivoProtocol: CarrierProtocol<PlivoStartInfo> = {
  label: 'Plivo',
  parse: (text) => {
    const result = parsePlivoMessage(text);
    return result.kind === 'message'
      ? { kind: 'message', message: toCarrierMessage(result.message) }
      : result;
  },
  audioFormat: (format) => {
    const encoding = ENCODINGS[format.encoding.toLowerCase()];
    if (encoding === 'mulaw' && format.sampleRate === 8000) return { encoding, sampleRate: 8000 };
    if (encoding === 'pcm16' && (format.sampleRate === 8000 || format.sampleRate === 16000)) {
      return { encoding, sampleRate: format.sampleRate };
    }
    return new VoiceError('UNSUPPORTED_AUDIO_FORMAT', {
      message: `The stream's media format ${format.encoding} ${format.sampleRate} Hz is not supported; expected audio/x-mulaw 8000 Hz or audio/x-l16 8000/16000 Hz.`,
      details: { mediaFormat: format },
    });
  },
  mediaEnvelope: (_streamId, format) => ({
    prefix: `{"event":"playAudio","media":{"contentType":"${format.encoding === 'mulaw' ? 'audio/x-mulaw' : 'audio/x-l16'}","sampleRate":${String(format.sampleRate)},"payload":"`,
    suffix: '"}}',
  }),
  mark: (streamId, name) => JSON.stringify({ event: 'checkpoint', streamId, name }),
  clear: (streamId) => JSON.stringify({ event: 'clearAudio', streamId }),
};

/** Options of {@link createPlivoMediaStream}. */
export type PlivoMediaStreamOptions = Omit<CarrierMediaStreamOptions<PlivoStartInfo>, 'protocol'>;

/** One Plivo audio-stream connection. */
export type PlivoMediaStream = CarrierMediaStream<PlivoStartInfo>;

/**
 * Creates the protocol handler of one Plivo audio-stream WebSocket.
 *
 * @example
 * const stream = createPlivoMediaStream({ socket: ws, clock, engine: { inputRate: 16000, outputRate: 24000 }, handlers });
 * ws.on('message', (data) => stream.receive(data as Buffer));
 */
export function createPlivoMediaStream(options: PlivoMediaStreamOptions): PlivoMediaStream {
  return createCarrierMediaStream({ ...options, protocol: plivoProtocol });
}
