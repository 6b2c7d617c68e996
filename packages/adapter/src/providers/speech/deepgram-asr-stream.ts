/**
 * One Deepgram live transcription, the connection side: binary PCM16 frames
 * out as they are pushed, control messages, KeepAlive, the timeouts and the
 * close; the `Results` go to a {@link DeepgramTranscript}.
 */
import type { IncomingMessage } from 'node:http';
import type { Clock, TimerHandle } from '@prx-voice/core';
import { durationMsOf, pcm16Bytes } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import type WebSocket from 'ws';
import type { AsrEvent, AsrStream } from '../../interfaces.js';
import { providerError } from '../../interfaces.js';
import { AsyncEventQueue } from '../../internal/async-queue.js';
import { scrubProviderText } from './credentials.js';
import { DEEPGRAM_CONTROL, parseDeepgramFrame } from './deepgram-messages.js';
import type { DeepgramServerMessage } from './deepgram-messages.js';
import { DeepgramTranscript } from './deepgram-transcript.js';
import { PreOpenQueue } from './pre-open-queue.js';
import { connectionError, httpStatusError, protocolError, stallError } from './provider-errors.js';

const PROVIDER = 'deepgram';
/** A `KeepAlive` goes out after this long without sending anything (Deepgram closes after 10 s). */
export const DEEPGRAM_KEEPALIVE_MS = 8_000;
/** Audio kept while the connection opens; older audio is dropped. */
const PRE_OPEN_MS = 5_000;
/** Results reaching this close to the owed audio's end mean the server heard it all. */
const HEARD_SLACK_MS = 500;
/** How long an answer is awaited once the server heard it all (it may have nothing left to send). */
const HEARD_GRACE_MS = 1_000;

/** The `ws` constructor (injectable). */
export type DeepgramWebSocketConstructor = typeof WebSocket;

/** Everything one stream needs, options already parsed. */
export interface DeepgramStreamSettings {
  readonly url: string;
  readonly apiKey: string;
  readonly clock: Clock;
  readonly WebSocket: DeepgramWebSocketConstructor;
  readonly sampleRate: SampleRate;
  readonly firstByteTimeoutMs: number;
  readonly signal: AbortSignal | undefined;
}

/** The Deepgram stream; see the file note and `createDeepgramAsr`. */
export class DeepgramAsrStream implements AsrStream {
  readonly #s: DeepgramStreamSettings;
  readonly #queue: AsyncEventQueue<AsrEvent>;
  readonly #pre: PreOpenQueue;
  #ws: WebSocket | undefined;
  #open = false;
  #opened = false;
  /** Aborted, failed or ended: no more events. */
  #closed = false;
  /** `end()` was called: `CloseStream` sent or queued. */
  #ending = false;
  #pushed = 0;
  /** Samples pushed at the last `finalize()`: where the current utterance starts. */
  #cutoff = 0;
  readonly #transcript: DeepgramTranscript;
  /** Audio dropped before the connection opened: the server's times start this much later. */
  #droppedMs = 0;
  #lastSentAt: number;
  #keepAlive: TimerHandle | undefined;
  #answer: TimerHandle | undefined;

