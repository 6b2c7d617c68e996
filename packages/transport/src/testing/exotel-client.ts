/**
 * A scripted Exotel Voicebot client: builds the messages Exotel sends, as Exotel documents
 * them (snake_case, `stream_sid` at the top level, `sequence_number`, `media.chunk` and
 * `media.timestamp` as decimal strings from 1, base64 PCM16 little-endian mono in chunks of
 * 100 ms, the applet URL's query echoed as `start.custom_parameters`), checks what the bot
 * sends back against Exotel's rules (payloads of at least 3200 bytes in multiples of 320,
 * every message naming the stream), and plays it as Exotel's buffer does: a `mark` comes back
 * only once the audio before it has played, and a `clear` empties the buffer and returns the
 * marks in it.
 */
import { exotelOutboundSchema } from '../exotel/messages.js';
import type { ExotelOutboundMessage } from '../exotel/messages.js';
import { createCarrierPlayback } from './carrier-playback.js';

/** Options of {@link createExotelClientScript}. */
export interface ExotelClientScriptOptions {
  readonly streamSid?: string;
  readonly callSid?: string;
  readonly accountSid?: string;
  readonly from?: string;
  readonly to?: string;
  /** The applet URL's query, echoed in `start.custom_parameters`. */
  readonly customParameters?: Readonly<Record<string, string>>;
  /** The stream's rate (default 8000; 16000 when the URL asks `?sample-rate=16000`). */
  readonly sampleRate?: 8000 | 16000;
}

/** A scripted Exotel side of one stream; each method returns the JSON text to send. */
export interface ExotelClientScript {
  readonly streamSid: string;
  readonly callSid: string;
  /** The `sequence_number` of the last message built (0 before any). */
  readonly sequenceNumber: number;
  /** `connected`. */
  connected(): string;
  /** `start`, with the call, custom parameters and media format. */
  start(): string;
  /** One `media` message carrying PCM16 little-endian bytes. */
  media(bytes: Uint8Array): string;
  /** PCM16 at the stream's rate as `media` messages of 100 ms (the last may be shorter). */
  audio(samples: Int16Array): string[];
  /** `dtmf` for one key. */
  dtmf(digit: string): string;
  /** `mark`: a mark the bot sent, returned. */
  mark(name: string): string;
  /**
   * Takes a message the bot sent into the playback buffer (throwing when a `media` payload
   * breaks Exotel's size rule or a message names another stream); returns the marks due back now.
   */
  outbound(message: ExotelOutboundMessage): string[];
  /** Plays up to `ms` of buffered audio; returns the marks it reached, in order. */
  play(ms: number): string[];
  /** Plays the buffer up to the next mark; that mark's message, or undefined when none is buffered. */
  playToMark(): string | undefined;
  /** Audio buffered and not played yet, in ms. */
  readonly bufferedMs: number;
  /** Names of the marks in the buffer, in order. */
  readonly pendingMarks: readonly string[];
  /** `stop`. */
  stop(reason?: string): string;
}

/** Exotel's rule for a payload the bot sends: at least 3200 bytes, a multiple of 320. */
export function exotelPayloadProblem(bytes: number): string | undefined {
  if (bytes < 3200) return `payload of ${String(bytes)} bytes is shorter than 3200 (100 ms)`;
  if (bytes % 320 !== 0) return `payload of ${String(bytes)} bytes is not a multiple of 320`;
  return undefined;
}

/**
 * Creates an {@link ExotelClientScript}.
 *
 * @example
 * const exotel = createExotelClientScript({ customParameters: { session_id, tenant_id, stream_token } });
 * ws.send(exotel.connected()); ws.send(exotel.start());
 * for (const message of exotel.audio(speech8k)) ws.send(message);
 */
