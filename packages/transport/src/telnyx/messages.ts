/**
 * Telnyx media-streaming messages, as Telnyx documents them (developers.telnyx.com,
 * "Stream call media over WebSocket"): what Telnyx sends (`connected`, `start`, `media`,
 * `dtmf`, `mark`, `error`, `stop`, snake_case, `stream_id` at the top level,
 * `sequence_number` as a decimal string) with zod schemas, and what a bidirectional
 * (`rtp` mode) stream may send back (`media`, `mark`, `clear`). Fields Telnyx may add
 * later are ignored, not refused.
 */
import { z } from 'zod';
import {
  BASE64_PATTERN,
  DTMF_DIGIT_PATTERN,
  parseEventMessage,
} from '../telephony/carrier-protocol.js';
import type { EventParseResult } from '../telephony/carrier-protocol.js';

/** The events Telnyx sends that this transport understands. */
export const TELNYX_EVENTS = Object.freeze([
  'connected',
  'start',
  'media',
  'dtmf',
  'mark',
  'error',
  'stop',
] as const);

/** One of {@link TELNYX_EVENTS}. */
export type TelnyxEvent = (typeof TELNYX_EVENTS)[number];

/** Telnyx's counters: decimal strings ("1", "2", …); a number is read the same. */
const counterSchema = z
  .union([z.string().regex(/^\d{1,15}$/), z.number().int().nonnegative()], {
    error: 'expected a decimal number string',
  })
  .transform(Number);
const idSchema = z.string().min(1).max(256);
const base64Schema = z.string().regex(BASE64_PATTERN, { error: 'expected base64' });

/** `connected`: the first message. */
export const telnyxConnectedSchema = z.object({
  event: z.literal('connected'),
  version: z.string().optional(),
});

/** `start`: the stream's call, custom parameters (TeXML `<Parameter>`s) and media format. */
export const telnyxStartSchema = z.object({
  event: z.literal('start'),
  sequence_number: counterSchema.optional(),
  stream_id: idSchema,
  start: z.object({
    user_id: z.string().optional(),
    call_control_id: idSchema,
    call_session_id: z.string().optional(),
    from: z.string().optional(),
    to: z.string().optional(),
    client_state: z.string().nullish(),
    custom_parameters: z.record(z.string(), z.string()).nullish(),
    media_format: z.object({
      encoding: z.string(),
      sample_rate: z.number(),
      channels: z.number(),
    }),
  }),
});

/** `media`: one chunk of base64 RTP payload (no RTP header) of one track. */
export const telnyxMediaSchema = z.object({
  event: z.literal('media'),
  sequence_number: counterSchema.optional(),
  stream_id: idSchema,
  media: z.object({
    track: z.string().optional(),
    chunk: counterSchema.optional(),
    timestamp: counterSchema.optional(),
    payload: base64Schema,
  }),
});

/** `dtmf`: a key the caller pressed. */
export const telnyxDtmfSchema = z.object({
  event: z.literal('dtmf'),
  sequence_number: counterSchema.optional(),
  stream_id: idSchema,
  occurred_at: z.string().optional(),
  dtmf: z.object({
    digit: z.string().regex(DTMF_DIGIT_PATTERN, { error: 'expected one DTMF digit' }),
  }),
});

/** `mark`: a mark we sent, returned once the media before it has played (or a clear dropped it). */
export const telnyxMarkSchema = z.object({
  event: z.literal('mark'),
  sequence_number: counterSchema.optional(),
  stream_id: idSchema,
  mark: z.object({ name: z.string() }),
});

/** `error`: a fault on the stream (e.g. a malformed frame we sent). */
export const telnyxErrorSchema = z.object({
  event: z.literal('error'),
  sequence_number: counterSchema.optional(),
  stream_id: z.string().optional(),
  payload: z
    .object({
      code: z.union([z.number(), z.string()]).optional(),
      title: z.string().optional(),
      detail: z.string().optional(),
    })
    .optional(),
});

/** `stop`: streaming ended (the call hung up or the stream was stopped). */
export const telnyxStopSchema = z.object({
  event: z.literal('stop'),
  sequence_number: counterSchema.optional(),
  stream_id: idSchema,
  stop: z
    .object({ user_id: z.string().optional(), call_control_id: z.string().optional() })
    .optional(),
});

/** The schema of each event Telnyx sends. */
export const TELNYX_MESSAGE_SCHEMAS = {
  connected: telnyxConnectedSchema,
  start: telnyxStartSchema,
  media: telnyxMediaSchema,
  dtmf: telnyxDtmfSchema,
  mark: telnyxMarkSchema,
  error: telnyxErrorSchema,
  stop: telnyxStopSchema,
} as const satisfies Record<TelnyxEvent, z.ZodType>;

/** A validated message from Telnyx. */
export type TelnyxInboundMessage = z.output<
  (typeof TELNYX_MESSAGE_SCHEMAS)[keyof typeof TELNYX_MESSAGE_SCHEMAS]
>;

/** A message this transport sends to Telnyx. */
export type TelnyxOutboundMessage =
  | { readonly event: 'media'; readonly media: { readonly payload: string } }
  | { readonly event: 'mark'; readonly mark: { readonly name: string } }
  | { readonly event: 'clear' };

/** Validates a message sent to Telnyx (for tests and scripted clients). */
export const telnyxOutboundSchema = z.discriminatedUnion('event', [
  z.strictObject({ event: z.literal('media'), media: z.strictObject({ payload: base64Schema }) }),
  z.strictObject({ event: z.literal('mark'), mark: z.strictObject({ name: z.string().min(1) }) }),
  z.strictObject({ event: z.literal('clear') }),
]);

/**
 * Parses one message from Telnyx: not JSON or no `event` → `INVALID_FRAME`; an event not
 * in {@link TELNYX_EVENTS} → `unknown` (to be ignored); a schema violation →
 * `VALIDATION_FAILED` naming the field.
 */
export function parseTelnyxMessage(text: string): EventParseResult<TelnyxInboundMessage> {
  return parseEventMessage<TelnyxInboundMessage>('Telnyx', text, TELNYX_MESSAGE_SCHEMAS);
}
