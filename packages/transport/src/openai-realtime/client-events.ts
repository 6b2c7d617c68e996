/**
 * The client events of the OpenAI Realtime API (GA) as this server takes them:
 * validated with zod at the edge, unknown fields of the session ignored (clients
 * send `tracing`, `prompt`, `reasoning`, …), and every refusal turned into the
 * protocol's own `error` body naming the event and the field.
 */
import { z } from 'zod';

/** The `error` object of the protocol's `error` server event. */
export interface RealtimeErrorBody {
  /** `invalid_request_error` for what the client sent, `server_error` for our own failures. */
  readonly type: 'invalid_request_error' | 'server_error';
  readonly code: string;
  readonly message: string;
  /** The field at fault, when one is. */
  readonly param: string | null;
  /** The `event_id` of the client event at fault, when it had one. */
  readonly event_id: string | null;
}

/** An audio format as the GA protocol writes it (the beta strings are accepted too). */
export const realtimeAudioFormatSchema = z.union([
  z.strictObject({ type: z.literal('audio/pcm'), rate: z.literal(24000).optional() }),
  z.strictObject({ type: z.enum(['audio/pcmu', 'audio/pcma']) }),
  z.enum(['pcm16', 'g711_ulaw', 'g711_alaw']),
]);

/** A realtime audio format, as validated. */
export type RealtimeAudioFormatInput = z.infer<typeof realtimeAudioFormatSchema>;

/** `turn_detection`: server VAD with its knobs, semantic VAD, or none (manual commit). */
export const turnDetectionSchema = z
  .union([
    z.looseObject({
      type: z.literal('server_vad'),
      threshold: z.number().min(0).max(1).optional(),
      prefix_padding_ms: z.number().int().min(0).max(10_000).optional(),
      silence_duration_ms: z.number().int().min(0).max(10_000).optional(),
      idle_timeout_ms: z.number().int().min(0).nullable().optional(),
      create_response: z.boolean().optional(),
      interrupt_response: z.boolean().optional(),
    }),
    z.looseObject({
      type: z.literal('semantic_vad'),
      eagerness: z.enum(['low', 'medium', 'high', 'auto']).optional(),
      create_response: z.boolean().optional(),
      interrupt_response: z.boolean().optional(),
    }),
  ])
  .nullable();

/** A function tool the client declares (and executes itself). */
export const realtimeFunctionToolSchema = z.looseObject({
  type: z.literal('function'),
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'expected 1 to 64 of a-z A-Z 0-9 _ -'),
  description: z.string().max(4_000).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});

/** A function tool, as validated. */
export type RealtimeFunctionTool = z.infer<typeof realtimeFunctionToolSchema>;

/** The `session` of `session.update`: what this server reads of it (the rest is ignored). */
export const sessionPatchSchema = z.looseObject({
  type: z.literal('realtime').optional(),
  model: z.string().max(200).optional(),
  instructions: z.string().max(20_000).optional(),
  output_modalities: z.array(z.enum(['audio', 'text'])).optional(),
  audio: z
    .looseObject({
      input: z
        .looseObject({
          format: realtimeAudioFormatSchema.optional(),
          turn_detection: turnDetectionSchema.optional(),
        })
        .optional(),
      output: z
        .looseObject({
          format: realtimeAudioFormatSchema.optional(),
          voice: z.string().min(1).max(200).optional(),
        })
        .optional(),
    })
    .optional(),
  tools: z.array(realtimeFunctionToolSchema).max(128).optional(),
});

/** A `session.update`'s session, as validated. */
export type RealtimeSessionPatch = z.infer<typeof sessionPatchSchema>;

const eventId = z.string().max(512).optional();

const userContentSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('input_text'), text: z.string().max(20_000) }),
  z.looseObject({ type: z.literal('input_audio'), audio: z.string().optional() }),
]);

/** The items a client may create. */
export const clientItemSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('message'),
    id: z.string().max(64).optional(),
    role: z.enum(['user', 'system', 'assistant']),
    content: z.array(userContentSchema).min(1).max(32),
  }),
  z.looseObject({
    type: z.literal('function_call_output'),
    id: z.string().max(64).optional(),
    call_id: z.string().min(1).max(128),
    output: z.string().max(100_000),
  }),
]);

