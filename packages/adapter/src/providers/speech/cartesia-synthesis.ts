/**
 * One Cartesia synthesis, the connection side: its own WebSocket with one
 * context on it, generation requests out as text arrives, the context's
 * `chunk`, `timestamps`, `done` and `error` messages in as TtsEvents, the
 * stall timer, `cancel` and the close.
 */
import type { IncomingMessage } from 'node:http';
import type { Clock, TimerHandle } from '@prx-voice/core';
import type { SampleRate } from '@prx-voice/media';
import type WebSocket from 'ws';
import type { TtsEvent } from '../../interfaces.js';
import { AsyncEventQueue } from '../../internal/async-queue.js';
import { scrubProviderText } from './credentials.js';
import {
  cartesiaCancelFrame,
  cartesiaErrorOf,
  cartesiaGenerationFrame,
  parseCartesiaFrame,
} from './cartesia-messages.js';
import type { CartesiaContextSettings, CartesiaServerMessage } from './cartesia-messages.js';
import { PcmDecoder } from './pcm-chunks.js';
import { connectionError, httpStatusError, protocolError, stallError } from './provider-errors.js';

const PROVIDER = 'cartesia';
/** Bytes of a refused handshake's body kept for the error message. */
const MAX_ERROR_BODY = 4096;

/** The `ws` constructor (injectable). */
export type CartesiaWebSocketConstructor = typeof WebSocket;

/** Everything one synthesis needs, options already parsed. */
export interface CartesiaSynthesisSettings {
  /** The full `/tts/websocket` URL. */
  readonly url: string;
  readonly apiKey: string;
  /** `Cartesia-Version`, a date. */
  readonly version: string;
  readonly clock: Clock;
  readonly WebSocket: CartesiaWebSocketConstructor;
  /** The context's fixed request fields, `output_format.sample_rate` the rate Cartesia sends. */
  readonly context: CartesiaContextSettings;
  /** The rate the audio is yielded at. */
  readonly outputRate: SampleRate;
  readonly firstByteTimeoutMs: number;
  readonly signal: AbortSignal;
}

/** The synthesis; see the file note and `createCartesiaTts`. */
export class CartesiaSynthesis implements AsyncIterable<TtsEvent> {
  readonly #s: CartesiaSynthesisSettings;
  readonly #queue: AsyncEventQueue<TtsEvent>;
  readonly #decoder: PcmDecoder;
  readonly #ws: WebSocket;
  /** Aborted once the synthesis is over, so the text reader stops. */
  readonly #over = new AbortController();
  /** Frames asked for before the connection opened, in order. */
  #pending: string[] = [];
  #open = false;
  #opened = false;
  /** Done, failed or cancelled: no more events. */
  #closed = false;
  /** An input was sent (or queued): the context exists on the server. */
  #started = false;
  /** The last input (`continue: false`) was sent: what remains is the server's. */
  #inputEnded = false;
  /** Whitespace-only pieces held until text follows them. */
  #held = '';
  #characters = 0;
  #yielded = false;
  #timer: TimerHandle | undefined;

