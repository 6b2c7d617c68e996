/**
 * A scripted Plivo audio-streaming client: builds the messages Plivo sends, as Plivo
 * documents them (camelCase, `sequenceNumber` a number from 1 across all messages,
 * `streamId` at the top level except in `start`, `media.chunk` from 1, `media.timestamp`
 * in Unix ms as a string, base64 µ-law 8 kHz or L16 8/16 kHz in 20 ms chunks), reads what
 * the server sends back, and plays it as Plivo's queue does: a `checkpoint` is answered by
 * `playedStream` only once the audio before it has played, and a `clearAudio` empties the
 * queue, answers `clearedAudio` and never answers the checkpoints it dropped. Also a signer
 * standing in for Plivo's V3 webhook signatures.
 */
import { randomBytes } from 'node:crypto';
import { decodeMulaw, encodeMulaw } from '@prx-voice/media';
import { plivoOutboundSchema } from '../plivo/messages.js';
import type { PlivoContentType, PlivoOutboundMessage } from '../plivo/messages.js';
import { plivoAudioFormat } from '../plivo/media-stream.js';
import {
  PLIVO_NONCE_HEADER,
  PLIVO_SIGNATURE_HEADER,
  plivoParams,
  plivoSignature,
} from '../plivo/signature.js';
import { createCarrierPlayback } from './carrier-playback.js';

/** Options of {@link createPlivoClientScript}. */
export interface PlivoClientScriptOptions {
  readonly streamId?: string;
  readonly callId?: string;
  /** The stream's content type (default `audio/x-mulaw;rate=8000`). */
  readonly contentType?: PlivoContentType;
  /** The Stream XML's `extraHeaders`, echoed in `extra_headers`. */
  readonly extraHeaders?: string;
}

/** A scripted Plivo side of one stream; each method returns the JSON text to send. */
export interface PlivoClientScript {
  readonly streamId: string;
  readonly callId: string;
  /** The stream's sample rate. */
  readonly sampleRate: 8000 | 16000;
  /** The `sequenceNumber` of the last message built (0 before any). */
  readonly sequenceNumber: number;
  /** `start`, with the call, the stream and its media format. */
  start(): string;
  /** One `media` message carrying encoded bytes, on the given track. */
  media(encoded: Uint8Array, track?: string): string;
  /** PCM16 at the stream's rate as `media` messages of 20 ms (the last may be shorter). */
  audio(samples: Int16Array): string[];
  /** `dtmf` for one key. */
  dtmf(digit: string): string;
  /** `playedStream`: a checkpoint the server sent, reached. */
  playedStream(name: string): string;
  /** `clearedAudio`. */
  clearedAudio(): string;
  /**
   * Takes a message the server sent into the playback queue; returns what Plivo sends back
   * now (`playedStream` for a checkpoint with nothing unplayed before it; `clearedAudio`).
   */
  outbound(message: PlivoOutboundMessage): string[];
  /** Plays up to `ms` of queued audio; returns the `playedStream`s it reached, in order. */
  play(ms: number): string[];
  /** Plays the queue up to the next checkpoint; its `playedStream`, or undefined when none is queued. */
  playToMark(): string | undefined;
  /** Audio queued and not played yet, in ms. */
  readonly bufferedMs: number;
  /** Names of the checkpoints in the queue, in order. */
  readonly pendingMarks: readonly string[];
}

/**
 * Creates a {@link PlivoClientScript}.
 *
 * @example
 * const plivo = createPlivoClientScript();
 * ws.send(plivo.start());
 * for (const message of plivo.audio(speech8k)) ws.send(message);
 */
