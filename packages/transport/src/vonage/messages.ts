/**
 * Vonage Voice API WebSocket messages, as Vonage documents them (developer.vonage.com,
 * "WebSockets"): the socket carries binary frames of raw audio (16-bit linear PCM,
 * little-endian, 20 ms each) both ways and JSON text messages. Vonage sends
 * `websocket:connected` first (the `content-type` and the NCCO endpoint's `headers` as
 * top-level fields), `websocket:dtmf` for a key, `websocket:notify` once the audio queued
 * before a `notify` has played, and `websocket:cleared` after a `clear`. We send
 * `{"action":"notify","payload":…}` and `{"action":"clear"}`. Other fields are ignored.
 */
import { z } from 'zod';
import { DTMF_DIGIT_PATTERN, parseEventMessage } from '../telephony/carrier-protocol.js';
import type { EventParseResult } from '../telephony/carrier-protocol.js';

/** The events Vonage sends that this transport understands. */
export const VONAGE_EVENTS = Object.freeze([
  'websocket:connected',
  'websocket:dtmf',
  'websocket:notify',
  'websocket:cleared',
] as const);

/** One of {@link VONAGE_EVENTS}. */
export type VonageEvent = (typeof VONAGE_EVENTS)[number];

/** `websocket:connected`: the audio format and the NCCO's headers (all other top-level fields). */
export const vonageConnectedSchema = z
  .object({
    event: z.literal('websocket:connected'),
    'content-type': z.string().regex(/^audio\/l16;\s*rate=\d{4,5}$/i, {
      error: 'expected audio/l16;rate=<hz>',
    }),
  })
  .catchall(z.unknown());

/** `websocket:dtmf`: a key the caller pressed. */
export const vonageDtmfSchema = z.object({
  event: z.literal('websocket:dtmf'),
  digit: z.string().regex(DTMF_DIGIT_PATTERN, { error: 'expected one DTMF digit' }),
  duration: z.number().optional(),
});

/** The payload we attach to a `notify` (returned as it is). */
export const vonageNotifyPayloadSchema = z.object({ name: z.string().min(1).max(256) });

/** `websocket:notify`: the audio queued before our `notify` has played. */
export const vonageNotifySchema = z.object({
  event: z.literal('websocket:notify'),
  payload: vonageNotifyPayloadSchema,
});

/** `websocket:cleared`: Vonage emptied its playback queue after our `clear`. */
export const vonageClearedSchema = z.object({ event: z.literal('websocket:cleared') });

/** The schema of each event Vonage sends. */
export const VONAGE_MESSAGE_SCHEMAS = {
  'websocket:connected': vonageConnectedSchema,
  'websocket:dtmf': vonageDtmfSchema,
  'websocket:notify': vonageNotifySchema,
  'websocket:cleared': vonageClearedSchema,
} as const satisfies Record<VonageEvent, z.ZodType>;

/** A validated text message from Vonage. */
export type VonageInboundMessage = z.output<
  (typeof VONAGE_MESSAGE_SCHEMAS)[keyof typeof VONAGE_MESSAGE_SCHEMAS]
>;

/** A text message this transport sends to Vonage (audio goes as binary frames). */
export type VonageOutboundMessage =
  | { readonly action: 'notify'; readonly payload: { readonly name: string } }
  | { readonly action: 'clear' };

/** Validates a text message sent to Vonage (for tests and scripted clients). */
export const vonageOutboundSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('notify'), payload: vonageNotifyPayloadSchema.strict() }),
  z.strictObject({ action: z.literal('clear') }),
]);

/**
 * Parses one text message from Vonage: not JSON or no `event` → `INVALID_FRAME`; an event
 * not in {@link VONAGE_EVENTS} → `unknown` (to be ignored); a schema violation →
 * `VALIDATION_FAILED` naming the field.
 */
export function parseVonageMessage(text: string): EventParseResult<VonageInboundMessage> {
  return parseEventMessage<VonageInboundMessage>('Vonage', text, VONAGE_MESSAGE_SCHEMAS);
}
