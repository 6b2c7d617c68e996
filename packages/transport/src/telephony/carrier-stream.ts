/**
 * A carrier's bidirectional media-stream WebSocket, whatever the carrier: its messages in
 * (through the carrier's {@link CarrierProtocol}), caller audio decoded and resampled to
 * the engine's rate; engine audio out as `media` messages of at most 20 ms, a playback
 * marker after every segment (acknowledged once the carrier has played it), and a clear on
 * barge-in. Nothing is buffered here beyond what a single call converts.
 */
import type { Clock } from '@prx-voice/core';
import type { SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import { createInboundConverter } from '../audio-format.js';
import type { InboundConverter } from '../audio-format.js';
import { createErrorWindow } from '../error-window.js';
import { CLOSE_CODES, closeReason } from '../socket.js';
import type { WireSocket } from '../socket.js';
import { createCarrierInboundAudio, createCarrierOutboundAudio } from './carrier-audio.js';
import type {
  CarrierAudioFormat,
  CarrierInboundAudio,
  CarrierOutboundAudio,
} from './carrier-audio.js';
import type { CarrierMessage, CarrierParseResult, CarrierProtocol } from './carrier-protocol.js';
import { createCarrierBinaryOutboundAudio } from './binary-audio.js';
import { createMarkLedger } from './mark-ledger.js';
import { createSegmentMarks } from './segment-marks.js';

/** Context of a playback acknowledgement. */
export interface CarrierMarkInfo {
  /** The marker was sent before the latest `clear()`: its audio may have been dropped, not played. */
  readonly cleared: boolean;
  /** Time from sending the marker to its acknowledgement, by the clock. */
  readonly sinceSentMs: number;
}

/** What the server does with a carrier's messages; arguments are valid only during the call. */
export interface CarrierMediaStreamHandlers<S> {
  /** `start`: the call and its custom parameters (authenticate and attach here). */
  onStart(start: S): void;
  /** Caller audio at the engine's input rate (a view of a reused buffer: copy to keep). Never empty. */
  onAudio(samples: Int16Array): void;
  /** A key the caller pressed. */
  onDtmf(digit: string): void;
  /** Acknowledgement of a marker sent with `sendMark`: the audio before it has played (or was cleared). */
  onMarkPlayed(name: string, info: CarrierMarkInfo): void;
  /** `stop`: the stream ended. */
  onStop(): void;
  /** A malformed or out-of-place message, dropped; or a fault the carrier reported. */
  onProtocolError(error: VoiceError): void;
}

/** Limits of one stream. */
export interface CarrierStreamLimits {
  /** Largest message accepted, in bytes. */
  readonly maxMessageBytes: number;
  /** Most protocol errors tolerated within `errorWindowMs`; one more closes with 1008. */
  readonly maxErrors: number;
  readonly errorWindowMs: number;
}

/** Defaults of {@link CarrierStreamLimits}. */
export const DEFAULT_CARRIER_STREAM_LIMITS: CarrierStreamLimits = Object.freeze({
  maxMessageBytes: 65_536,
  maxErrors: 20,
  errorWindowMs: 60_000,
});

/** Options of {@link createCarrierMediaStream}. */
export interface CarrierMediaStreamOptions<S> {
  readonly protocol: CarrierProtocol<S>;
  readonly socket: WireSocket;
  readonly clock: Clock;
  /** The engine's PCM16 rates: what `onAudio` delivers and `sendAudio` takes. */
  readonly engine: { readonly inputRate: SampleRate; readonly outputRate: SampleRate };
  readonly handlers: CarrierMediaStreamHandlers<S>;
  readonly limits?: Partial<CarrierStreamLimits>;
}

/** Where the stream is. */
export type CarrierStreamState = 'awaiting-start' | 'started' | 'stopped';

/** Counters of one stream. */
export interface CarrierStreamStats {
  /** Messages received. */
  messages: number;
  /** Inbound `media` messages decoded. */
  mediaReceived: number;
  /** `media` of other tracks than the caller's, ignored. */
  otherTrackMedia: number;
  /** Messages with an `event` this transport does not know, ignored. */
  unknownEvents: number;
  /** Times the sequence number did not follow the previous one. */
  sequenceGaps: number;
  /** Messages after `stop`, ignored. */
  afterStop: number;
  /** `media` messages sent. */
  mediaSent: number;
  /** `sendAudio` calls dropped because the stream had not started, had stopped or was closed. */
  droppedSends: number;
  /** Acknowledgements of markers never sent, ignored. */
  unknownMarks: number;
}

/** One media-stream connection; see {@link createCarrierMediaStream}. */
export interface CarrierMediaStream<S> {
  /**
   * Handles one message from the carrier: text, or bytes — raw audio when `binary` and the
   * carrier sends audio that way ({@link CarrierProtocol.binaryAudio}), else read as UTF-8 text.
   */
  receive(data: string | Uint8Array, binary?: boolean): void;
  /** Sends engine-rate PCM16 as `media` messages of at most 20 ms each (or of the carrier's payload size). */
  sendAudio(samples: Int16Array): void;
  /** Sends a marker after the audio so far (first sending what the resampler holds back). */
  sendMark(name: string): void;
  /**
   * Sends a segment's audio as `sendAudio` does. Every segment is followed by a
   * marker named by its id: `endSegment` sends it, or at the latest the first audio
   * of another segment does, so no segment goes unmarked.
   */
  sendSegmentAudio(segmentId: string, samples: Int16Array): void;
  /**
   * The segment's audio is all sent: sends its marker. True when it went out (an
   * acknowledgement will follow); false when the segment owes none or the stream cannot send.
   */
  endSegment(segmentId: string): boolean;
  /** Sends a clear (barge-in): the carrier drops its buffered audio; resampler state is dropped too. */
  clear(): void;
  /** Closes the WebSocket; later sends are dropped. */
  close(code: number, reason: string): void;
  readonly state: CarrierStreamState;
  /** From `start`; undefined before it. */
  readonly streamId: string | undefined;
  /** What `start` told; undefined before it. */
  readonly startInfo: S | undefined;
  /** The stream's audio format; undefined before `start`. */
  readonly format: CarrierAudioFormat | undefined;
  /** Markers sent and not yet acknowledged. */
  readonly pendingMarks: number;
  /** The socket's queued bytes, when it reports them. */
  readonly bufferedAmount: number | undefined;
  readonly stats: Readonly<CarrierStreamStats>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Creates the handler of one carrier media-stream WebSocket.
 *
 * @example
 * const stream = createCarrierMediaStream({ protocol: telnyxProtocol, socket: ws, clock, engine: { inputRate: 16000, outputRate: 24000 }, handlers });
 * ws.on('message', (data) => stream.receive(data as Buffer));
 * // pacer: stream.sendSegmentAudio(segmentId, frame); stream.endSegment(segmentId); barge-in: stream.clear()
 */
export function createCarrierMediaStream<S>(
  options: CarrierMediaStreamOptions<S>,
): CarrierMediaStream<S> {
  const { protocol, socket, clock, engine, handlers } = options;
  const label = protocol.label;
  const limits = { ...DEFAULT_CARRIER_STREAM_LIMITS, ...options.limits };
  const errors = createErrorWindow({
    clock,
    max: limits.maxErrors,
    windowMs: limits.errorWindowMs,
  });
  const stats: CarrierStreamStats = {
    messages: 0,
    mediaReceived: 0,
    otherTrackMedia: 0,
    unknownEvents: 0,
    sequenceGaps: 0,
    afterStop: 0,
    mediaSent: 0,
    droppedSends: 0,
    unknownMarks: 0,
  };
  let inbound: CarrierInboundAudio | undefined;
  let rawInbound: InboundConverter | undefined;
  let outbound: CarrierOutboundAudio | undefined;
  let state: CarrierStreamState = 'awaiting-start';
  let info: S | undefined;
  let streamId: string | undefined;
  let format: CarrierAudioFormat | undefined;
  let lastSequence: number | undefined;
  let closed = false;
  const marks = createMarkLedger();
  const segments = createSegmentMarks();

  const close = (code: number, reason: string): void => {
    if (closed) return;
    closed = true;
    socket.close(code, closeReason(reason));
  };

  const report = (error: VoiceError): void => {
    handlers.onProtocolError(error);
    if (errors.record()) close(CLOSE_CODES.policy, 'repeated protocol errors');
  };

  const invalid = (message: string, details: Record<string, unknown> = {}): VoiceError =>
    new VoiceError('INVALID_FRAME', { message, details });

  const canSend = (): boolean => state === 'started' && !closed;

  /** Sends a marker after the audio so far; false (counted as dropped) when the stream cannot send. */
  const mark = (name: string): boolean => {
    if (name === '') {
      throw new VoiceError('VALIDATION_FAILED', {
        message: `A ${label} mark needs a non-empty name.`,
        details: { field: 'name' },
      });
    }
    if (!canSend() || streamId === undefined || outbound === undefined) {
      stats.droppedSends++;
      return false;
    }
    stats.mediaSent += outbound.flush();
    marks.sent(name, clock.now());
    socket.send(protocol.mark(streamId, name));
    return true;
  };

  const sendAudio = (samples: Int16Array): void => {
    if (!canSend() || outbound === undefined) {
      stats.droppedSends++;
      return;
    }
    stats.mediaSent += outbound.push(samples);
  };

  const onStart = (message: Extract<CarrierMessage<S>, { kind: 'start' }>): void => {
    if (state !== 'awaiting-start') {
      report(invalid('A second start message was received; it was ignored.', { event: 'start' }));
      return;
    }
    const negotiated = protocol.audioFormat(message.mediaFormat, message.start);
    if (negotiated instanceof VoiceError) {
      report(negotiated);
      return;
    }
    state = 'started';
    info = message.start;
    streamId = message.streamId;
    format = negotiated;
    if (protocol.binaryAudio === undefined) {
      inbound = createCarrierInboundAudio(negotiated, engine.inputRate);
      outbound = createCarrierOutboundAudio(
        engine.outputRate,
        negotiated,
        (text) => {
          socket.send(text);
        },
        protocol.outboundChunking,
      );
    } else {
      rawInbound = createInboundConverter(negotiated, engine.inputRate);
      outbound = createCarrierBinaryOutboundAudio(engine.outputRate, negotiated, (frame) => {
        socket.send(frame);
      });
    }
    outbound.setEnvelope(protocol.mediaEnvelope(message.streamId, negotiated));
    handlers.onStart(message.start);
  };

  const onAudio = (payload: string | Uint8Array): void => {
    stats.mediaReceived++;
    let samples: Int16Array;
    try {
      if (typeof payload === 'string') {
        if (inbound === undefined) return;
        samples = inbound.decode(payload);
      } else {
        if (rawInbound === undefined) return;
        samples = rawInbound.convert(payload);
      }
    } catch (err) {
      report(err instanceof VoiceError ? err : invalid(`The ${label} audio could not be decoded.`));
      return;
    }
    if (samples.length > 0) handlers.onAudio(samples);
  };

  const onPlayed = (name: string): void => {
    const echo = marks.echoed(name);
    if (echo === undefined) {
      stats.unknownMarks++;
      return;
    }
    handlers.onMarkPlayed(name, { cleared: echo.cleared, sinceSentMs: clock.now() - echo.sentAt });
  };

  const dispatch = (message: CarrierMessage<S>): void => {
    if (message.kind === 'connected') return;
    if (message.kind === 'start') {
      onStart(message);
      return;
    }
    if (message.kind === 'carrier-error') {
      // Reported as it is, before start too; not counted against the error budget.
      handlers.onProtocolError(
        new VoiceError('PROVIDER_UNAVAILABLE', {
          message: `${label} reported a stream error: ${message.message}`,
          details: { event: message.event },
        }),
      );
      return;
    }
    if (streamId === undefined) {
      report(
        invalid(`A ${message.event} message arrived before start; it was dropped.`, {
          event: message.event,
        }),
      );
      return;
    }
    if (message.streamId !== streamId) {
      report(
        invalid(
          `A ${message.event} message names stream ${message.streamId}, not ${streamId}; it was dropped.`,
          { event: message.event, streamId: message.streamId },
        ),
      );
      return;
    }
    switch (message.kind) {
      case 'audio':
        if (message.inbound) onAudio(message.payload);
        else stats.otherTrackMedia++;
        return;
      case 'dtmf':
        return handlers.onDtmf(message.digit);
      case 'played':
        return onPlayed(message.name);
      case 'cleared':
        marks.dropCleared();
        return;
      case 'stop':
        state = 'stopped';
        return handlers.onStop();
    }
  };

  const trackSequence = (message: CarrierMessage<S>): void => {
    if (message.kind === 'connected' || message.sequence === undefined) return;
    if (lastSequence !== undefined && message.sequence !== lastSequence + 1) stats.sequenceGaps++;
    lastSequence = message.sequence;
  };

  const handle = (result: CarrierParseResult<S>): void => {
    switch (result.kind) {
      case 'unknown':
        stats.unknownEvents++;
        return;
      case 'error':
        report(result.error);
        return;
      case 'message':
        trackSequence(result.message);
        dispatch(result.message);
        return;
    }
  };

  const receiveText = (text: string): void => {
    handle(protocol.parse(text));
  };

  return {
    receive: (data, binary = false) => {
      if (closed) return;
      stats.messages++;
      if (state === 'stopped') {
        stats.afterStop++;
        return;
      }
      const bytes = typeof data === 'string' ? data.length : data.byteLength;
      if (bytes > limits.maxMessageBytes) {
        report(
          new VoiceError('PAYLOAD_TOO_LARGE', {
            message: `The ${label} message of ${bytes} bytes is larger than the limit of ${limits.maxMessageBytes}; it was dropped.`,
            details: { bytes, max_bytes: limits.maxMessageBytes },
          }),
        );
        return;
      }
      if (typeof data === 'string') {
        receiveText(data);
        return;
      }
      if (binary && protocol.binaryAudio !== undefined) {
        handle(protocol.binaryAudio.parseBinary(data));
        return;
      }
      let text: string;
      try {
        text = utf8.decode(data);
      } catch (cause) {
        report(
          new VoiceError('INVALID_FRAME', {
            message: `The ${label} message is not valid UTF-8.`,
            cause,
          }),
        );
        return;
      }
      receiveText(text);
    },
    sendAudio,
    sendMark: (name) => {
      mark(name);
    },
    sendSegmentAudio: (segmentId, samples) => {
      if (!canSend()) {
        stats.droppedSends++;
        return;
      }
      const previous = segments.audio(segmentId);
      if (previous !== undefined) mark(previous);
      sendAudio(samples);
    },
    endSegment: (segmentId) => segments.end(segmentId) && mark(segmentId),
    clear: () => {
      outbound?.reset();
      segments.reset();
      if (!canSend() || streamId === undefined) return;
      marks.cleared();
      socket.send(protocol.clear(streamId));
    },
    close,
    get state() {
      return state;
    },
    get streamId() {
      return streamId;
    },
    get startInfo() {
      return info;
    },
    get format() {
      return format;
    },
    get pendingMarks() {
      return marks.pending;
    },
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    get stats() {
      return stats;
    },
  };
}
