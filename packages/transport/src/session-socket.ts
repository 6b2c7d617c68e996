/**
 * The session WebSocket of the public protocol (`GET /api/v1/ws/{session_id}`):
 * binary frames are audio in the negotiated formats, text frames are JSON —
 * client frames in, CloudEvents out. Malformed frames are reported and dropped,
 * the connection stays open; only repeated errors close it (1008).
 */
import type { Clock } from '@prx-voice/core';
import type { SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import {
  bytesPerSample,
  createInboundConverter,
  createOutboundConverter,
  DEFAULT_INPUT_FORMAT,
  DEFAULT_OUTPUT_FORMAT,
  sameAudioFormat,
} from './audio-format.js';
import type { InboundConverter, OutboundConverter, WireAudioFormat } from './audio-format.js';
import { parseClientFrame } from './client-frames.js';
import type { ClientFrame, SessionUpdate } from './client-frames.js';
import { createErrorWindow } from './error-window.js';
import { CLOSE_CODES, closeReason } from './socket.js';
import type { WireSocket } from './socket.js';

/** Limits of one session socket. */
export interface SessionSocketLimits {
  /** Largest frame accepted, binary or text, in bytes. */
  readonly maxFrameBytes: number;
  /** Most protocol errors tolerated within `errorWindowMs`; one more closes with 1008. */
  readonly maxErrors: number;
  /** The window of `maxErrors`, in ms. */
  readonly errorWindowMs: number;
}

/** Defaults of {@link SessionSocketLimits}: 64 KiB frames, 20 errors a minute. */
export const DEFAULT_SESSION_SOCKET_LIMITS: SessionSocketLimits = Object.freeze({
  maxFrameBytes: 65_536,
  maxErrors: 20,
  errorWindowMs: 60_000,
});

/** What the server does with each client frame; arguments are valid only during the call. */
export interface SessionSocketHandlers {
  /** Audio at the engine's input rate (a view of a reused buffer: copy to keep). Never empty. */
  onAudio(samples: Int16Array): void;
  /** `input.text`: a typed user turn. */
  onText(text: string): void;
  /** `interrupt`: the client wants the bot to stop talking. */
  onInterrupt(): void;
  /** `dtmf`: keypad keys (`0-9`, `*`, `#`, `A-D`, upper-cased), 1 to 32 of them. */
  onDtmf(digits: string): void;
  /** `playback.position`: how much of a segment the client has played. */
  onPlaybackPosition(segmentId: string, playedMs: number): void;
  /** `end`: the client ends the session. */
  onEnd(): void;
  /** `ping`: answer with a `prx.voice.session.pong` event (echoing `id`). */
  onPing(id?: string): void;
  /** `session.update`, after its formats took effect (converters rebuilt). */
  onUpdate(update: SessionUpdate): void;
  /** A malformed frame, dropped; answer with a `prx.voice.session.error` event. */
  onProtocolError(error: VoiceError): void;
  /**
   * An audio frame was dropped (too large, or not valid audio in the input
   * format): about how many samples at the engine's input rate it held.
   */
  onAudioDropped?(samples: number): void;
}

/** Options of {@link createSessionSocket}. */
export interface SessionSocketOptions {
  readonly socket: WireSocket;
  readonly clock: Clock;
  /** Overrides of {@link DEFAULT_SESSION_SOCKET_LIMITS}. */
  readonly limits?: Partial<SessionSocketLimits>;
  /** The engine's PCM16 rates: what `onAudio` delivers and `sendAudio` takes. */
  readonly engine: { readonly inputRate: SampleRate; readonly outputRate: SampleRate };
  /** Formats before any `session.update` (default PCM16 16 kHz in, 24 kHz out). */
  readonly formats?: { readonly input?: WireAudioFormat; readonly output?: WireAudioFormat };
  readonly handlers: SessionSocketHandlers;
}

/** The negotiated formats of a session socket. */
export interface SessionSocketFormats {
  readonly input: WireAudioFormat;
  readonly output: WireAudioFormat;
}

/** One client connection of the session WebSocket; see {@link createSessionSocket}. */
export interface SessionSocket {
  /** Handles one incoming message (`isBinary` as `ws` reports it). */
  receive(data: string | Uint8Array, isBinary: boolean): void;
  /** Sends engine-rate PCM16 as one binary frame in the output format (nothing if it yields no bytes). */
  sendAudio(samples: Int16Array): void;
  /** Sends an event (a CloudEvent) as one JSON text frame. */
  sendEvent(event: object): void;
  /** Drops output audio the resampler holds back, e.g. on barge-in. */
  resetOutput(): void;
  /** Closes the connection; later calls and sends are ignored. */
  close(code: number, reason: string): void;
  /** The current input and output formats. */
  readonly formats: SessionSocketFormats;
  /** Whether `close` was called (by the server or after repeated errors). */
  readonly closed: boolean;
  /** The socket's queued bytes, when it reports them (for backpressure metrics). */
  readonly bufferedAmount: number | undefined;
  /** Protocol errors within the current error window. */
  readonly recentErrors: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Creates the protocol handler of one session WebSocket connection. The server
 * calls `receive` for each message and `sendAudio`/`sendEvent` to answer; audio
 * is not buffered here (the session's pacer already sends at real time).
 *
 * @example
 * const conn = createSessionSocket({ socket: ws, clock, engine: { inputRate: 16000, outputRate: 24000 }, handlers });
 * ws.on('message', (data, isBinary) => conn.receive(data as Buffer, isBinary));
 * pacer.send = (frame) => conn.sendAudio(frame);
 */
export function createSessionSocket(options: SessionSocketOptions): SessionSocket {
  const { socket, clock, engine, handlers } = options;
  const limits = resolveLimits(options.limits);
  const errors = createErrorWindow({
    clock,
    max: limits.maxErrors,
    windowMs: limits.errorWindowMs,
  });
  let input = options.formats?.input ?? DEFAULT_INPUT_FORMAT;
  let output = options.formats?.output ?? DEFAULT_OUTPUT_FORMAT;
  let inbound: InboundConverter = createInboundConverter(input, engine.inputRate);
  let outbound: OutboundConverter = createOutboundConverter(engine.outputRate, output);
  let closed = false;

  const close = (code: number, reason: string): void => {
    if (closed) return;
    closed = true;
    socket.close(code, closeReason(reason));
  };

  const report = (error: VoiceError): void => {
    handlers.onProtocolError(error);
    if (errors.record()) close(CLOSE_CODES.policy, 'repeated protocol errors');
  };

  const tooLarge = (kind: string, bytes: number): VoiceError =>
    new VoiceError('PAYLOAD_TOO_LARGE', {
      message: `The ${kind} frame of ${bytes} bytes is larger than the limit of ${limits.maxFrameBytes} bytes; it was dropped.`,
      details: { bytes, max_bytes: limits.maxFrameBytes },
    });

  // What a dropped frame held, in engine-rate samples (for `media.audio_dropped`).
  const dropped = (bytes: Uint8Array): void => {
    const wireSamples = Math.floor(bytes.byteLength / bytesPerSample(input));
    handlers.onAudioDropped?.(Math.round((wireSamples * engine.inputRate) / input.sampleRate));
  };

  const receiveAudio = (bytes: Uint8Array): void => {
    if (bytes.byteLength > limits.maxFrameBytes) {
      dropped(bytes);
      report(tooLarge('binary', bytes.byteLength));
      return;
    }
    let samples: Int16Array;
    try {
      samples = inbound.convert(bytes);
    } catch (err) {
      dropped(bytes);
      report(VoiceError.from(err, 'INVALID_AUDIO'));
      return;
    }
    if (samples.length > 0) handlers.onAudio(samples);
  };

  const applyUpdate = (update: SessionUpdate): void => {
    // A format that did not change keeps its converter, and so its stream state.
    if (update.input !== undefined && !sameAudioFormat(update.input, input)) {
      inbound = createInboundConverter(update.input, engine.inputRate);
      input = update.input;
    }
    if (update.output !== undefined && !sameAudioFormat(update.output, output)) {
      outbound = createOutboundConverter(engine.outputRate, update.output);
      output = update.output;
    }
    handlers.onUpdate(update);
  };

  const dispatch = (frame: ClientFrame): void => {
    switch (frame.type) {
      case 'session.update': {
        const { type: _type, ...update } = frame;
        applyUpdate(update);
        return;
      }
      case 'input.text':
        return handlers.onText(frame.text);
      case 'interrupt':
        return handlers.onInterrupt();
      case 'dtmf':
        return handlers.onDtmf(frame.digits);
      case 'playback.position':
        return handlers.onPlaybackPosition(frame.segmentId, frame.playedMs);
      case 'end':
        return handlers.onEnd();
      case 'ping':
        return frame.id === undefined ? handlers.onPing() : handlers.onPing(frame.id);
    }
  };

  const receiveText = (data: string | Uint8Array): void => {
    const bytes =
      typeof data === 'string' ? utf8Length(data, limits.maxFrameBytes) : data.byteLength;
    if (bytes > limits.maxFrameBytes) {
      report(tooLarge('text', bytes));
      return;
    }
    let text: string;
    if (typeof data === 'string') {
      text = data;
    } else {
      try {
        text = utf8.decode(data);
      } catch (cause) {
        report(
          new VoiceError('INVALID_FRAME', { message: 'The text frame is not valid UTF-8.', cause }),
        );
        return;
      }
    }
    const result = parseClientFrame(text);
    if (result.ok) dispatch(result.frame);
    else report(result.error);
  };

  return {
    receive: (data, isBinary) => {
      if (closed) return;
      if (isBinary && typeof data !== 'string') receiveAudio(data);
      else receiveText(data);
    },
    sendAudio: (samples) => {
      if (closed) return;
      const bytes = outbound.convertToNew(samples);
      if (bytes.byteLength > 0) socket.send(bytes);
    },
    sendEvent: (event) => {
      if (closed) return;
      socket.send(JSON.stringify(event));
    },
    resetOutput: () => {
      outbound.reset();
    },
    close,
    get formats() {
      return { input, output };
    },
    get closed() {
      return closed;
    },
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    get recentErrors() {
      return errors.count();
    },
  };
}

/** UTF-8 length of a string; exact only when it could exceed `limit` (cheap otherwise). */
function utf8Length(text: string, limit: number): number {
  return text.length * 3 <= limit ? text.length : Buffer.byteLength(text, 'utf8');
}

function resolveLimits(overrides: Partial<SessionSocketLimits> | undefined): SessionSocketLimits {
  const limits = { ...DEFAULT_SESSION_SOCKET_LIMITS, ...overrides };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < (key === 'maxErrors' ? 0 : 1)) {
      throw new VoiceError('VALIDATION_FAILED', {
        message: `Session socket limit ${key} is ${String(value)}; expected a positive integer (maxErrors may be 0).`,
        details: { field: `limits.${key}`, value },
      });
    }
  }
  return limits;
}
