/**
 * Payload schemas of the handoff events (`prx.voice.session.handoff_*`): a transfer of
 * the conversation to a person — a phone number or a SIP address — requested by a tool,
 * a flow or the API, and its outcome.
 */
import { z } from 'zod';
import { errorBodyShape, msSchema, nonEmptySchema, sessionStateSchema } from './common.js';

/** An E.164 phone number: `+`, country code, at most 15 digits. */
export const E164_PATTERN = /^\+[1-9]\d{1,14}$/;

/** A `sip:` or `sips:` URI (as Twilio's `<Dial><Sip>` takes it): no spaces, quotes or angle brackets. */
export const SIP_URI_PATTERN = /^sips?:[^\s<>"']+$/i;

/** A phone number to transfer to. */
export const phoneHandoffTargetSchema = z.strictObject({
  type: z.literal('phone'),
  /** E.164, e.g. `+14155550100`. */
  number: z
    .string()
    .regex(E164_PATTERN, { error: 'expected an E.164 number such as +14155550100' }),
});

/** A SIP address to transfer to. */
export const sipHandoffTargetSchema = z.strictObject({
  type: z.literal('sip'),
  /** `sip:` or `sips:` URI, e.g. `sip:desk@pbx.example.com`. */
  uri: z
    .string()
    .max(512)
    .regex(SIP_URI_PATTERN, { error: 'expected a sip: or sips: URI such as sip:desk@example.com' }),
});

/** Where a handoff goes (discriminated by `type`). */
export const handoffTargetSchema = z.discriminatedUnion('type', [
  phoneHandoffTargetSchema,
  sipHandoffTargetSchema,
]);

/** What asked for a handoff. */
export const HANDOFF_TRIGGERS = ['tool', 'flow', 'api'] as const;

/** Why a handoff did not happen. */
export const HANDOFF_FAILURE_REASONS = ['error', 'timeout', 'cancelled'] as const;

/** `session.handoff_requested`: the conversation is being handed to `target`; the answer stopped. */
export const handoffRequestedSchema = z.object({
  target: handoffTargetSchema,
  /** Why, as the requester put it (shown to whoever takes the call). */
  reason: nonEmptySchema.optional(),
  trigger: z.enum(HANDOFF_TRIGGERS),
  /** The state the session left for HandoffPending. */
  from: sessionStateSchema,
});

/** `session.handoff_completed`: the transfer took; the session closes with outcome `handoff`. */
export const handoffCompletedSchema = z.object({
  target: handoffTargetSchema,
  /** From the request to the confirmation. */
  duration_ms: msSchema,
});

/**
 * `session.handoff_failed`: the transfer did not take (`error`), had no outcome in time
 * (`timeout`), or the session ended first (`cancelled`); the conversation carries on
 * unless it ended.
 */
export const handoffFailedSchema = z.object({
  target: handoffTargetSchema,
  reason: z.enum(HANDOFF_FAILURE_REASONS),
  error: z.object(errorBodyShape).optional(),
  duration_ms: msSchema,
});

/** The handoff events: type → data schema. */
export const HANDOFF_DATA_SCHEMAS = {
  'prx.voice.session.handoff_requested': handoffRequestedSchema,
  'prx.voice.session.handoff_completed': handoffCompletedSchema,
  'prx.voice.session.handoff_failed': handoffFailedSchema,
} as const;
