/**
 * One telephony interface: a carrier's media-stream protocol is only its wire format —
 * how an inbound message reads as start / audio / dtmf / playback-acknowledged / stop,
 * which audio format a stream carries, and how audio, a playback marker and a clear are
 * written. Everything else (pacing, marks → heard position, clear on barge-in, error
 * budgets) is carrier-agnostic, in {@link createCarrierMediaStream}.
 */
import type { z } from 'zod';
import { VoiceError } from '@prx-voice/types';
import { frameIssues, frameValidationError } from '../validation.js';
import type { CarrierAudioFormat, CarrierChunking, MediaEnvelope } from './carrier-audio.js';

/** The media format a `start` announces, as the carrier names it. */
export interface AnnouncedMediaFormat {
  readonly encoding: string;
  readonly sampleRate: number;
  readonly channels: number;
}

/** Fields every message of a started stream carries. */
interface StreamMessage {
  /** The carrier's event name, for error messages. */
  readonly event: string;
  /** The stream the message belongs to. */
  readonly streamId: string;
  /** The carrier's message counter, when it sends one. */
  readonly sequence?: number | undefined;
}

/** One inbound message in carrier-neutral terms; `S` is what the carrier's `start` tells. */
export type CarrierMessage<S> =
  | { readonly kind: 'connected' }
  | (StreamMessage & {
      readonly kind: 'start';
      readonly start: S;
      readonly mediaFormat: AnnouncedMediaFormat;
    })
  | (StreamMessage & {
      readonly kind: 'audio';
      /** Whether this is the caller's track (others are counted and ignored). */
      readonly inbound: boolean;
      /** Base64 audio in the stream's format, or its raw bytes (binary frames). */
      readonly payload: string | Uint8Array;
    })
  | (StreamMessage & { readonly kind: 'dtmf'; readonly digit: string })
  /** A playback marker we sent has been reached (its audio played, or a clear dropped it). */
  | (StreamMessage & { readonly kind: 'played'; readonly name: string })
  /**
   * The carrier emptied its buffer after our clear, and says markers queued behind the
   * cleared audio will not come back (Plivo `clearedAudio`, Vonage `websocket:cleared`).
   */
  | (StreamMessage & { readonly kind: 'cleared' })
  | (StreamMessage & { readonly kind: 'stop' })
  /** The carrier reports a fault on the stream (reported, the stream goes on). */
  | (StreamMessage & { readonly kind: 'carrier-error'; readonly message: string });

/** The result of a carrier's `parse`. */
export type CarrierParseResult<S> =
  | { readonly kind: 'message'; readonly message: CarrierMessage<S> }
  | { readonly kind: 'unknown'; readonly event: string }
  | { readonly kind: 'error'; readonly error: VoiceError };

/** A carrier's media-stream wire format. */
export interface CarrierProtocol<S> {
  /** The carrier's name in messages ("Twilio", "Telnyx"). */
  readonly label: string;
  /** Reads one text message. */
  parse(text: string): CarrierParseResult<S>;
  /** The stream's audio format from what `start` announced; a `VoiceError` refuses the start. */
  audioFormat(announced: AnnouncedMediaFormat, start: S): CarrierAudioFormat | VoiceError;
  /** The envelope of outbound `media` messages of a stream in its negotiated `format`. */
  mediaEnvelope(streamId: string, format: CarrierAudioFormat): MediaEnvelope;
  /** A playback marker the carrier acknowledges once the audio before it has played. */
  mark(streamId: string, name: string): string;
  /** Drops the carrier's buffered audio (barge-in). */
  clear(streamId: string): string;
  /**
   * Audio travels as binary WebSocket frames of raw audio (Vonage), not as base64 in
   * `media` messages: `parseBinary` reads an inbound binary frame (undefined: binary
   * frames are read as UTF-8 text), and outbound audio leaves as binary frames of
   * exactly 20 ms each (the last of a stretch padded with silence).
   */
  readonly binaryAudio?: {
    /** Reads one binary frame: caller audio in the stream's format, or a refusal. */
    parseBinary(bytes: Uint8Array): CarrierParseResult<S>;
  };
  /** The carrier's outbound payload size rule, when it has one (absent: 20 ms payloads). */
  readonly outboundChunking?: CarrierChunking;
}

/** The JSON-with-an-`event` messages most carriers send: the zod schema of each event. */
export type EventSchemas = Readonly<Record<string, z.ZodType>>;

/** The result of {@link parseEventMessage}. */
export type EventParseResult<T> =
  | { readonly kind: 'message'; readonly message: T }
  | { readonly kind: 'unknown'; readonly event: string }
  | { readonly kind: 'error'; readonly error: VoiceError };

/**
 * Parses one JSON message whose `event` names its schema: not JSON or no `event` →
 * `INVALID_FRAME`; an event without a schema → `unknown` (to be ignored); a schema
 * violation → `VALIDATION_FAILED` naming the field.
 */
export function parseEventMessage<T>(
  label: string,
  text: string,
  schemas: EventSchemas,
): EventParseResult<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const error = new VoiceError('INVALID_FRAME', {
      message: `The ${label} message is not JSON.`,
      cause,
    });
    return { kind: 'error', error };
  }
  const event =
    typeof value === 'object' && value !== null ? (value as { event?: unknown }).event : undefined;
  if (typeof event !== 'string') {
    const error = new VoiceError('INVALID_FRAME', {
      message: `The ${label} message has no "event".`,
    });
    return { kind: 'error', error };
  }
  const schema = Object.hasOwn(schemas, event) ? schemas[event] : undefined;
  if (schema === undefined) return { kind: 'unknown', event };
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = frameIssues(parsed.error);
    return {
      kind: 'error',
      error: frameValidationError(`Invalid ${label} ${event} message`, issues, { event }),
    };
  }
  return { kind: 'message', message: parsed.data as T };
}

/** Standard base64 (audio payloads). */
export const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** One DTMF key: `0-9`, `*`, `#`, `A-D`. */
export const DTMF_DIGIT_PATTERN = /^[0-9*#A-D]$/;
