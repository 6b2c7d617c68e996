/**
 * Exotel Voicebot (bidirectional AgentStream) messages, as Exotel documents them
 * (developer.exotel.com, "WebSocket protocol"): what Exotel sends (`connected`, `start`,
 * `media`, `dtmf`, `mark`, `stop`; snake_case, `stream_sid` at the top level, counters and
 * the media format's numbers as decimal strings) with zod schemas, and what the bot may send
 * back (`media`, `mark`, `clear`, each naming the `stream_sid`). Fields Exotel may add later
 * are ignored, not refused.
 */
import { z } from 'zod';
import {
  BASE64_PATTERN,
  DTMF_DIGIT_PATTERN,
  parseEventMessage,
} from '../telephony/carrier-protocol.js';
import type { EventParseResult } from '../telephony/carrier-protocol.js';

/** The events Exotel sends that this transport understands. */
export const EXOTEL_EVENTS = Object.freeze([
  'connected',
  'start',
  'media',
  'dtmf',
  'mark',
  'stop',
] as const);

/** One of {@link EXOTEL_EVENTS}. */
export type ExotelEvent = (typeof EXOTEL_EVENTS)[number];

/** Exotel's counters and numbers: decimal strings ("1", "8000"); a number is read the same. */
const counterSchema = z
  .union([z.string().regex(/^\d{1,15}$/), z.number().int().nonnegative()], {
    error: 'expected a decimal number string',
  })
  .transform(Number);
const idSchema = z.string().min(1).max(256);
const base64Schema = z.string().regex(BASE64_PATTERN, { error: 'expected base64' });
/** Custom parameters are the applet URL's query: strings (a number is read as its text). */
const parameterSchema = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

/** `connected`: the first message. */
export const exotelConnectedSchema = z.object({ event: z.literal('connected') });

/** `start`: the call, the applet URL's custom parameters and the media format. */
export const exotelStartSchema = z.object({
  event: z.literal('start'),
  sequence_number: counterSchema.optional(),
  stream_sid: idSchema,
  start: z.object({
    stream_sid: z.string().optional(),
    call_sid: idSchema,
    account_sid: z.string().optional(),
    from: z.string().optional(),
    to: z.string().optional(),
    custom_parameters: z.record(z.string(), parameterSchema).nullish(),
    media_format: z.object({
      encoding: z.string(),
      sample_rate: counterSchema,
      bit_rate: counterSchema.optional(),
    }),
  }),
});

/** `media`: one chunk (about 100 ms) of the caller's base64 PCM16. */
export const exotelMediaSchema = z.object({
  event: z.literal('media'),
  sequence_number: counterSchema.optional(),
  stream_sid: idSchema,
  media: z.object({
    chunk: counterSchema.optional(),
    timestamp: counterSchema.optional(),
    payload: base64Schema,
  }),
});

/** `dtmf`: a key the caller pressed. */
export const exotelDtmfSchema = z.object({
  event: z.literal('dtmf'),
  sequence_number: counterSchema.optional(),
  stream_sid: idSchema,
  dtmf: z.object({
    digit: z.string().regex(DTMF_DIGIT_PATTERN, { error: 'expected one DTMF digit' }),
    duration: counterSchema.optional(),
  }),
});

/** `mark`: a mark we sent, returned once the audio before it has played (or a clear dropped it). */
export const exotelMarkSchema = z.object({
  event: z.literal('mark'),
  sequence_number: counterSchema.optional(),
  stream_sid: idSchema,
  mark: z.object({ name: z.string() }),
});

/** `stop`: the stream ended (the call hung up, or the flow moved on). */
export const exotelStopSchema = z.object({
  event: z.literal('stop'),
  sequence_number: counterSchema.optional(),
  stream_sid: idSchema,
  stop: z
    .object({
      call_sid: z.string().optional(),
      account_sid: z.string().optional(),
      reason: z.string().optional(),
    })
    .optional(),
});

/** The schema of each event Exotel sends. */
export const EXOTEL_MESSAGE_SCHEMAS = {
  connected: exotelConnectedSchema,
  start: exotelStartSchema,
  media: exotelMediaSchema,
  dtmf: exotelDtmfSchema,
  mark: exotelMarkSchema,
  stop: exotelStopSchema,
} as const satisfies Record<ExotelEvent, z.ZodType>;

/** A validated message from Exotel. */
export type ExotelInboundMessage = z.output<
  (typeof EXOTEL_MESSAGE_SCHEMAS)[keyof typeof EXOTEL_MESSAGE_SCHEMAS]
>;

/** A message this transport sends to Exotel. */
export type ExotelOutboundMessage =
  | {
      readonly event: 'media';
      readonly stream_sid: string;
      readonly media: { readonly payload: string };
    }
  | {
      readonly event: 'mark';
      readonly stream_sid: string;
      readonly mark: { readonly name: string };
    }
  | { readonly event: 'clear'; readonly stream_sid: string };

/** Validates a message sent to Exotel (for tests and scripted clients). */
export const exotelOutboundSchema = z.discriminatedUnion('event', [
  z.strictObject({
    event: z.literal('media'),
    stream_sid: idSchema,
    media: z.strictObject({ payload: base64Schema }),
  }),
  z.strictObject({
    event: z.literal('mark'),
    stream_sid: idSchema,
    mark: z.strictObject({ name: z.string().min(1) }),
  }),
  z.strictObject({ event: z.literal('clear'), stream_sid: idSchema }),
]);

/**
 * Parses one message from Exotel: not JSON or no `event` → `INVALID_FRAME`; an event not
 * in {@link EXOTEL_EVENTS} → `unknown` (to be ignored); a schema violation →
 * `VALIDATION_FAILED` naming the field.
 */
export function parseExotelMessage(text: string): EventParseResult<ExotelInboundMessage> {
  return parseEventMessage<ExotelInboundMessage>('Exotel', text, EXOTEL_MESSAGE_SCHEMAS);
}
