/**
 * One Pipecat client on the WebSocket transport of `@pipecat-ai/websocket-transport`:
 * binary protobuf `Frame`s both ways — audio as `AudioRawFrame` (PCM16 at the rate and
 * channel count each frame names, in; at the client's player rate, mono, out) and RTVI
 * JSON in `MessageFrame`s. The handshake (`client-ready` → `bot-ready`), requests
 * (`client-message` → `server-response` / `error-response`) and the mapping of session
 * events are done here; what a message asks of the session goes to the handlers.
 * Malformed frames and messages are answered with an RTVI `error` (or `error-response`
 * to a request) and the connection stays open; only repeated errors close it (1008).
 * With `framing: 'json'` (the SmallWebRTC data channel) messages are bare RTVI JSON text
 * both ways and audio travels elsewhere (RTP): `sendAudio` is not used.
 */
import type { Clock } from '@prx-voice/core';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { createResampler, isSampleRate } from '@prx-voice/media';
import type { Resampler, SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import { createOutboundConverter } from '../audio-format.js';
import { createErrorWindow } from '../error-window.js';
import { CLOSE_CODES, closeReason } from '../socket.js';
import type { WireSocket } from '../socket.js';
import { createRtviEventMapper } from './event-mapping.js';
import { decodePipecatFrame, encodeAudioFrame, encodeMessageFrame } from './frames.js';
import { RTVI_PROTOCOL_VERSION, parseRtviMessage, rtviMessage } from './messages.js';
import type { RtviClientMessage, RtviMessage } from './messages.js';

/** Limits of one RTVI connection. */
export interface RtviSocketLimits {
  /** Largest binary message accepted, bytes (the client's own limit is 1 MB). */
  readonly maxFrameBytes: number;
  /** Most protocol errors tolerated within `errorWindowMs`; one more closes with 1008. */
  readonly maxErrors: number;
  readonly errorWindowMs: number;
}

/** Defaults of {@link RtviSocketLimits}: 1 MiB frames, 20 errors a minute. */
export const DEFAULT_RTVI_SOCKET_LIMITS: RtviSocketLimits = Object.freeze({
  maxFrameBytes: 1_048_576,
  maxErrors: 20,
  errorWindowMs: 60_000,
});

/** What the server does with what the client asks; arguments are valid only during the call. */
export interface RtviSocketHandlers {
  /** Audio at the engine's input rate (a view of a reused buffer: copy to keep). */
  onAudio(samples: Int16Array): void;
  /** The client is ready (`bot-ready` has been sent). */
  onClientReady?(version: string): void;
  /** `send-text` (and inbound `TextFrame`/`TranscriptionFrame`s): a typed user turn. */
  onText(text: string, options: { readonly runImmediately: boolean }): void;
  /**
   * `client-message` `{t, d}`: resolve with the `d` of the `server-response`, reject to
   * answer `error-response` with the error's message.
   */
  onClientMessage(t: string, d: unknown): Promise<unknown>;
  /** `dtmf`: keys `0-9`, `*`, `#`. */
  onDtmf(digits: string): void;
  /** `disconnect-bot`: the client ends the bot (the session). */
  onDisconnectBot(): void;
  /** An inbound `InterruptionFrame`. */
  onInterrupt(): void;
  /** A malformed or unsupported frame or message, answered on the wire; for logs and metrics. */
  onProtocolError?(error: VoiceError): void;
}

/** Options of {@link createRtviSocket}. */
export interface RtviSocketOptions {
  readonly socket: WireSocket;
  readonly clock: Clock;
  /** The engine's PCM16 rates: what `onAudio` delivers and `sendAudio` takes. */
  readonly engine: { readonly inputRate: SampleRate; readonly outputRate: SampleRate };
  /**
   * The rate the client plays bot audio at (`playerSampleRate`, 24000 by default): the
   * transport ignores a frame's `sample_rate`, so audio is sent at this rate.
   */
  readonly outputRate: SampleRate;
  /** `about` of `bot-ready`. */
  readonly about?: Readonly<Record<string, unknown>>;
  readonly limits?: Partial<RtviSocketLimits>;
  /**
   * How messages travel: protobuf `Frame`s (`@pipecat-ai/websocket-transport`, the
   * default) or RTVI JSON as text (the SmallWebRTC data channel; no audio frames).
   */
  readonly framing?: 'protobuf' | 'json';
  readonly handlers: RtviSocketHandlers;
}

/** One RTVI connection; see {@link createRtviSocket}. */
export interface RtviSocket {
  /** Handles one incoming WebSocket message (`isBinary` as `ws` reports it). */
  receive(data: Uint8Array, isBinary: boolean): void;
  /** Sends engine-rate PCM16 as one `AudioRawFrame` at the client's rate (nothing if empty). */
  sendAudio(samples: Int16Array): void;
  /** Sends what a session event maps to (see `createRtviEventMapper`). */
  sendEvent(event: AnyVoiceEvent): void;
  /** Sends one RTVI message. */
  send(message: RtviMessage): void;
  /** Drops output audio the resampler holds back (barge-in). */
  resetOutput(): void;
  close(code: number, reason: string): void;
  /** Whether the client sent `client-ready`. */
  readonly ready: boolean;
  readonly closed: boolean;
}

/** Interleaved PCM16 LE bytes → mono samples (averaged), into `out`. */
function downmix(bytes: Uint8Array, channels: number, out: Int16Array): Int16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames = bytes.byteLength / (2 * channels);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += view.getInt16((i * channels + c) * 2, true);
    out[i] = Math.round(sum / channels);
  }
  return out.subarray(0, frames);
}

