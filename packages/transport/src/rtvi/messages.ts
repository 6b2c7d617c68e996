/**
 * RTVI messages (protocol 2.x, as `@pipecat-ai/client-js` defines them): the envelope
 * `{label: "rtvi-ai", type, id?, data?}`, the client → server messages validated with
 * zod into a tagged union, and the server → client message builder.
 */
import { z } from 'zod';
import { VoiceError } from '@prx-voice/types';
import { MAX_INPUT_TEXT_LENGTH } from '../client-frames.js';
import { frameIssues, frameValidationError } from '../validation.js';

/** The RTVI protocol version this server speaks (the one client-js 1.13 sends). */
export const RTVI_PROTOCOL_VERSION = '2.1.0';

/** The label every RTVI message carries. */
export const RTVI_LABEL = 'rtvi-ai';

/** An RTVI message as it travels (JSON in a `MessageFrame`). */
export interface RtviMessage {
  readonly label: typeof RTVI_LABEL;
  readonly type: string;
  readonly id?: string;
  readonly data?: unknown;
}

/** Builds a server → client message (`id` echoes a request's, when it answers one). */
export function rtviMessage(type: string, data: unknown, id?: string): RtviMessage {
  return id === undefined
    ? { label: RTVI_LABEL, type, data }
    : { label: RTVI_LABEL, type, id, data };
}

/** Client message types this server recognises but does not support (answered `error-response`). */
export const RTVI_UNSUPPORTED_TYPES = Object.freeze([
  'append-to-context',
  'ui-event',
  'ui-snapshot',
  'ui-cancel-job-group',
] as const);

/** A validated client → server message. */
export type RtviClientMessage =
  | {
      readonly type: 'client-ready';
      readonly id: string | undefined;
      readonly version: string;
      readonly about: Readonly<Record<string, unknown>> | undefined;
    }
  | { readonly type: 'disconnect-bot'; readonly id: string | undefined }
  | {
      readonly type: 'send-text';
      readonly id: string | undefined;
      readonly content: string;
      /** `run_immediately` (default true): interrupt the bot and answer now. */
      readonly runImmediately: boolean;
      /** `audio_response` (default true): speak the answer. */
      readonly audioResponse: boolean;
    }
  | {
      readonly type: 'client-message';
      readonly id: string | undefined;
      readonly t: string;
      readonly d: unknown;
    }
  | { readonly type: 'dtmf'; readonly id: string | undefined; readonly digits: string }
  | {
      readonly type: 'llm-function-call-result';
      readonly id: string | undefined;
      readonly functionName: string;
      readonly toolCallId: string;
    }
  | {
      readonly type: 'raw-audio';
      readonly id: string | undefined;
      /** PCM16 LE, interleaved. */
      readonly audio: readonly Uint8Array[];
      readonly sampleRate: number;
      readonly numChannels: number;
    }
  | {
      readonly type: 'unsupported';
      readonly id: string | undefined;
      readonly messageType: (typeof RTVI_UNSUPPORTED_TYPES)[number];
    };

/** The result of {@link parseRtviMessage}; `id` is the message's when it had a usable one. */
export type RtviParseResult =
  | { readonly ok: true; readonly message: RtviClientMessage }
  | { readonly ok: false; readonly error: VoiceError; readonly id: string | undefined };

const envelopeSchema = z.object({
  label: z.literal(RTVI_LABEL, { error: `expected the label "${RTVI_LABEL}"` }),
  type: z.string({ error: 'expected the message type' }).min(1).max(100),
  id: z.string().max(200).optional(),
  data: z.unknown().optional(),
});

const base64 = z
  .string()
  .max(2_000_000)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: 'expected base64' });
const rate = z.number().int().positive();
const channels = z.number().int().min(1).max(8);