export function createExotelClientScript(
  options: ExotelClientScriptOptions = {},
): ExotelClientScript {
  const streamSid = options.streamSid ?? 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const callSid = options.callSid ?? 'd3b0c1e2f3a4b5c6d7e8f9a0b1c2d3e4';
  const rate = options.sampleRate ?? 8000;
  const chunkSamples = rate / 10;
  let sequence = 0;
  let chunk = 0;
  let samplesSent = 0;
  const next = (): string => String(++sequence);
  const media = (bytes: Uint8Array): string => {
    const message = JSON.stringify({
      event: 'media',
      sequence_number: next(),
      stream_sid: streamSid,
      media: {
        chunk: String(++chunk),
        timestamp: String(Math.floor((samplesSent * 1000) / rate)),
        payload: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
      },
    });
    samplesSent += bytes.byteLength / 2;
    return message;
  };
  const mark = (name: string): string =>
    JSON.stringify({
      event: 'mark',
      sequence_number: next(),
      stream_sid: streamSid,
      mark: { name },
    });
  const playback = createCarrierPlayback(rate, mark);
  const ours = (message: ExotelOutboundMessage): void => {
    if (message.stream_sid !== streamSid) {
      throw new Error(`Exotel: a ${message.event} names stream ${message.stream_sid}`);
    }
  };
  return {
    streamSid,
    callSid,
    get sequenceNumber() {
      return sequence;
    },
    connected: () => JSON.stringify({ event: 'connected' }),
    start: () =>
      JSON.stringify({
        event: 'start',
        sequence_number: next(),
        stream_sid: streamSid,
        start: {
          stream_sid: streamSid,
          call_sid: callSid,
          account_sid: options.accountSid ?? 'exoteltest1',
          from: options.from ?? '09876543210',
          to: options.to ?? '08047491899',
          custom_parameters: options.customParameters ?? {},
          media_format: { encoding: 'audio/x-raw', sample_rate: String(rate), bit_rate: '16' },
        },
      }),
    media,
    audio: (samples) => {
      const messages: string[] = [];
      for (let at = 0; at < samples.length; at += chunkSamples) {
        const part = samples.subarray(at, Math.min(at + chunkSamples, samples.length));
        messages.push(media(new Uint8Array(part.buffer, part.byteOffset, part.byteLength)));
      }
      return messages;
    },
    dtmf: (digit) =>
      JSON.stringify({
        event: 'dtmf',
        sequence_number: next(),
        stream_sid: streamSid,
        dtmf: { digit, duration: '100' },
      }),
    mark,
    outbound: (message) => {
      ours(message);
      switch (message.event) {
        case 'media': {
          const bytes = Buffer.from(message.media.payload, 'base64').length;
          const problem = exotelPayloadProblem(bytes);
          if (problem !== undefined) throw new Error(`Exotel: ${problem}`);
          playback.audio(bytes / 2);
          return [];
        }
        case 'mark':
          return playback.mark(message.mark.name);
        case 'clear':
          return playback.clear();
      }
    },
    play: (ms) => playback.play(ms),
    playToMark: () => playback.playToMark(),
    get bufferedMs() {
      return playback.bufferedMs;
    },
    get pendingMarks() {
      return playback.pendingMarks;
    },
    stop: (reason = 'callended') =>
      JSON.stringify({
        event: 'stop',
        sequence_number: next(),
        stream_sid: streamSid,
        stop: { call_sid: callSid, account_sid: options.accountSid ?? 'exoteltest1', reason },
      }),
  };
}

/** Parses and validates one message the bot sent to Exotel; throws if it is not one. */
export function parseExotelOutbound(data: string | Uint8Array): ExotelOutboundMessage {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  return exotelOutboundSchema.parse(JSON.parse(text));
}

/** The PCM16 of every `media` message among `frames`, joined (a copy). */
export function decodeExotelOutboundAudio(frames: readonly (string | Uint8Array)[]): Int16Array {
  const parts: Buffer[] = [];
  for (const frame of frames) {
    const message = parseExotelOutbound(frame);
    if (message.event === 'media') parts.push(Buffer.from(message.media.payload, 'base64'));
  }
  const bytes = Buffer.concat(parts);
  const out = new Int16Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2);
  return out;
}
