/**
 * A scripted Telnyx media-streaming client: builds the messages Telnyx sends, as Telnyx
 * documents them (snake_case, `stream_id` at the top level, `sequence_number` as a
 * decimal string from 1, `media.chunk` from 1, `media.timestamp` in ms, base64 PCMU or
 * PCMA 8 kHz RTP payloads without headers in 20 ms chunks), reads what the server sends
 * back, and plays it as Telnyx's buffer does: a `mark` comes back only once the media
 * before it has played, and a `clear` empties the buffer and returns the marks in it.
 * Also a signer standing in for Telnyx's Ed25519 webhook signatures.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from '@prx-voice/media';
import { telnyxOutboundSchema } from '../telnyx/messages.js';
import type { TelnyxOutboundMessage } from '../telnyx/messages.js';
import type { TelnyxCodec } from '../telnyx/media-stream.js';
import { TELNYX_SIGNATURE_HEADER, TELNYX_TIMESTAMP_HEADER } from '../telnyx/signature.js';
import { createCarrierPlayback } from './carrier-playback.js';

/** Options of {@link createTelnyxClientScript}. */
export interface TelnyxClientScriptOptions {
  readonly streamId?: string;
  readonly callControlId?: string;
  readonly from?: string;
  readonly to?: string;
  /** The `<Parameter>`s the TeXML set, echoed in `start.custom_parameters`. */
  readonly customParameters?: Readonly<Record<string, string>>;
  /** The stream's codec (default `PCMU`). */
  readonly codec?: TelnyxCodec;
  /** The dial command's `client_state` (base64), echoed in `start`. */
  readonly clientState?: string;
}

/** A scripted Telnyx side of one stream; each method returns the JSON text to send. */
export interface TelnyxClientScript {
  readonly streamId: string;
  readonly callControlId: string;
  /** The `sequence_number` of the last message built (0 before any). */
  readonly sequenceNumber: number;
  /** `connected` (no sequence number). */
  connected(): string;
  /** `start`, with the call, custom parameters and media format. */
  start(): string;
  /** One `media` message carrying encoded bytes (8 kHz), on the given track. */
  media(encoded: Uint8Array, track?: string): string;
  /** 8 kHz PCM16 as `media` messages of 20 ms in the stream's codec (the last may be shorter). */
  audio(samples8k: Int16Array): string[];
  /** `dtmf` for one key. */
  dtmf(digit: string): string;
  /** `mark`: a mark the server sent, returned. */
  mark(name: string): string;
  /** `error`, as Telnyx reports a fault on the stream. */
  error(code: number, title: string, detail: string): string;
  /**
   * Takes a message the server sent into the playback buffer; returns the marks due back
   * now (a mark with nothing unplayed before it, every mark a clear dropped).
   */
  outbound(message: TelnyxOutboundMessage): string[];
  /** Plays up to `ms` of buffered audio; returns the marks it reached, in order. */
  play(ms: number): string[];
  /** Plays the buffer up to the next mark; that mark's message, or undefined when none is buffered. */
  playToMark(): string | undefined;
  /** Audio buffered and not played yet, in ms. */
  readonly bufferedMs: number;
  /** Names of the marks in the buffer, in order. */
  readonly pendingMarks: readonly string[];
  /** `stop`. */
  stop(): string;
}

/**
 * Creates a {@link TelnyxClientScript}.
 *
 * @example
 * const telnyx = createTelnyxClientScript({ customParameters: { session_id, stream_token } });
 * ws.send(telnyx.connected()); ws.send(telnyx.start());
 * for (const message of telnyx.audio(speech8k)) ws.send(message);
 */
