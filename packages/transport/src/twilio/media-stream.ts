/**
 * A Twilio Media Streams WebSocket (bidirectional, `<Connect><Stream>`): Twilio's
 * JSON messages in, base64 µ-law 8 kHz decoded and resampled to the engine's rate;
 * engine audio out as `media` messages of at most 20 ms, a `mark` after every
 * segment (echoed once Twilio has played it), and `clear` on barge-in. Nothing is
 * buffered here beyond what a single call converts.
 */
import type { Clock } from '@prx-voice/core';
import type { SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import type { z } from 'zod';
import { createErrorWindow } from '../error-window.js';
import { CLOSE_CODES, closeReason } from '../socket.js';
import type { WireSocket } from '../socket.js';
import { createMarkLedger } from './mark-ledger.js';
import { parseTwilioMessage } from './messages.js';
import type { TWILIO_MESSAGE_SCHEMAS, TwilioInboundMessage } from './messages.js';
import { createSegmentMarks } from './segment-marks.js';
import {
  createTwilioInboundAudio,
  createTwilioOutboundAudio,
  TWILIO_RATE,
} from './twilio-audio.js';

/** What `start` tells about the stream. */
export interface TwilioStartInfo {
  readonly streamSid: string;
  readonly callSid: string;
  readonly accountSid: string;
  /** The `<Parameter>`s of the TwiML `<Stream>`. */
  readonly customParameters: Readonly<Record<string, string>>;
  /** Tracks Twilio will send, e.g. `["inbound"]`. */
  readonly tracks: readonly string[];
  readonly mediaFormat: {
    readonly encoding: string;
    readonly sampleRate: number;
    readonly channels: number;
  };
}

/** Context of a mark echo. */
export interface TwilioMarkInfo {
  /** The mark was sent before the latest `clear()`: its audio may have been dropped, not played. */
  readonly cleared: boolean;
  /** Time from `sendMark` to the echo, by the clock. */
  readonly sinceSentMs: number;
}

/** What the server does with Twilio's messages; arguments are valid only during the call. */
export interface TwilioMediaStreamHandlers {
  /** `start`: the call and its custom parameters (authenticate and attach here). */
  onStart(info: TwilioStartInfo): void;
  /** Caller audio at the engine's input rate (a view of a reused buffer: copy to keep). Never empty. */
  onAudio(samples: Int16Array): void;
  /** `dtmf`: a key the caller pressed. */
  onDtmf(digit: string): void;
  /** `mark` echo of a mark sent with `sendMark`: the audio before it has played (or was cleared). */
  onMarkPlayed(name: string, info: TwilioMarkInfo): void;
  /** `stop`: the stream ended. */
  onStop(): void;
  /** A malformed or out-of-place message, dropped. */
  onProtocolError(error: VoiceError): void;
}

/** Limits of one Twilio stream. */
export interface TwilioStreamLimits {
  /** Largest message accepted, in bytes. */
  readonly maxMessageBytes: number;
  /** Most protocol errors tolerated within `errorWindowMs`; one more closes with 1008. */
  readonly maxErrors: number;
  readonly errorWindowMs: number;
}

/** Defaults of {@link TwilioStreamLimits}. */
export const DEFAULT_TWILIO_STREAM_LIMITS: TwilioStreamLimits = Object.freeze({
  maxMessageBytes: 65_536,
  maxErrors: 20,
  errorWindowMs: 60_000,
});

/** Options of {@link createTwilioMediaStream}. */
export interface TwilioMediaStreamOptions {
  readonly socket: WireSocket;
  readonly clock: Clock;
  /** The engine's PCM16 rates: what `onAudio` delivers and `sendAudio` takes. */
  readonly engine: { readonly inputRate: SampleRate; readonly outputRate: SampleRate };
  readonly handlers: TwilioMediaStreamHandlers;
  readonly limits?: Partial<TwilioStreamLimits>;
}

/** Where the stream is. */
export type TwilioStreamState = 'awaiting-start' | 'started' | 'stopped';

/** Counters of one stream. */
export interface TwilioStreamStats {
  /** Messages received. */
  messages: number;
  /** Inbound `media` messages decoded. */
  mediaReceived: number;
  /** `media` of other tracks than `inbound`, ignored. */
  otherTrackMedia: number;
  /** Messages with an `event` this transport does not know, ignored. */
  unknownEvents: number;
  /** Times `sequenceNumber` did not follow the previous one. */
  sequenceGaps: number;
  /** Messages after `stop`, ignored. */
  afterStop: number;
  /** `media` messages sent. */
  mediaSent: number;
  /** `sendAudio` calls dropped because the stream had not started, had stopped or was closed. */
  droppedSends: number;
  /** Mark echoes for marks never sent, ignored. */
  unknownMarks: number;
}

/** One Twilio Media Streams connection; see {@link createTwilioMediaStream}. */
export interface TwilioMediaStream {
  /** Handles one message from Twilio (text; bytes are read as UTF-8). */
  receive(data: string | Uint8Array): void;
  /** Sends engine-rate PCM16 as µ-law 8 kHz `media` messages of at most 20 ms each. */
  sendAudio(samples: Int16Array): void;
  /**
   * Sends a `mark` after the audio so far (first sending what the resampler holds
   * back); Twilio echoes it once that audio has played.
   */
  sendMark(name: string): void;
  /**
   * Sends a segment's audio as `sendAudio` does. Every segment is followed by a
   * mark named by its id: `endSegment` sends it, or at the latest the first audio
   * of another segment does, so no segment goes unmarked.
   */
  sendSegmentAudio(segmentId: string, samples: Int16Array): void;
  /**
   * The segment's audio is all sent: sends its mark. True when the mark went out
   * (an echo will follow); false when the segment owes none (no audio sent since
   * its last mark or a `clear`) or the stream cannot send.
   */
  endSegment(segmentId: string): boolean;
  /** Sends `clear` (barge-in): Twilio drops its buffered audio; resampler state is dropped too. */
  clear(): void;
  /** Closes the WebSocket (ending `<Connect>`); later sends are dropped. */
  close(code: number, reason: string): void;
  readonly state: TwilioStreamState;
  /** From `start`; undefined before it. */
  readonly streamSid: string | undefined;
  /** From `start`; undefined before it. */
  readonly startInfo: TwilioStartInfo | undefined;
  /** Marks sent and not yet echoed. */
  readonly pendingMarks: number;
  /** The socket's queued bytes, when it reports them. */
  readonly bufferedAmount: number | undefined;
  readonly stats: Readonly<TwilioStreamStats>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Creates the protocol handler of one Twilio Media Streams WebSocket.
 *
 * @example
 * const stream = createTwilioMediaStream({ socket: ws, clock, engine: { inputRate: 16000, outputRate: 24000 }, handlers });
 * ws.on('message', (data) => stream.receive(data as Buffer));
 * // pacer: stream.sendAudio(frame); after each segment: stream.sendMark(segmentId); barge-in: stream.clear()
 */
export function createTwilioMediaStream(options: TwilioMediaStreamOptions): TwilioMediaStream {
  const { socket, clock, engine, handlers } = options;
  const limits = { ...DEFAULT_TWILIO_STREAM_LIMITS, ...options.limits };
  const errors = createErrorWindow({
    clock,
    max: limits.maxErrors,
    windowMs: limits.errorWindowMs,
  });
  const stats: TwilioStreamStats = {
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
  const inbound = createTwilioInboundAudio(engine.inputRate);
  const outbound = createTwilioOutboundAudio(engine.outputRate, (message) => {
    socket.send(message);
  });
  let state: TwilioStreamState = 'awaiting-start';
  let info: TwilioStartInfo | undefined;
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

  /** Sends a mark after the audio so far; false (counted as dropped) when the stream cannot send. */
  const mark = (name: string): boolean => {
    if (name === '') {
      throw new VoiceError('VALIDATION_FAILED', {
        message: 'A Twilio mark needs a non-empty name.',
        details: { field: 'name' },
      });
    }
    if (!canSend() || info === undefined) {
      stats.droppedSends++;
      return false;
    }
    stats.mediaSent += outbound.flush();
    marks.sent(name, clock.now());
    socket.send(JSON.stringify({ event: 'mark', streamSid: info.streamSid, mark: { name } }));
    return true;
  };

  const sendAudio = (samples: Int16Array): void => {
    if (!canSend()) {
      stats.droppedSends++;
      return;
    }
    stats.mediaSent += outbound.push(samples);
  };

  const onStart = (message: z.output<typeof TWILIO_MESSAGE_SCHEMAS.start>): void => {
    if (state !== 'awaiting-start') {
      report(invalid('A second start message was received; it was ignored.', { event: 'start' }));
      return;
    }
    const { start } = message;
    const format = start.mediaFormat;
    if (
      format.encoding !== 'audio/x-mulaw' ||
      format.sampleRate !== TWILIO_RATE ||
      format.channels !== 1
    ) {
      report(
        new VoiceError('UNSUPPORTED_AUDIO_FORMAT', {
          message: `The stream's media format ${format.encoding} ${format.sampleRate} Hz × ${format.channels} is not supported; expected audio/x-mulaw 8000 Hz mono.`,
          details: { mediaFormat: format },
        }),
      );
      return;
    }
    state = 'started';
    info = {
      streamSid: message.streamSid,
      callSid: start.callSid,
      accountSid: start.accountSid,
      customParameters: start.customParameters,
      tracks: start.tracks,
      mediaFormat: format,
    };
    outbound.setStreamSid(message.streamSid);
    handlers.onStart(info);
  };

  const onMedia = (media: z.output<typeof TWILIO_MESSAGE_SCHEMAS.media>['media']): void => {
    if (media.track !== 'inbound') {
      stats.otherTrackMedia++;
      return;
    }
    stats.mediaReceived++;
    const samples = inbound.decode(media.payload);
    if (samples.length > 0) handlers.onAudio(samples);
  };

  const onMark = (name: string): void => {
    const echo = marks.echoed(name);
    if (echo === undefined) {
      stats.unknownMarks++;
      return;
    }
    handlers.onMarkPlayed(name, { cleared: echo.cleared, sinceSentMs: clock.now() - echo.sentAt });
  };

  const dispatch = (message: TwilioInboundMessage): void => {
    if (message.event === 'connected') return;
    if (message.event === 'start') {
      onStart(message);
      return;
    }
    if (info === undefined) {
      report(
        invalid(`A ${message.event} message arrived before start; it was dropped.`, {
          event: message.event,
        }),
      );
      return;
    }
    if (message.streamSid !== info.streamSid) {
      report(
        invalid(
          `A ${message.event} message names stream ${message.streamSid}, not ${info.streamSid}; it was dropped.`,
          {
            event: message.event,
            streamSid: message.streamSid,
          },
        ),
      );
      return;
    }
    switch (message.event) {
      case 'media':
        return onMedia(message.media);
      case 'dtmf':
        return handlers.onDtmf(message.dtmf.digit);
      case 'mark':
        return onMark(message.mark.name);
      case 'stop':
        state = 'stopped';
        return handlers.onStop();
    }
  };

  const trackSequence = (message: TwilioInboundMessage): void => {
    if (message.event === 'connected') return;
    const sequence = Number(message.sequenceNumber);
    if (lastSequence !== undefined && sequence !== lastSequence + 1) stats.sequenceGaps++;
    lastSequence = sequence;
  };

  const receiveText = (text: string): void => {
    const result = parseTwilioMessage(text);
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

  return {
    receive: (data) => {
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
            message: `The Twilio message of ${bytes} bytes is larger than the limit of ${limits.maxMessageBytes}; it was dropped.`,
            details: { bytes, max_bytes: limits.maxMessageBytes },
          }),
        );
        return;
      }
      if (typeof data === 'string') {
        receiveText(data);
        return;
      }
      let text: string;
      try {
        text = utf8.decode(data);
      } catch (cause) {
        report(
          new VoiceError('INVALID_FRAME', {
            message: 'The Twilio message is not valid UTF-8.',
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
      outbound.reset();
      segments.reset();
      if (!canSend() || info === undefined) return;
      marks.cleared();
      socket.send(JSON.stringify({ event: 'clear', streamSid: info.streamSid }));
    },
    close,
    get state() {
      return state;
    },
    get streamSid() {
      return info?.streamSid;
    },
    get startInfo() {
      return info;
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