const DATA_SCHEMAS = {
  'client-ready': z.object({
    version: z.string().regex(/^\d+\.\d+\.\d+/, { error: 'expected a version such as 2.1.0' }),
    about: z.record(z.string(), z.unknown()).optional(),
  }),
  'disconnect-bot': z.unknown(),
  'send-text': z.object({
    content: z.string().trim().min(1).max(MAX_INPUT_TEXT_LENGTH),
    options: z
      .object({ run_immediately: z.boolean().optional(), audio_response: z.boolean().optional() })
      .optional(),
  }),
  'client-message': z.object({ t: z.string().min(1).max(200), d: z.unknown().optional() }),
  dtmf: z.union([
    z.object({
      buttons: z
        .array(z.string().regex(/^[0-9*#]$/))
        .min(1)
        .max(32),
    }),
    z.object({ button: z.string().regex(/^[0-9*#]$/) }),
  ]),
  'llm-function-call-result': z.object({
    function_name: z.string(),
    tool_call_id: z.string(),
    arguments: z.unknown().optional(),
    result: z.unknown().optional(),
  }),
  'raw-audio': z.object({ base64Audio: base64, sampleRate: rate, numChannels: channels }),
  'raw-audio-batch': z.object({
    base64AudioBatch: z.array(base64).max(100),
    sampleRate: rate,
    numChannels: channels,
  }),
} as const;

type KnownType = keyof typeof DATA_SCHEMAS;

function isKnown(type: string): type is KnownType {
  return Object.hasOwn(DATA_SCHEMAS, type);
}

function toMessage(type: KnownType, id: string | undefined, data: unknown): RtviClientMessage {
  switch (type) {
    case 'client-ready': {
      const d = data as z.infer<(typeof DATA_SCHEMAS)['client-ready']>;
      return { type, id, version: d.version, about: d.about };
    }
    case 'disconnect-bot':
      return { type, id };
    case 'send-text': {
      const d = data as z.infer<(typeof DATA_SCHEMAS)['send-text']>;
      return {
        type,
        id,
        content: d.content,
        runImmediately: d.options?.run_immediately ?? true,
        audioResponse: d.options?.audio_response ?? true,
      };
    }
    case 'client-message': {
      const d = data as z.infer<(typeof DATA_SCHEMAS)['client-message']>;
      return { type, id, t: d.t, d: d.d };
    }
    case 'dtmf': {
      const d = data as z.infer<(typeof DATA_SCHEMAS)['dtmf']>;
      return { type, id, digits: 'buttons' in d ? d.buttons.join('') : d.button };
    }
    case 'llm-function-call-result': {
      const d = data as z.infer<(typeof DATA_SCHEMAS)['llm-function-call-result']>;
      return { type, id, functionName: d.function_name, toolCallId: d.tool_call_id };
    }
    case 'raw-audio': {
      const d = data as z.infer<(typeof DATA_SCHEMAS)['raw-audio']>;
      return {
        type,
        id,
        audio: [Buffer.from(d.base64Audio, 'base64')],
        sampleRate: d.sampleRate,
        numChannels: d.numChannels,
      };
    }
    case 'raw-audio-batch': {
      const d = data as z.infer<(typeof DATA_SCHEMAS)['raw-audio-batch']>;
      return {
        type: 'raw-audio',
        id,
        audio: d.base64AudioBatch.map((b) => Buffer.from(b, 'base64')),
        sampleRate: d.sampleRate,
        numChannels: d.numChannels,
      };
    }
  }
}

/**
 * Parses the JSON of one `MessageFrame`. Errors are `MALFORMED_JSON`, `VALIDATION_FAILED`
 * naming the field (`label`, `data.content`, …) or `INVALID_FRAME` for an unknown type
 * (`details.reason: "unknown_type"`).
 */
export function parseRtviMessage(json: string): RtviParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return {
      ok: false,
      id: undefined,
      error: new VoiceError('MALFORMED_JSON', { message: 'The RTVI message is not valid JSON.' }),
    };
  }
  const rawId =
    typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string'
      ? (raw as { id: string }).id.length <= 200
        ? (raw as { id: string }).id
        : undefined
      : undefined;
  const env = envelopeSchema.safeParse(raw);
  if (!env.success) {
    return {
      ok: false,
      id: rawId,
      error: frameValidationError('Invalid RTVI message', frameIssues(env.error)),
    };
  }
  const { type, id, data } = env.data;
  if ((RTVI_UNSUPPORTED_TYPES as readonly string[]).includes(type)) {
    return {
      ok: true,
      message: {
        type: 'unsupported',
        id,
        messageType: type as (typeof RTVI_UNSUPPORTED_TYPES)[number],
      },
    };
  }
  if (!isKnown(type)) {
    return {
      ok: false,
      id,
      error: new VoiceError('INVALID_FRAME', {
        message: `Unknown RTVI message type "${type}".`,
        details: { reason: 'unknown_type', type },
      }),
    };
  }
  const parsed = DATA_SCHEMAS[type].safeParse(data ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      id,
      error: frameValidationError(`Invalid RTVI ${type}`, frameIssues(parsed.error, 'data'), {
        type,
      }),
    };
  }
  return { ok: true, message: toMessage(type, id, parsed.data) };
}
