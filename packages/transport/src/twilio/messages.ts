/**
 * Twilio Media Streams messages, as Twilio documents them
 * (twilio.com/docs/voice/media-streams/websocket-messages): what Twilio sends
 * (`connected`, `start`, `media`, `dtmf`, `mark`, `stop`) with zod schemas, and
 * what a bidirectional stream may send back (`media`, `mark`, `clear`).
 * Fields Twilio may add later are ignored, not refused.
 */
import { z } from 'zod';
import {
  BASE64_PATTERN,
  DTMF_DIGIT_PATTERN,
  parseEventMessage,
} from '../telephony/carrier-protocol.js';
import type { EventParseResult } from '../telephony/carrier-protocol.js';

/** The events Twilio sends that this transport understands. */
export const TWILIO_EVENTS = Object.freeze([
  'connected',
  'start',
  'media',
  'dtmf',
  'mark',
  'stop',
] as const);

/** One of {@link TWILIO_EVENTS}. */
export type TwilioEvent = (typeof TWILIO_EVENTS)[number];

/** Twilio's counters are decimal strings ("1", "2", …). */
const counterSchema = z.string().regex(/^\d{1,15}$/, { error: 'expected a decimal number string' });
const sidSchema = z.string().min(1).max(64);
/** Standard base64 (µ-law payloads). */
const base64Schema = z.string().regex(BASE64_PATTERN, { error: 'expected base64' });

/** `connected`: the first message, naming the protocol. */
export const twilioConnectedSchema = z.object({
  event: z.literal('connected'),
  protocol: z.string(),
  version: z.string(),
});

/** `start`: stream metadata, once, right after `connected`. */
export const twilioStartSchema = z.object({
  event: z.literal('start'),
  sequenceNumber: counterSchema,
  streamSid: sidSchema,
  start: z.object({
    streamSid: sidSchema,
    accountSid: sidSchema,
    callSid: sidSchema,
    tracks: z.array(z.string()),
    customParameters: z.record(z.string(), z.string()).default({}),
    mediaFormat: z.object({
      encoding: z.string(),
      sampleRate: z.number(),
      channels: z.number(),
    }),
  }),
});

/** `media`: one chunk of base64 µ-law 8 kHz audio of one track. */
export const twilioMediaSchema = z.object({
  event: z.literal('media'),
  sequenceNumber: counterSchema,
  streamSid: sidSchema,
  media: z.object({
    track: z.string(),
    chunk: counterSchema,
    timestamp: counterSchema,
    payload: base64Schema,
  }),
});

/** `dtmf`: a key the caller pressed (bidirectional streams). */
export const twilioDtmfSchema = z.object({
  event: z.literal('dtmf'),
  sequenceNumber: counterSchema,
  streamSid: sidSchema,
  dtmf: z.object({
    track: z.string(),
    digit: z.string().regex(DTMF_DIGIT_PATTERN, { error: 'expected one DTMF digit' }),
  }),
});

/** `mark`: the echo of a mark we sent, once the audio before it has played (or was cleared). */
export const twilioMarkSchema = z.object({
  event: z.literal('mark'),
  sequenceNumber: counterSchema,
  streamSid: sidSchema,
  mark: z.object({ name: z.string() }),
});

/** `stop`: the stream ended (the call hung up or the stream was stopped). */
export const twilioStopSchema = z.object({
  event: z.literal('stop'),
  sequenceNumber: counterSchema,
  streamSid: sidSchema,
  stop: z.object({ accountSid: sidSchema, callSid: sidSchema }),
});

/** The schema of each event Twilio sends. */
export const TWILIO_MESSAGE_SCHEMAS = {
  connected: twilioConnectedSchema,
  start: twilioStartSchema,
  media: twilioMediaSchema,
  dtmf: twilioDtmfSchema,
  mark: twilioMarkSchema,
  stop: twilioStopSchema,
} as const satisfies Record<TwilioEvent, z.ZodType>;

/** A validated message from Twilio. */
export type TwilioInboundMessage = z.output<
  (typeof TWILIO_MESSAGE_SCHEMAS)[keyof typeof TWILIO_MESSAGE_SCHEMAS]
>;

/** `media` to Twilio: base64 µ-law 8 kHz mono, no file header. */
export interface TwilioOutboundMedia {
  readonly event: 'media';
  readonly streamSid: string;
  readonly media: { readonly payload: string };
}

/** `mark` to Twilio: echoed back once the audio sent before it has played. */
export interface TwilioOutboundMark {
  readonly event: 'mark';
  readonly streamSid: string;
  readonly mark: { readonly name: string };
}

/** `clear` to Twilio: drop all buffered audio (barge-in); pending marks are echoed. */
export interface TwilioOutboundClear {
  readonly event: 'clear';
  readonly streamSid: string;
}

/** A message this transport sends to Twilio. */
export type TwilioOutboundMessage = TwilioOutboundMedia | TwilioOutboundMark | TwilioOutboundClear;

/** Validates a message sent to Twilio (for tests and scripted clients). */
export const twilioOutboundSchema = z.discriminatedUnion('event', [
  z.strictObject({
    event: z.literal('media'),
    streamSid: sidSchema,
    media: z.strictObject({ payload: base64Schema }),
  }),
  z.strictObject({
    event: z.literal('mark'),
    streamSid: sidSchema,
    mark: z.strictObject({ name: z.string().min(1) }),
  }),
  z.strictObject({ event: z.literal('clear'), streamSid: sidSchema }),
]);

/** The result of {@link parseTwilioMessage}. */
export type TwilioParseResult = EventParseResult<TwilioInboundMessage>;

/**
 * Parses one message from Twilio: not JSON or no `event` → `INVALID_FRAME`; an
 * event not in {@link TWILIO_EVENTS} → `unknown` (to be ignored); a schema
 * violation → `VALIDATION_FAILED` naming the field.
 */
export function parseTwilioMessage(text: string): TwilioParseResult {
  return parseEventMessage<TwilioInboundMessage>('Twilio', text, TWILIO_MESSAGE_SCHEMAS);
}