export function createPlivoClientScript(options: PlivoClientScriptOptions = {}): PlivoClientScript {
  const streamId = options.streamId ?? '20170ada-f610-433b-8758-c02a2aab3662';
  const callId = options.callId ?? '85e8a1c2-4d1b-4b8f-9a57-0f6e2c1d3b4a';
  const contentType = options.contentType ?? 'audio/x-mulaw;rate=8000';
  const format = plivoAudioFormat(contentType);
  const mulaw = format.encoding === 'mulaw';
  const bytesPerSample = mulaw ? 1 : 2;
  const chunkSamples = format.sampleRate / 50;
  let sequence = 0;
  let chunk = 0;
  let samplesSent = 0;
  const epochMs = 1_767_225_600_000;
  const extra = options.extraHeaders === undefined ? {} : { extra_headers: options.extraHeaders };
  const media = (encoded: Uint8Array, track = 'inbound'): string => {
    const message = JSON.stringify({
      event: 'media',
      sequenceNumber: ++sequence,
      streamId,
      media: {
        track,
        timestamp: String(epochMs + Math.floor((samplesSent * 1000) / format.sampleRate)),
        chunk: ++chunk,
        payload: Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength).toString(
          'base64',
        ),
      },
      ...extra,
    });
    samplesSent += encoded.byteLength / bytesPerSample;
    return message;
  };
  const playedStream = (name: string): string =>
    JSON.stringify({ event: 'playedStream', sequenceNumber: ++sequence, streamId, name });
  const clearedAudio = (): string =>
    JSON.stringify({ event: 'clearedAudio', sequenceNumber: ++sequence, streamId });
  const playback = createCarrierPlayback(format.sampleRate, playedStream);
  const encode = (samples: Int16Array): Uint8Array =>
    mulaw
      ? encodeMulaw(samples)
      : new Uint8Array(
          samples.buffer.slice(samples.byteOffset, samples.byteOffset + samples.byteLength),
        );
  return {
    streamId,
    callId,
    sampleRate: format.sampleRate,
    get sequenceNumber() {
      return sequence;
    },
    start: () =>
      JSON.stringify({
        event: 'start',
        sequenceNumber: ++sequence,
        start: {
          callId,
          streamId,
          accountId: 'MAXXXXXXXXXXXXXXXXXX',
          tracks: ['inbound'],
          mediaFormat: {
            encoding: mulaw ? 'audio/x-mulaw' : 'audio/x-l16',
            sampleRate: format.sampleRate,
          },
        },
        ...extra,
      }),
    media,
    audio: (samples) => {
      const messages: string[] = [];
      for (let at = 0; at < samples.length; at += chunkSamples) {
        messages.push(
          media(encode(samples.subarray(at, Math.min(at + chunkSamples, samples.length)))),
        );
      }
      return messages;
    },
    dtmf: (digit) =>
      JSON.stringify({
        event: 'dtmf',
        sequenceNumber: ++sequence,
        streamId,
        dtmf: { track: 'inbound', digit, timestamp: String(epochMs) },
        ...extra,
      }),
    playedStream,
    clearedAudio,
    outbound: (message) => {
      switch (message.event) {
        case 'playAudio':
          playback.audio(Buffer.from(message.media.payload, 'base64').length / bytesPerSample);
          return [];
        case 'checkpoint':
          return playback.mark(message.name);
        case 'clearAudio':
          // Checkpoints dropped by a clear are never answered.
          playback.clear();
          return [clearedAudio()];
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
  };
}

/** Parses and validates one message the server sent to Plivo; throws if it is not one. */
export function parsePlivoOutbound(data: string | Uint8Array): PlivoOutboundMessage {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  return plivoOutboundSchema.parse(JSON.parse(text));
}

/** The PCM16 (at the stream's rate) of every `playAudio` among `frames`, decoded and joined. */
export function decodePlivoOutboundAudio(frames: readonly (string | Uint8Array)[]): Int16Array {
  const parts: Buffer[] = [];
  let mulaw = true;
  for (const frame of frames) {
    const message = parsePlivoOutbound(frame);
    if (message.event !== 'playAudio') continue;
    mulaw = message.media.contentType === 'audio/x-mulaw';
    parts.push(Buffer.from(message.media.payload, 'base64'));
  }
  const bytes = Buffer.concat(parts);
  if (mulaw) return decodeMulaw(bytes);
  const samples = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(2 * i);
  return samples;
}

/** Signs webhooks as Plivo does (V3); see {@link createPlivoSigner}. */
export interface PlivoSigner {
  /**
   * The `X-Plivo-Signature-V3` and `-Nonce` headers of a request to `url` with `method` and
   * form `body` (URL-encoded; '' for a GET), with a fresh nonce unless one is given.
   */
  headers(method: string, url: string, body: string, nonce?: string): Record<string, string>;
}

/** Creates a {@link PlivoSigner} for an account's auth token. */
export function createPlivoSigner(authToken: string): PlivoSigner {
  return {
    headers: (method, url, body, nonce = randomBytes(10).toString('hex')) => ({
      [PLIVO_SIGNATURE_HEADER]: plivoSignature({
        authToken,
        method,
        url,
        form: plivoParams(new URLSearchParams(body)),
        nonce,
      }),
      [PLIVO_NONCE_HEADER]: nonce,
    }),
  };
}
