/**
 * Plivo audio-streaming messages, as Plivo documents them (plivo.com/docs, "Stream Event
 * Protocol"): what Plivo sends (`start`, `media`, `dtmf`, `playedStream`, `clearedAudio`;
 * camelCase, a numeric `sequenceNumber` from 1, `streamId` at the top level except in
 * `start`, where it is `start.streamId`) with zod schemas, and what a bidirectional stream
 * may send back (`playAudio`, `checkpoint`, `clearAudio`). Plivo has no `stop` message: the
 * stream ends when Plivo closes the socket. Fields Plivo may add later are ignored.
 */
import { z } from 'zod';
import {
  BASE64_PATTERN,
  DTMF_DIGIT_PATTERN,
  parseEventMessage,
} from '../telephony/carrier-protocol.js';
import type { EventParseResult } from '../telephony/carrier-protocol.js';

/** The events Plivo sends that this transport understands. */
export const PLIVO_EVENTS = Object.freeze([
  'start',
  'media',
  'dtmf',
  'playedStream',
  'clearedAudio',
] as const);

/** One of {@link PLIVO_EVENTS}. */
export type PlivoEvent = (typeof PLIVO_EVENTS)[number];

/** Plivo's counters are numbers; a decimal string is read the same. */
const counterSchema = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d{1,15}$/)], {
    error: 'expected a non-negative integer',
  })
  .transform(Number);
const idSchema = z.string().min(1).max(256);
const base64Schema = z.string().regex(BASE64_PATTERN, { error: 'expected base64' });

/** `start`: the call, the stream and its media format; `extra_headers` as the Stream XML set them. */
export const plivoStartSchema = z.object({
  event: z.literal('start'),
  sequenceNumber: counterSchema.optional(),
  start: z.object({
    callId: idSchema,
    streamId: idSchema,
    accountId: z.string().optional(),
    tracks: z.array(z.string()).optional(),
    mediaFormat: z.object({
      encoding: z.string(),
      sampleRate: z.union([
        z.number(),
        z
          .string()
          .regex(/^\d{1,6}$/)
          .transform(Number),
      ]),
    }),
  }),
  extra_headers: z.string().optional(),
});

/** `media`: one chunk of base64 audio of one track. */
export const plivoMediaSchema = z.object({
  event: z.literal('media'),
  sequenceNumber: counterSchema.optional(),
  streamId: idSchema,
  media: z.object({
    track: z.string().optional(),
    timestamp: z.union([z.string(), z.number()]).optional(),
    chunk: counterSchema.optional(),
    payload: base64Schema,
  }),
  extra_headers: z.string().optional(),
});

/** `dtmf`: a key the caller pressed. */
export const plivoDtmfSchema = z.object({
  event: z.literal('dtmf'),
  sequenceNumber: counterSchema.optional(),
  streamId: idSchema,
  dtmf: z.object({
    track: z.string().optional(),
    digit: z.string().regex(DTMF_DIGIT_PATTERN, { error: 'expected one DTMF digit' }),
    timestamp: z.union([z.string(), z.number()]).optional(),
  }),
  extra_headers: z.string().optional(),
});

/** `playedStream`: the audio before a `checkpoint` we sent has played (never sent for cleared audio). */
export const plivoPlayedStreamSchema = z.object({
  event: z.literal('playedStream'),
  sequenceNumber: counterSchema.optional(),
  streamId: idSchema,
  name: z.string(),
});

/** `clearedAudio`: Plivo emptied its playback queue after our `clearAudio`. */
export const plivoClearedAudioSchema = z.object({
  event: z.literal('clearedAudio'),
  sequenceNumber: counterSchema.optional(),
  streamId: idSchema,
});

/** The schema of each event Plivo sends. */
export const PLIVO_MESSAGE_SCHEMAS = {
  start: plivoStartSchema,
  media: plivoMediaSchema,
  dtmf: plivoDtmfSchema,
  playedStream: plivoPlayedStreamSchema,
  clearedAudio: plivoClearedAudioSchema,
} as const satisfies Record<PlivoEvent, z.ZodType>;

/** A validated message from Plivo. */
export type PlivoInboundMessage = z.output<
  (typeof PLIVO_MESSAGE_SCHEMAS)[keyof typeof PLIVO_MESSAGE_SCHEMAS]
>;

/** The content types of a Plivo stream (the Stream XML's `contentType`, and `playAudio`'s). */
export const PLIVO_CONTENT_TYPES = Object.freeze([
  'audio/x-mulaw;rate=8000',
  'audio/x-l16;rate=8000',
  'audio/x-l16;rate=16000',
] as const);
/** One of {@link PLIVO_CONTENT_TYPES}. */
export type PlivoContentType = (typeof PLIVO_CONTENT_TYPES)[number];

/** A message this transport sends to Plivo. */
export type PlivoOutboundMessage =
  | {
      readonly event: 'playAudio';
      readonly media: {
        readonly contentType: 'audio/x-mulaw' | 'audio/x-l16';
        readonly sampleRate: 8000 | 16000;
        readonly payload: string;
      };
    }
  | { readonly event: 'checkpoint'; readonly streamId: string; readonly name: string }
  | { readonly event: 'clearAudio'; readonly streamId: string };

/** Validates a message sent to Plivo (for tests and scripted clients). */
export const plivoOutboundSchema = z.discriminatedUnion('event', [
  z.strictObject({
    event: z.literal('playAudio'),
    media: z.strictObject({
      contentType: z.enum(['audio/x-mulaw', 'audio/x-l16']),
      sampleRate: z.union([z.literal(8000), z.literal(16000)]),
      payload: base64Schema,
    }),
  }),
  z.strictObject({
    event: z.literal('checkpoint'),
    streamId: idSchema,
    name: z.string().min(1),
  }),
  z.strictObject({ event: z.literal('clearAudio'), streamId: idSchema }),
]);

/**
 * Parses one message from Plivo: not JSON or no `event` → `INVALID_FRAME`; an event not in
 * {@link PLIVO_EVENTS} → `unknown` (to be ignored); a schema violation → `VALIDATION_FAILED`
 * naming the field.
 */
export function parsePlivoMessage(text: string): EventParseResult<PlivoInboundMessage> {
  return parseEventMessage<PlivoInboundMessage>('Plivo', text, PLIVO_MESSAGE_SCHEMAS);
}
