/**
 * A scripted Vonage WebSocket call leg: builds what Vonage sends, as Vonage documents it
 * (`websocket:connected` first with the `content-type` and the NCCO's headers, then binary
 * frames of exactly 20 ms of 16-bit linear PCM little-endian, `websocket:dtmf` for a key),
 * reads what the server sends back — refusing an audio frame that is not exactly 20 ms, as
 * Vonage takes only whole frames — and plays it as Vonage's queue does: a `notify` comes
 * back as `websocket:notify` once the audio before it has played, and a `clear` empties the
 * queue, answers `websocket:cleared` and returns none of the notifies it dropped. Also a
 * signer standing in for Vonage's signed webhooks (an HS256 JWT).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { vonageOutboundSchema } from '../vonage/messages.js';
import type { VonageOutboundMessage } from '../vonage/messages.js';
import type { VonageContentType } from '../vonage/media-stream.js';
import { vonagePayloadHash } from '../vonage/signature.js';
import { createCarrierPlayback } from './carrier-playback.js';

/** Options of {@link createVonageClientScript}. */
export interface VonageClientScriptOptions {
  /** The socket's content type (default `audio/l16;rate=16000`). */
  readonly contentType?: VonageContentType;
  /** The NCCO endpoint's `headers`, echoed in `websocket:connected`. */
  readonly headers?: Readonly<Record<string, unknown>>;
}

/** What the server sent, read: an audio frame or a text message. */
export type VonageOutbound =
  | { readonly kind: 'audio'; readonly samples: Int16Array }
  | { readonly kind: 'message'; readonly message: VonageOutboundMessage };

/** A scripted Vonage side of one call leg. */
export interface VonageClientScript {
  readonly sampleRate: 8000 | 16000;
  /** Bytes of one 20 ms frame (320 or 640). */
  readonly frameBytes: number;
  /** `websocket:connected` (text). */
  connected(): string;
  /** PCM16 at the socket's rate as binary frames of 20 ms (the last padded with silence). */
  audio(samples: Int16Array): Uint8Array[];
  /** `websocket:dtmf` for one key (text). */
  dtmf(digit: string, durationMs?: number): string;
  /** `websocket:notify` for a notify the server sent (text). */
  notify(name: string): string;
  /** `websocket:cleared` (text). */
  cleared(): string;
  /**
   * Reads one frame the server sent (binary: audio; text: a command); throws for an audio
   * frame that is not exactly 20 ms or a text message that is not a Vonage command.
   */
  read(data: string | Uint8Array, binary: boolean): VonageOutbound;
  /**
   * Takes what the server sent into the playback queue; returns what Vonage sends back now
   * (`websocket:notify` for a notify with nothing unplayed before it; `websocket:cleared`).
   */
  outbound(item: VonageOutbound): string[];
  /** Plays up to `ms` of queued audio; returns the `websocket:notify`s it reached, in order. */
  play(ms: number): string[];
  /** Plays the queue up to the next notify; its `websocket:notify`, or undefined when none is queued. */
  playToMark(): string | undefined;
  /** Audio queued and not played yet, in ms. */
  readonly bufferedMs: number;
  /** Names of the notifies in the queue, in order. */
  readonly pendingMarks: readonly string[];
}

/**
 * Creates a {@link VonageClientScript}.
 *
 * @example
 * const vonage = createVonageClientScript({ headers: { session_id } });
 * ws.send(vonage.connected());
 * for (const frame of vonage.audio(speech16k)) ws.send(frame);
 */
export function createVonageClientScript(
  options: VonageClientScriptOptions = {},
): VonageClientScript {
  const contentType = options.contentType ?? 'audio/l16;rate=16000';
  const sampleRate = contentType.endsWith('8000') ? 8000 : 16000;
  const frameSamples = sampleRate / 50;
  const frameBytes = frameSamples * 2;
  const notify = (name: string): string =>
    JSON.stringify({ event: 'websocket:notify', payload: { name } });
  const cleared = (): string => JSON.stringify({ event: 'websocket:cleared' });
  const playback = createCarrierPlayback(sampleRate, notify);
  return {
    sampleRate,
    frameBytes,
    connected: () =>
      JSON.stringify({
        event: 'websocket:connected',
        'content-type': contentType,
        ...options.headers,
      }),
    audio: (samples) => {
      const frames: Uint8Array[] = [];
      for (let at = 0; at < samples.length; at += frameSamples) {
        const frame = new Int16Array(frameSamples);
        frame.set(samples.subarray(at, Math.min(at + frameSamples, samples.length)));
        frames.push(new Uint8Array(frame.buffer));
      }
      return frames;
    },
    dtmf: (digit, durationMs = 260) =>
      JSON.stringify({ event: 'websocket:dtmf', digit, duration: durationMs }),
    notify,
    cleared,
    read: (data, binary) => {
      if (binary) {
        const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
        if (bytes.byteLength !== frameBytes) {
          throw new Error(
            `Vonage takes audio frames of exactly ${String(frameBytes)} bytes, not ${String(bytes.byteLength)}`,
          );
        }
        const copy = Uint8Array.from(bytes);
        return { kind: 'audio', samples: new Int16Array(copy.buffer) };
      }
      const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
      return { kind: 'message', message: vonageOutboundSchema.parse(JSON.parse(text)) };
    },
    outbound: (item) => {
      if (item.kind === 'audio') {
        playback.audio(item.samples.length);
        return [];
      }
      switch (item.message.action) {
        case 'notify':
          return playback.mark(item.message.payload.name);
        case 'clear':
          // Notifies dropped by a clear are not returned.
          playback.clear();
          return [cleared()];
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

/** Signs webhooks as Vonage does; see {@link createVonageSigner}. */
export interface VonageSigner {
  /**
   * The `Authorization: Bearer <JWT>` header of a request with `body` ('' for a GET) issued at
   * `iatS`; `claims` are added to (or override) the standard ones.
   */
  headers(
    body: string,
    iatS: number,
    claims?: Readonly<Record<string, unknown>>,
  ): Record<string, string>;
}

/** Creates a {@link VonageSigner} for a signature secret (and the claims' application id). */
export function createVonageSigner(
  signatureSecret: string,
  applicationId = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
): VonageSigner {
  const part = (value: unknown): string =>
    Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  return {
    headers: (body, iatS, claims = {}) => {
      const head = part({ alg: 'HS256', typ: 'JWT' });
      const payload = part({
        iat: Math.floor(iatS),
        jti: randomUUID(),
        iss: 'Vonage',
        api_key: 'abcd1234',
        application_id: applicationId,
        ...(body === '' ? {} : { payload_hash: vonagePayloadHash(body) }),
        ...claims,
      });
      const signature = createHmac('sha256', signatureSecret)
        .update(`${head}.${payload}`)
        .digest('base64url');
      return { authorization: `Bearer ${head}.${payload}.${signature}` };
    },
  };
}