  constructor(settings: CartesiaSynthesisSettings) {
    this.#s = settings;
    this.#queue = new AsyncEventQueue<TtsEvent>(() => {
      this.cancel();
    });
    this.#decoder = new PcmDecoder(settings.context.output_format.sample_rate, settings.outputRate);
    settings.signal.addEventListener('abort', this.#onAbort, { once: true });
    const ws = new settings.WebSocket(settings.url, {
      headers: { Authorization: `Bearer ${settings.apiKey}`, 'Cartesia-Version': settings.version },
      perMessageDeflate: false,
    });
    this.#ws = ws;
    ws.on('open', this.#onOpen);
    ws.on('message', this.#onMessage);
    ws.on('close', this.#onClose);
    ws.on('error', this.#onError);
    ws.on('unexpected-response', this.#onRefused);
    this.#arm();
  }

  /** Aborted once the synthesis ended (done, failed, cancelled). */
  get over(): AbortSignal {
    return this.#over.signal;
  }

  /** The whole text in one input (`continue: false`). */
  speak(text: string): void {
    if (this.#closed || this.#inputEnded) return;
    this.#input(text, false);
  }

  /** A piece of streamed text, sent at once with `continue: true` (whitespace-only pieces wait for text). */
  push(piece: string): void {
    if (this.#closed || this.#inputEnded) return;
    this.#held += piece;
    if (this.#held.trim() === '') return;
    const text = this.#held;
    this.#held = '';
    this.#input(text, true);
  }

  /** The streamed text ended: an empty `continue: false` input, or with nothing said, `usage` 0. */
  end(): void {
    if (this.#closed || this.#inputEnded) return;
    this.#held = '';
    if (this.#started) this.#input('', false);
    else this.#complete();
  }

  /** The text source failed: the context is cancelled and the iteration throws `error`. */
  failInput(error: unknown): void {
    this.#fail(error instanceof Error ? error : new Error(String(error)));
  }

  /** Stops at once: a started context is cancelled, the socket closed, the iteration ends quietly. */
  cancel(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.clear();
    this.#cleanup();
    this.#closeSocket();
  }

  [Symbol.asyncIterator](): AsyncIterator<TtsEvent> {
    return this.#queue[Symbol.asyncIterator]();
  }

  #input(transcript: string, more: boolean): void {
    this.#started = true;
    this.#characters += transcript.length;
    if (!more) this.#inputEnded = true;
    const frame = cartesiaGenerationFrame(this.#s.context, transcript, more);
    if (this.#open) this.#ws.send(frame);
    else this.#pending.push(frame);
    if (!more && this.#open) this.#arm();
  }

  readonly #onAbort = (): void => {
    this.cancel();
  };

  readonly #onOpen = (): void => {
    if (this.#closed) return;
    this.#open = true;
    this.#opened = true;
    for (const frame of this.#pending) this.#ws.send(frame);
    this.#pending = [];
    this.#disarm();
    if (this.#inputEnded) this.#arm();
  };

  readonly #onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    if (this.#closed || isBinary) return;
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.isBuffer(data)
        ? data.toString('utf8')
        : Buffer.from(new Uint8Array(data)).toString('utf8');
    const frame = parseCartesiaFrame(text, this.#s.context.context_id);
    if (frame.kind === 'ignored') return;
    if (frame.kind === 'invalid') {
      this.#fail(protocolError(PROVIDER, frame.what, this.#yielded));
      return;
    }
    this.#handle(frame.message);
    // Still going (the queue ends with the synthesis): the next answer gets its own wait.
    if (this.#inputEnded && !this.#queue.ended) this.#arm();
  };

  #handle(message: CartesiaServerMessage): void {
    switch (message.type) {
      case 'chunk': {
        const samples = this.#decoder.push(Buffer.from(message.data, 'base64'));
        if (samples.length === 0) return;
        this.#yielded = true;
        this.#queue.push({ type: 'audio', samples });
        return;
      }
      case 'timestamps': {
        const { words, start, end } = message.word_timestamps;
        words.forEach((word, i) => {
          this.#queue.push({
            type: 'word',
            text: word,
            startMs: secondsToMs(start[i] ?? 0),
            endMs: secondsToMs(end[i] ?? 0),
          });
        });
        return;
      }
      case 'done':
        this.#complete();
        return;
      case 'error':
        // The server ended the context: nothing left to cancel.
        this.#started = false;
        this.#fail(cartesiaErrorOf(message, this.#s.apiKey, this.#yielded));
        return;
    }
  }

  readonly #onClose = (code: number, reason: Buffer): void => {
    this.#open = false;
    if (this.#closed) return;
    this.#fail(
      connectionError(
        PROVIDER,
        `the connection closed before the synthesis was done (${code})`,
        this.#yielded,
        undefined,
        {
          close_code: code,
          close_reason: scrubProviderText(reason.toString('utf8'), this.#s.apiKey),
        },
      ),
    );
  };

  readonly #onError = (error: Error): void => {
    if (this.#closed) return;
    const what = this.#opened ? 'connection error' : 'could not connect';
    const said = scrubProviderText(error.message, this.#s.apiKey);
    this.#fail(connectionError(PROVIDER, `${what}: ${said}`, this.#yielded, error));
  };

  /** The handshake was answered with an HTTP status instead of 101: read its body, then fail. */
  readonly #onRefused = (_request: unknown, response: IncomingMessage): void => {
    if (this.#closed) return;
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      if (size >= MAX_ERROR_BODY) return;
      chunks.push(chunk);
      size += chunk.length;
    });
    const report = (): void => {
      if (this.#closed) return;
      const header = (name: string): string | undefined => {
        const value = response.headers[name.toLowerCase()];
        return Array.isArray(value) ? value[0] : value;
      };
      this.#fail(
        httpStatusError({
          provider: PROVIDER,
          status: response.statusCode ?? 0,
          header,
          body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY),
          secret: this.#s.apiKey,
          now: this.#s.clock.now(),
          partial: false,
        }),
      );
    };
    response.on('end', report);
    response.on('close', report);
  };

  /** (Re)starts the stall timer: the handshake, then, once the input ended, each wait for the server. */
  #arm(): void {
    this.#disarm();
    this.#timer = this.#s.clock.setTimeout(this.#onStall, this.#s.firstByteTimeoutMs);
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#s.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #onStall = (): void => {
    this.#timer = undefined;
    if (this.#closed) return;
    const stage = !this.#opened ? 'connect' : this.#yielded ? 'audio stream' : 'first audio';
    this.#fail(stallError(PROVIDER, this.#s.firstByteTimeoutMs, stage, this.#yielded));
  };

  /** `done` (or nothing to say): the decoder's tail, `usage`, the end. */
  #complete(): void {
    if (this.#closed) return;
    const tail = this.#decoder.flush();
    if (tail.length > 0) this.#queue.push({ type: 'audio', samples: tail });
    this.#queue.push({ type: 'usage', characters: this.#characters });
    this.#closed = true;
    // Done: nothing left to cancel.
    this.#started = false;
    this.#queue.end();
    this.#cleanup();
    this.#closeSocket();
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.fail(error);
    this.#cleanup();
    this.#closeSocket();
  }

  #cleanup(): void {
    this.#disarm();
    this.#s.signal.removeEventListener('abort', this.#onAbort);
    this.#over.abort();
  }

  /** Cancels a context the server may still be generating, then closes (at once while connecting). */
  #closeSocket(): void {
    const ws = this.#ws;
    if (ws.readyState === ws.CONNECTING) {
      ws.terminate();
    } else if (ws.readyState === ws.OPEN) {
      if (this.#started) ws.send(cartesiaCancelFrame(this.#s.context.context_id));
      ws.close(1000);
    }
    this.#open = false;
  }
}

/** Seconds → ms, to the microsecond. */
function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e3;
}
