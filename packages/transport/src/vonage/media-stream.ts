/**
 * A Vonage WebSocket call leg (NCCO `connect` to a `websocket` endpoint): Vonage's wire
 * format on the carrier-agnostic stream of `../telephony/carrier-stream.ts` — binary frames
 * of 16-bit linear PCM (little-endian) at 8 or 16 kHz both ways, exactly 20 ms each (320 or
 * 640 bytes); a `notify` after every segment (returned as `websocket:notify` once Vonage
 * has played the audio before it), and `clear` on barge-in (answered by `websocket:cleared`).
 * Vonage's socket is one call leg: no stream id, no `stop` (the call ends when it closes).
 */
import { VoiceError } from '@prx-voice/types';
import type { CarrierMessage, CarrierProtocol } from '../telephony/carrier-protocol.js';
import { createCarrierMediaStream } from '../telephony/carrier-stream.js';
import type { CarrierMediaStream, CarrierMediaStreamOptions } from '../telephony/carrier-stream.js';
import { parseVonageMessage } from './messages.js';
import type { VonageInboundMessage } from './messages.js';

/** The content types of a Vonage WebSocket this transport takes (NCCO `content-type`). */
export const VONAGE_CONTENT_TYPES = Object.freeze([
  'audio/l16;rate=16000',
  'audio/l16;rate=8000',
] as const);
/** One of {@link VONAGE_CONTENT_TYPES}. */
export type VonageContentType = (typeof VONAGE_CONTENT_TYPES)[number];

/** The stream id a Vonage socket's messages carry here (Vonage names none: one socket, one leg). */
export const VONAGE_STREAM_ID = 'websocket';

/** What `websocket:connected` tells. */
export interface VonageStartInfo {
  /** As Vonage sent it (`audio/l16;rate=16000`). */
  readonly contentType: string;
  readonly sampleRate: number;
  /** The NCCO endpoint's `headers`, echoed (string values; others as JSON). */
  readonly headers: Readonly<Record<string, string>>;
}

function toCarrierMessage(message: VonageInboundMessage): CarrierMessage<VonageStartInfo> {
  const common = { event: message.event, streamId: VONAGE_STREAM_ID };
  switch (message.event) {
    case 'websocket:connected': {
      const contentType = message['content-type'];
      const sampleRate = Number(/rate=(\d+)/i.exec(contentType)?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message)) {
        if (name === 'event' || name === 'content-type') continue;
        headers[name] = typeof value === 'string' ? value : JSON.stringify(value);
      }
      return {
        ...common,
        kind: 'start',
        mediaFormat: { encoding: 'audio/l16', sampleRate, channels: 1 },
        start: { contentType, sampleRate, headers },
      };
    }
    case 'websocket:dtmf':
      return { ...common, kind: 'dtmf', digit: message.digit };
    case 'websocket:notify':
      return { ...common, kind: 'played', name: message.payload.name };
    case 'websocket:cleared':
      return { ...common, kind: 'cleared' };
  }
}

/** Vonage's WebSocket call leg as a {@link CarrierProtocol} (binary audio). */
export const vonageProtocol: CarrierProtocol<VonageStartInfo> = {
  label: 'Vonage',
  parse: (text) => {
    const result = parseVonageMessage(text);
    return result.kind === 'message'
      ? { kind: 'message', message: toCarrierMessage(result.message) }
      : result;
  },
  audioFormat: (format) => {
    if (format.sampleRate === 8000 || format.sampleRate === 16000) {
      return { encoding: 'pcm16', sampleRate: format.sampleRate };
    }
    return new VoiceError('UNSUPPORTED_AUDIO_FORMAT', {
      message: `The socket's audio/l16 at ${format.sampleRate} Hz is not supported; expected 8000 or 16000 Hz.`,
      details: { mediaFormat: format },
    });
  },
  // Audio leaves as binary frames, not in an envelope.
  mediaEnvelope: () => ({ prefix: '', suffix: '' }),
  mark: (_streamId, name) => JSON.stringify({ action: 'notify', payload: { name } }),
  clear: () => '{"action":"clear"}',
  binaryAudio: {
    parseBinary: (bytes) => ({
      kind: 'message',
      message: {
        kind: 'audio',
        event: 'audio',
        streamId: VONAGE_STREAM_ID,
        inbound: true,
        payload: bytes,
      },
    }),
  },
};

/** Options of {@link createVonageMediaStream}. */
export type VonageMediaStreamOptions = Omit<CarrierMediaStreamOptions<VonageStartInfo>, 'protocol'>;

/** One Vonage WebSocket connection. */
export type VonageMediaStream = CarrierMediaStream<VonageStartInfo>;

/**
 * Creates the protocol handler of one Vonage WebSocket; pass whether each frame is binary.
 *
 * @example
 * const stream = createVonageMediaStream({ socket: ws, clock, engine: { inputRate: 16000, outputRate: 24000 }, handlers });
 * ws.on('message', (data, isBinary) => stream.receive(data as Buffer, isBinary));
 */
export function createVonageMediaStream(options: VonageMediaStreamOptions): VonageMediaStream {
  return createCarrierMediaStream({ ...options, protocol: vonageProtocol });
}