  constructor(settings: DeepgramStreamSettings) {
    this.#s = settings;
    this.#queue = new AsyncEventQueue<AsrEvent>(() => {
      this.abort();
    });
    this.#pre = new PreOpenQueue(Math.round((settings.sampleRate * PRE_OPEN_MS) / 1000));
    this.#transcript = new DeepgramTranscript(
      (event) => {
        this.#queue.push(event);
      },
      (seconds) => this.#serverMs(seconds),
    );
    this.#lastSentAt = settings.clock.now();
    if (settings.signal?.aborted === true) {
      this.abort();
      return;
    }
    settings.signal?.addEventListener('abort', this.#onAbort, { once: true });
    const ws = new settings.WebSocket(settings.url, {
      headers: { Authorization: `Token ${settings.apiKey}` },
      // Frames go out uncompressed and are copied while masked, so pushed buffers are never held.
      perMessageDeflate: false,
    });
    this.#ws = ws;
    ws.on('open', this.#onOpen);
    ws.on('message', this.#onMessage);
    ws.on('close', this.#onClose);
    ws.on('error', this.#onError);
    ws.on('unexpected-response', this.#onRefused);
    this.#updateAnswerTimer(true);
  }

  push(samples: Int16Array): void {
    if (this.#closed || this.#ending || samples.length === 0) return;
    this.#pushed += samples.length;
    const ws = this.#ws;
    if (this.#open && ws !== undefined) {
      ws.send(pcm16Bytes(samples));
      this.#lastSentAt = this.#s.clock.now();
    } else {
      this.#pre.pushAudio(samples);
    }
  }

  finalize(): void {
    if (this.#closed || this.#ending) return;
    const start = this.#cutoff;
    this.#cutoff = this.#pushed;
    if (this.#transcript.owe(this.#ms(start), this.#ms(this.#pushed))) {
      this.#send(DEEPGRAM_CONTROL.finalize);
    }
    this.#updateAnswerTimer(false);
  }

  end(): void {
    if (this.#closed || this.#ending) return;
    if (this.#pushed > this.#cutoff || this.#transcript.hasText) {
      this.#transcript.owe(this.#ms(this.#cutoff), this.#ms(this.#pushed), true);
      this.#cutoff = this.#pushed;
    }
    this.#ending = true;
    this.#send(DEEPGRAM_CONTROL.closeStream);
    this.#updateAnswerTimer(false);
  }

  abort(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.clear();
    this.#cleanup();
    this.#closeSocket(true);
  }

  [Symbol.asyncIterator](): AsyncIterator<AsrEvent> {
    return this.#queue[Symbol.asyncIterator]();
  }

  readonly #onAbort = (): void => {
    this.abort();
  };

  readonly #onOpen = (): void => {
    const ws = this.#ws;
    if (this.#closed || ws === undefined) return;
    this.#open = true;
    this.#opened = true;
    this.#droppedMs = this.#ms(this.#pre.droppedSamples);
    for (const item of this.#pre.drain()) {
      ws.send(item.kind === 'audio' ? pcm16Bytes(item.samples) : item.text);
    }
    this.#lastSentAt = this.#s.clock.now();
    this.#scheduleKeepAlive();
    this.#updateAnswerTimer(true);
  };

  readonly #onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    if (this.#closed || isBinary) return;
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.isBuffer(data)
        ? data.toString('utf8')
        : Buffer.from(new Uint8Array(data)).toString('utf8');
    const frame = parseDeepgramFrame(text);
    if (frame.kind === 'ignored') return;
    if (frame.kind === 'invalid') {
      this.#fail(protocolError(PROVIDER, frame.what, true));
      return;
    }
    this.#handle(frame.message);
    this.#updateAnswerTimer(true);
  };

  readonly #onClose = (code: number, reason: Buffer): void => {
    this.#open = false;
    if (this.#closed) return;
    const said = scrubProviderText(reason.toString('utf8'), this.#s.apiKey);
    if (this.#ending && (code === 1000 || code === 1005)) {
      // CloseStream answered: every remaining result was flushed before the close.
      this.#transcript.resolveAll(false);
      this.#closed = true;
      this.#queue.end();
      this.#cleanup();
      return;
    }
    const details = { close_code: code, close_reason: said };
    if (code === 1008) {
      this.#fail(
        providerError('PROVIDER_ERROR', {
          provider: PROVIDER,
          message: `deepgram refused the stream (1008): ${said}`,
          fallback: true,
          retryable: false,
          details: { ...details, partial: this.#opened },
        }),
      );
      return;
    }
    const what =
      code === 1011
        ? `the server closed the stream with an error (1011): ${said}`
        : `the connection closed unexpectedly (${code})`;
    this.#fail(connectionError(PROVIDER, what, this.#opened, undefined, details));
  };

  readonly #onError = (error: Error): void => {
    if (this.#closed) return;
    const what = this.#opened ? 'connection error' : 'could not connect';
    this.#fail(
      connectionError(
        PROVIDER,
        `${what}: ${scrubProviderText(error.message, this.#s.apiKey)}`,
        this.#opened,
        error,
      ),
    );
  };

  /** The upgrade was answered with an HTTP status instead of 101. */
  readonly #onRefused = (_request: unknown, response: IncomingMessage): void => {
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
        body: header('dg-error') ?? '',
        secret: this.#s.apiKey,
        now: this.#s.clock.now(),
        partial: false,
      }),
    );
  };

  #handle(message: DeepgramServerMessage): void {
    switch (message.type) {
      case 'Results':
        this.#transcript.onResults(message);
        return;
      case 'Metadata':
        this.#queue.push({ type: 'usage', audioMs: message.duration * 1000 });
        return;
      case 'UtteranceEnd':
        this.#queue.push({
          type: 'utterance_end',
          atMs: Math.max(0, this.#serverMs(message.last_word_end)),
        });
        return;
      case 'SpeechStarted':
        return;
      case 'Error':
        this.#fail(
          providerError('PROVIDER_ERROR', {
            provider: PROVIDER,
            message: `deepgram reported an error: ${scrubProviderText(message.description ?? message.message ?? '', this.#s.apiKey)}`,
            fallback: true,
            retryable: false,
            details: { partial: true },
          }),
        );
        return;
    }
  }

  /**
   * Times the wait for the server: the upgrade, then, while a final or the
   * close is owed, the time since its last message. `restart` begins a new wait.
   */
  #updateAnswerTimer(restart: boolean): void {
    const waiting = !this.#open || this.#ending || this.#transcript.awaitingServer;
    if (this.#answer !== undefined && (restart || !waiting)) {
      this.#s.clock.clearTimeout(this.#answer);
      this.#answer = undefined;
    }
    if (!waiting || this.#answer !== undefined || this.#closed) return;
    const timeout = this.#s.firstByteTimeoutMs;
    const wait = this.#open && this.#heardAll() ? Math.min(timeout, HEARD_GRACE_MS) : timeout;
    this.#answer = this.#s.clock.setTimeout(this.#onAnswerTimeout, wait);
  }

  /**
   * Whether the server's results reach into the audio an answer is owed for
   * and (nearly) to its end: it heard the utterance, so silence after a
   * `Finalize` means it has nothing left, not a stall.
   */
  #heardAll(): boolean {
    const last = this.#transcript.lastResultEndMs;
    const owed = this.#transcript.awaitedSpan;
    if (owed === undefined) return last >= this.#ms(this.#pushed) - HEARD_SLACK_MS;
    return last > owed.startMs && last >= owed.endMs - HEARD_SLACK_MS;
  }

  readonly #onAnswerTimeout = (): void => {
    this.#answer = undefined;
    if (this.#closed) return;
    const timeout = this.#s.firstByteTimeoutMs;
    if (!this.#opened) {
      this.#fail(stallError(PROVIDER, timeout, 'connect', false));
      return;
    }
    if (!this.#heardAll()) {
      this.#fail(stallError(PROVIDER, timeout, this.#ending ? 'close' : 'finalize', true));
      return;
    }
    // The server heard the audio and has nothing more to say: what it said is the answer.
    if (this.#ending) {
      this.#transcript.resolveAll(true);
      this.#closed = true;
      this.#queue.end();
      this.#cleanup();
      this.#closeSocket(true);
      return;
    }
    this.#transcript.resolveOldest(true);
    this.#updateAnswerTimer(true);
  };

  #scheduleKeepAlive(): void {
    const wait = this.#lastSentAt + DEEPGRAM_KEEPALIVE_MS - this.#s.clock.now();
    this.#keepAlive = this.#s.clock.setTimeout(this.#onKeepAlive, Math.max(0, wait));
  }

  readonly #onKeepAlive = (): void => {
    this.#keepAlive = undefined;
    if (!this.#open || this.#closed || this.#ending) return;
    if (this.#s.clock.now() - this.#lastSentAt >= DEEPGRAM_KEEPALIVE_MS) {
      this.#send(DEEPGRAM_CONTROL.keepAlive);
    }
    this.#scheduleKeepAlive();
  };

  /** Sends a control message now, or after the queued audio once the connection opens. */
  #send(text: string): void {
    const ws = this.#ws;
    if (this.#open && ws !== undefined) {
      ws.send(text);
      this.#lastSentAt = this.#s.clock.now();
    } else {
      this.#pre.pushControl(text);
    }
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.fail(error);
    this.#cleanup();
    this.#closeSocket(false);
  }

  #cleanup(): void {
    const { clock, signal } = this.#s;
    if (this.#keepAlive !== undefined) clock.clearTimeout(this.#keepAlive);
    if (this.#answer !== undefined) clock.clearTimeout(this.#answer);
    this.#keepAlive = undefined;
    this.#answer = undefined;
    signal?.removeEventListener('abort', this.#onAbort);
  }

  /** Closes the socket: politely (`CloseStream`, then a close frame) or at once. */
  #closeSocket(polite: boolean): void {
    const ws = this.#ws;
    if (ws === undefined) return;
    if (ws.readyState === ws.CONNECTING) {
      ws.terminate();
    } else if (ws.readyState === ws.OPEN) {
      if (!polite) {
        ws.terminate();
        return;
      }
      if (!this.#ending) ws.send(DEEPGRAM_CONTROL.closeStream);
      ws.close(1000);
    }
    this.#open = false;
  }

  #ms(samples: number): number {
    return durationMsOf(samples, this.#s.sampleRate);
  }

  /** A server time (seconds of the audio it received) on the stream's timeline, ms. */
  #serverMs(seconds: number): number {
    return Math.round(seconds * 1e6) / 1e3 + this.#droppedMs;
  }
}
