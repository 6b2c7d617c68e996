/**
 * A scripted Twilio Media Streams client: builds the messages Twilio sends, exactly
 * as Twilio documents them (string counters, `sequenceNumber` from 1, `media.chunk`
 * from 1, `media.timestamp` in ms since the stream started, base64 µ-law 8 kHz in
 * 20 ms chunks), reads what the server sends back, and plays it as Twilio's buffer
 * does: a `mark` is echoed only once the audio sent before it has played, and a
 * `clear` empties the buffer and echoes the marks still in it.
 */
import { decodeMulaw, encodeMulaw } from '@prx-voice/media';
import { twilioOutboundSchema } from '../twilio/messages.js';
import { createCarrierPlayback } from './carrier-playback.js';
import type { TwilioOutboundMessage } from '../twilio/messages.js';

/** Options of {@link createTwilioClientScript}. */
export interface TwilioClientScriptOptions {
  readonly streamSid?: string;
  readonly callSid?: string;
  readonly accountSid?: string;
  /** The `<Parameter>`s the TwiML set, echoed in `start`. */
  readonly customParameters?: Readonly<Record<string, string>>;
  /** Tracks announced in `start` (default `["inbound"]`, as for `<Connect><Stream>`). */
  readonly tracks?: readonly string[];
}

/** A scripted Twilio side of one stream; each method returns the JSON text to send. */
export interface TwilioClientScript {
  readonly streamSid: string;
  readonly callSid: string;
  readonly accountSid: string;
  /** The `sequenceNumber` of the last message built (0 before any). */
  readonly sequenceNumber: number;
  /** Milliseconds of inbound audio sent so far (the next `media.timestamp`). */
  readonly timestampMs: number;
  /** `connected` (no sequence number, as documented). */
  connected(): string;
  /** `start`, with the stream's metadata and custom parameters. */
  start(): string;
  /** One `media` message carrying `mulaw` bytes (8 kHz), on the given track. */
  media(mulaw: Uint8Array, track?: string): string;
  /** 8 kHz PCM16 as µ-law `media` messages of 20 ms (the last may be shorter). */
  audio(samples8k: Int16Array): string[];
  /** `dtmf` for one key. */
  dtmf(digit: string): string;
  /** `mark`: the echo of a mark the server sent. */
  mark(name: string): string;
  /** The echo Twilio sends for an outbound message: a `mark` for a mark, else undefined. */
  echo(message: TwilioOutboundMessage): string | undefined;
  /**
   * Takes a message the server sent into the playback buffer: `media` is queued,
   * a `mark` waits behind the audio before it, `clear` empties the buffer. Returns
   * the echoes due now: a mark with nothing unplayed before it, every mark a clear dropped.
   */
  outbound(message: TwilioOutboundMessage): string[];
  /** Plays up to `ms` of buffered audio; returns the echoes of the marks it reached, in order. */
  play(ms: number): string[];
  /** Plays the buffer up to the next mark; its echo, or undefined when no mark is buffered. */
  playToMark(): string | undefined;
  /** Audio buffered and not played yet, in ms. */
  readonly bufferedMs: number;
  /** Audio played so far, in ms. */
  readonly playedMs: number;
  /** Names of the marks in the buffer, in order. */
  readonly pendingMarks: readonly string[];
  /** `stop`. */
  stop(): string;
}

/** Sids in Twilio's shape: a two-letter prefix and 32 hex digits. */
function sid(prefix: string, n: number): string {
  return `${prefix}${n.toString(16).padStart(32, '0')}`;
}

/**
 * Creates a {@link TwilioClientScript}.
 *
 * @example
 * const twilio = createTwilioClientScript({ customParameters: { session_id } });
 * stream.receive(twilio.connected()); stream.receive(twilio.start());
 * for (const message of twilio.audio(speech8k)) stream.receive(message);
 */
export function createTwilioClientScript(
  options: TwilioClientScriptOptions = {},
): TwilioClientScript {
  const streamSid = options.streamSid ?? sid('MZ', 1);
  const callSid = options.callSid ?? sid('CA', 1);
  const accountSid = options.accountSid ?? sid('AC', 1);
  let sequence = 0;
  let chunk = 0;
  let samplesSent = 0;
  const next = (): string => String(++sequence);
  const media = (mulaw: Uint8Array, track = 'inbound'): string => {
    const message = JSON.stringify({
      event: 'media',
      sequenceNumber: next(),
      media: {
        track,
        chunk: String(++chunk),
        timestamp: String(Math.floor(samplesSent / 8)),
        payload: Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength).toString('base64'),
      },
      streamSid,
    });
    samplesSent += mulaw.length;
    return message;
  };
  const mark = (name: string): string =>
    JSON.stringify({ event: 'mark', sequenceNumber: next(), streamSid, mark: { name } });
  // Twilio's playback buffer: audio still to play, and marks behind it.
  const playback = createCarrierPlayback(8000, mark);
  return {
    streamSid,
    callSid,
    accountSid,
    get sequenceNumber() {
      return sequence;
    },
    get timestampMs() {
      return Math.floor(samplesSent / 8);
    },
    connected: () => JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }),
    start: () =>
      JSON.stringify({
        event: 'start',
        sequenceNumber: next(),
        start: {
          accountSid,
          streamSid,
          callSid,
          tracks: options.tracks ?? ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          customParameters: options.customParameters ?? {},
        },
        streamSid,
      }),
    media,
    audio: (samples8k) => {
      const messages: string[] = [];
      for (let at = 0; at < samples8k.length; at += 160) {
        messages.push(
          media(encodeMulaw(samples8k.subarray(at, Math.min(at + 160, samples8k.length)))),
        );
      }
      return messages;
    },
    dtmf: (digit) =>
      JSON.stringify({
        event: 'dtmf',
        streamSid,
        sequenceNumber: next(),
        dtmf: { track: 'inbound_track', digit },
      }),
    mark,
    echo: (message) => (message.event === 'mark' ? mark(message.mark.name) : undefined),
    outbound: (message) => {
      switch (message.event) {
        case 'media':
          playback.audio(Buffer.from(message.media.payload, 'base64').length);
          return [];
        case 'mark':
          // Echoed at once when nothing unplayed is before it.
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
    get playedMs() {
      return playback.playedMs;
    },
    get pendingMarks() {
      return playback.pendingMarks;
    },
    stop: () =>
      JSON.stringify({
        event: 'stop',
        sequenceNumber: next(),
        streamSid,
        stop: { accountSid, callSid },
      }),
  };
}

/** Parses and validates one message the server sent to Twilio; throws if it is not one. */
export function parseTwilioOutbound(data: string | Uint8Array): TwilioOutboundMessage {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  return twilioOutboundSchema.parse(JSON.parse(text));
}

/** The 8 kHz PCM16 of every `media` message among `frames`, decoded and joined in order. */
export function decodeTwilioOutboundAudio(frames: readonly (string | Uint8Array)[]): Int16Array {
  const parts: Buffer[] = [];
  for (const frame of frames) {
    const message = parseTwilioOutbound(frame);
    if (message.event === 'media') parts.push(Buffer.from(message.media.payload, 'base64'));
  }
  return decodeMulaw(Buffer.concat(parts));
}