/**
 * Creates the protocol handler of one RTVI WebSocket connection.
 *
 * @example
 * const rtvi = createRtviSocket({ socket, clock, engine: { inputRate: 16000, outputRate: 24000 },
 *   outputRate: 24000, handlers });
 * ws.on('message', (data, isBinary) => rtvi.receive(data as Buffer, isBinary));
 * emitter.addSink((event) => rtvi.sendEvent(event));
 */
export function createRtviSocket(options: RtviSocketOptions): RtviSocket {
  const { socket, handlers, engine } = options;
  const limits = { ...DEFAULT_RTVI_SOCKET_LIMITS, ...options.limits };
  const errors = createErrorWindow({
    clock: options.clock,
    max: limits.maxErrors,
    windowMs: limits.errorWindowMs,
  });
  const mapper = createRtviEventMapper();
  const outbound = createOutboundConverter(engine.outputRate, {
    encoding: 'pcm16',
    sampleRate: options.outputRate as 8000 | 16000 | 24000 | 48000,
  });
  let inbound: { rate: SampleRate; resampler: Resampler } | undefined;
  let mono = new Int16Array(0);
  let ready = false;
  let closed = false;

  const close = (code: number, reason: string): void => {
    if (closed) return;
    closed = true;
    socket.close(code, closeReason(reason));
  };
  const json = options.framing === 'json';
  const decoder = new TextDecoder();
  const send = (message: RtviMessage): void => {
    if (closed) return;
    const text = JSON.stringify(message);
    socket.send(json ? text : encodeMessageFrame(text));
  };
  const handleText = (text: string): void => {
    const parsed = parseRtviMessage(text);
    if (parsed.ok) onMessage(parsed.message);
    else fail(parsed.error, parsed.id);
  };
  /** Answers a bad frame or message: `error-response` to a request with an id, else `error`. */
  const fail = (error: VoiceError, id?: string): void => {
    handlers.onProtocolError?.(error);
    send(
      id === undefined
        ? rtviMessage('error', { error: error.message, fatal: false })
        : rtviMessage('error-response', { error: error.message }, id),
    );
    if (errors.record()) close(CLOSE_CODES.policy, 'too many protocol errors');
  };

  const audio = (bytes: Uint8Array, sampleRate: number, numChannels: number): void => {
    if (!isSampleRate(sampleRate)) {
      fail(
        new VoiceError('UNSUPPORTED_AUDIO_FORMAT', {
          message: `Audio at ${String(sampleRate)} Hz is not supported; use 8000, 16000, 22050, 24000, 44100 or 48000.`,
          details: { sampleRate },
        }),
      );
      return;
    }
    const channels = numChannels === 0 ? 1 : numChannels;
    if (channels > 8 || bytes.byteLength % (2 * channels) !== 0) {
      fail(
        new VoiceError('INVALID_AUDIO', {
          message: `Audio of ${String(bytes.byteLength)} bytes is not whole PCM16 frames of ${String(channels)} channel(s).`,
          details: { byteLength: bytes.byteLength, numChannels: channels },
        }),
      );
      return;
    }
    if (inbound?.rate !== sampleRate) {
      inbound = {
        rate: sampleRate,
        resampler: createResampler({ from: sampleRate, to: engine.inputRate }),
      };
    }
    const frames = bytes.byteLength / (2 * channels);
    if (frames === 0) return;
    let samples: Int16Array;
    if (channels === 1 && bytes.byteOffset % 2 === 0) {
      samples = new Int16Array(bytes.buffer, bytes.byteOffset, frames);
    } else {
      if (mono.length < frames) mono = new Int16Array(Math.max(frames, 2 * mono.length));
      samples = downmix(bytes, channels, mono);
    }
    const out = inbound.resampler.process(samples);
    if (out.length > 0) handlers.onAudio(out);
  };

  const onMessage = (message: RtviClientMessage): void => {
    switch (message.type) {
      case 'client-ready': {
        const major = message.version.split('.')[0];
        if (major !== RTVI_PROTOCOL_VERSION.split('.')[0]) {
          send(
            rtviMessage(
              'error-response',
              {
                error: `RTVI protocol ${message.version} is not supported; this server speaks ${RTVI_PROTOCOL_VERSION}.`,
              },
              message.id,
            ),
          );
        }
        ready = true;
        send(
          rtviMessage(
            'bot-ready',
            { version: RTVI_PROTOCOL_VERSION, about: options.about ?? { library: 'prx-voice' } },
            message.id,
          ),
        );
        handlers.onClientReady?.(message.version);
        return;
      }
      case 'disconnect-bot':
        handlers.onDisconnectBot();
        return;
      case 'send-text':
        handlers.onText(message.content, { runImmediately: message.runImmediately });
        return;
      case 'client-message': {
        const { id, t } = message;
        handlers.onClientMessage(t, message.d).then(
          (d) => send(rtviMessage('server-response', { t, d }, id)),
          (err: unknown) =>
            send(rtviMessage('error-response', { error: VoiceError.from(err).message }, id)),
        );
        return;
      }
      case 'dtmf':
        handlers.onDtmf(message.digits);
        return;
      case 'llm-function-call-result':
        fail(
          new VoiceError('NOT_IMPLEMENTED', {
            message: `Function results from the client are not used: the server runs its tools itself (${message.functionName}).`,
            details: { function_name: message.functionName, tool_call_id: message.toolCallId },
          }),
          message.id,
        );
        return;
      case 'raw-audio':
        for (const chunk of message.audio) audio(chunk, message.sampleRate, message.numChannels);
        return;
      case 'unsupported':
        fail(
          new VoiceError('NOT_IMPLEMENTED', {
            message: `Unsupported type "${message.messageType}".`,
            details: { type: message.messageType },
          }),
          message.id,
        );
        return;
    }
  };

  return {
    receive(data, isBinary) {
      if (closed) return;
      if (json) {
        if (data.byteLength > limits.maxFrameBytes) {
          fail(
            new VoiceError('PAYLOAD_TOO_LARGE', {
              message: `A message of ${String(data.byteLength)} bytes is over the limit of ${String(limits.maxFrameBytes)}.`,
              details: { byteLength: data.byteLength, limit: limits.maxFrameBytes },
            }),
          );
          return;
        }
        handleText(decoder.decode(data));
        return;
      }
      if (!isBinary) {
        fail(
          new VoiceError('INVALID_FRAME', {
            message: 'Text messages are not part of this transport: send binary protobuf frames.',
            details: { reason: 'text_frame' },
          }),
        );
        return;
      }
      if (data.byteLength > limits.maxFrameBytes) {
        fail(
          new VoiceError('PAYLOAD_TOO_LARGE', {
            message: `A frame of ${String(data.byteLength)} bytes is over the limit of ${String(limits.maxFrameBytes)}.`,
            details: { byteLength: data.byteLength, limit: limits.maxFrameBytes },
          }),
        );
        return;
      }
      let frame;
      try {
        frame = decodePipecatFrame(data);
      } catch (err) {
        fail(VoiceError.from(err));
        return;
      }
      switch (frame.kind) {
        case 'audio':
          audio(frame.audio, frame.sampleRate, frame.numChannels);
          return;
        case 'message':
          handleText(frame.data);
          return;
        case 'text':
        case 'transcription':
          if (frame.text.trim() !== '') handlers.onText(frame.text, { runImmediately: true });
          return;
        case 'interruption':
          handlers.onInterrupt();
          return;
      }
    },
    sendAudio(samples) {
      if (closed || samples.length === 0) return;
      const converted = outbound.convert(samples);
      if (converted.byteLength === 0) return;
      const pcm = new Int16Array(converted.buffer, converted.byteOffset, converted.byteLength / 2);
      socket.send(encodeAudioFrame(pcm, options.outputRate, 1));
    },
    sendEvent(event) {
      for (const message of mapper.map(event)) send(message);
    },
    send,
    resetOutput() {
      outbound.reset();
    },
    close,
    get ready() {
      return ready;
    },
    get closed() {
      return closed;
    },
  };
}