export function createTelnyxClientScript(
  options: TelnyxClientScriptOptions = {},
): TelnyxClientScript {
  const streamId = options.streamId ?? '32de0dea-53cb-4b21-89a4-9e1819c043bc';
  const callControlId =
    options.callControlId ?? 'v3:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9B';
  const codec = options.codec ?? 'PCMU';
  let sequence = 0;
  let chunk = 0;
  let samplesSent = 0;
  const next = (): string => String(++sequence);
  const media = (encoded: Uint8Array, track = 'inbound'): string => {
    const message = JSON.stringify({
      event: 'media',
      sequence_number: next(),
      media: {
        track,
        chunk: String(++chunk),
        timestamp: String(Math.floor(samplesSent / 8)),
        payload: Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength).toString(
          'base64',
        ),
      },
      stream_id: streamId,
    });
    samplesSent += encoded.length;
    return message;
  };
  const mark = (name: string): string =>
    JSON.stringify({ event: 'mark', sequence_number: next(), stream_id: streamId, mark: { name } });
  const playback = createCarrierPlayback(8000, mark);
  const encode = codec === 'PCMU' ? encodeMulaw : encodeAlaw;
  return {
    streamId,
    callControlId,
    get sequenceNumber() {
      return sequence;
    },
    connected: () => JSON.stringify({ event: 'connected', version: '1.0.0' }),
    start: () =>
      JSON.stringify({
        event: 'start',
        sequence_number: next(),
        start: {
          user_id: '3e6f995f-85f7-4705-9741-53b116d28237',
          call_control_id: callControlId,
          call_session_id: 'ff55a038-6f5d-11ef-9692-02420aeffb1f',
          from: options.from ?? '+13122010094',
          to: options.to ?? '+13122123456',
          tags: [],
          client_state: options.clientState ?? null,
          custom_parameters: options.customParameters ?? {},
          media_format: { encoding: codec, sample_rate: 8000, channels: 1 },
        },
        stream_id: streamId,
      }),
    media,
    audio: (samples8k) => {
      const messages: string[] = [];
      for (let at = 0; at < samples8k.length; at += 160) {
        messages.push(media(encode(samples8k.subarray(at, Math.min(at + 160, samples8k.length)))));
      }
      return messages;
    },
    dtmf: (digit) =>
      JSON.stringify({
        event: 'dtmf',
        stream_id: streamId,
        occurred_at: '2026-01-01T00:00:00.000000Z',
        sequence_number: next(),
        dtmf: { digit },
      }),
    mark,
    error: (code, title, detail) =>
      JSON.stringify({
        event: 'error',
        sequence_number: next(),
        stream_id: streamId,
        payload: { code, title, detail },
      }),
    outbound: (message) => {
      switch (message.event) {
        case 'media':
          playback.audio(Buffer.from(message.media.payload, 'base64').length);
          return [];
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
    stop: () =>
      JSON.stringify({
        event: 'stop',
        sequence_number: next(),
        stop: { user_id: '3e6f995f-85f7-4705-9741-53b116d28237', call_control_id: callControlId },
        stream_id: streamId,
      }),
  };
}

/** Parses and validates one message the server sent to Telnyx; throws if it is not one. */
export function parseTelnyxOutbound(data: string | Uint8Array): TelnyxOutboundMessage {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  return telnyxOutboundSchema.parse(JSON.parse(text));
}

/** The 8 kHz PCM16 of every `media` message among `frames` in `codec`, decoded and joined. */
export function decodeTelnyxOutboundAudio(
  frames: readonly (string | Uint8Array)[],
  codec: TelnyxCodec = 'PCMU',
): Int16Array {
  const parts: Buffer[] = [];
  for (const frame of frames) {
    const message = parseTelnyxOutbound(frame);
    if (message.event === 'media') parts.push(Buffer.from(message.media.payload, 'base64'));
  }
  const bytes = Buffer.concat(parts);
  return codec === 'PCMU' ? decodeMulaw(bytes) : decodeAlaw(bytes);
}

/** Signs webhooks as Telnyx does; see {@link createTelnyxSigner}. */
export interface TelnyxSigner {
  /** The public key to configure: base64 of the raw 32-byte Ed25519 key. */
  readonly publicKey: string;
  /** The `telnyx-signature-ed25519` and `telnyx-timestamp` headers of `body` sent at `timestampS`. */
  headers(body: string, timestampS: number): Record<string, string>;
}

/** Creates a {@link TelnyxSigner} with a fresh Ed25519 key pair. */
export function createTelnyxSigner(): TelnyxSigner {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x ?? '';
  return {
    publicKey: Buffer.from(x, 'base64url').toString('base64'),
    headers: (body, timestampS) => {
      const timestamp = String(Math.floor(timestampS));
      const signature = sign(null, Buffer.from(`${timestamp}|${body}`, 'utf8'), privateKey);
      return {
        [TELNYX_SIGNATURE_HEADER]: signature.toString('base64'),
        [TELNYX_TIMESTAMP_HEADER]: timestamp,
      };
    },
  };
}