/** The client events of the GA protocol (`output_audio_buffer.clear` is WebRTC/SIP only). */
export const clientEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('session.update'), event_id: eventId, session: sessionPatchSchema }),
  z.object({ type: z.literal('input_audio_buffer.append'), event_id: eventId, audio: z.string() }),
  z.object({ type: z.literal('input_audio_buffer.commit'), event_id: eventId }),
  z.object({ type: z.literal('input_audio_buffer.clear'), event_id: eventId }),
  z.object({
    type: z.literal('conversation.item.create'),
    event_id: eventId,
    previous_item_id: z.string().nullable().optional(),
    item: clientItemSchema,
  }),
  z.object({
    type: z.literal('conversation.item.retrieve'),
    event_id: eventId,
    item_id: z.string(),
  }),
  z.object({ type: z.literal('conversation.item.delete'), event_id: eventId, item_id: z.string() }),
  z.object({
    type: z.literal('conversation.item.truncate'),
    event_id: eventId,
    item_id: z.string(),
    content_index: z.number().int().min(0),
    audio_end_ms: z.number().int().min(0),
  }),
  z.object({
    type: z.literal('response.create'),
    event_id: eventId,
    response: z.record(z.string(), z.unknown()).optional(),
  }),
  z.object({
    type: z.literal('response.cancel'),
    event_id: eventId,
    response_id: z.string().optional(),
  }),
]);

/** A client event, as validated. */
export type RealtimeClientEvent = z.infer<typeof clientEventSchema>;

/** The client event types this server understands. */
export const REALTIME_CLIENT_EVENT_TYPES: readonly RealtimeClientEvent['type'][] = Object.freeze(
  clientEventSchema.options.map((o) => o.shape.type.value),
);

/** The outcome of parsing one text frame. */
export type ClientEventResult =
  | { readonly kind: 'event'; readonly event: RealtimeClientEvent }
  | { readonly kind: 'error'; readonly error: RealtimeErrorBody };

/** An `invalid_request_error` body. */
export function invalidRequest(
  code: string,
  message: string,
  o: { readonly param?: string | undefined; readonly eventId?: string | undefined } = {},
): RealtimeErrorBody {
  return {
    type: 'invalid_request_error',
    code,
    message,
    param: o.param ?? null,
    event_id: o.eventId ?? null,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses one text frame: JSON, an object with a known `type`, fields as the protocol
 * defines them. A frame that is not JSON, an unknown type or a bad field is an
 * `invalid_request_error` naming it (`invalid_json`, `unknown_event_type`,
 * `invalid_value`); the connection goes on.
 *
 * @example
 * const r = parseClientEvent('{"type":"input_audio_buffer.clear"}');
 * if (r.kind === 'event') handle(r.event); else send({ type: 'error', error: r.error });
 */
export function parseClientEvent(text: string): ClientEventResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { kind: 'error', error: invalidRequest('invalid_json', 'The event is not valid JSON.') };
  }
  if (!isRecord(raw) || typeof raw['type'] !== 'string') {
    return {
      kind: 'error',
      error: invalidRequest(
        'invalid_event',
        'The event must be a JSON object with a string `type`.',
        {
          param: 'type',
        },
      ),
    };
  }
  const type = raw['type'];
  const id = typeof raw['event_id'] === 'string' ? raw['event_id'] : undefined;
  if (!(REALTIME_CLIENT_EVENT_TYPES as readonly string[]).includes(type)) {
    return {
      kind: 'error',
      error: invalidRequest(
        'unknown_event_type',
        `Unknown event type ${JSON.stringify(type.slice(0, 100))}; expected one of ${REALTIME_CLIENT_EVENT_TYPES.join(', ')}.`,
        { param: 'type', eventId: id },
      ),
    };
  }
  const parsed = clientEventSchema.safeParse(raw);
  if (parsed.success) return { kind: 'event', event: parsed.data };
  const issue = parsed.error.issues[0];
  const param = issue === undefined || issue.path.length === 0 ? undefined : issue.path.join('.');
  return {
    kind: 'error',
    error: invalidRequest(
      'invalid_value',
      `Invalid ${type}${param === undefined ? '' : ` ${param}`}: ${issue?.message ?? 'invalid event'}`,
      { param, eventId: id },
    ),
  };
}
