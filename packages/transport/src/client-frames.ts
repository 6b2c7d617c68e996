/**
 * The text frames a client sends on the session WebSocket: JSON objects with a
 * `type`, validated with zod. Parsing is a pure function returning a tagged union,
 * so the session socket, the CLI client and tests share one definition.
 */
import { z } from 'zod';
import { VoiceError } from '@prx-voice/types';
import { audioFormatSchema } from './audio-format.js';
import type { WireAudioFormat } from './audio-format.js';
import { frameIssues, frameValidationError } from './validation.js';

/** Longest `input.text`, in UTF-16 code units. */
export const MAX_INPUT_TEXT_LENGTH = 4000;

/** Most DTMF keys in one `dtmf` frame. */
export const MAX_DTMF_FRAME_DIGITS = 32;

/** The `type`s a client may send, in protocol order. */
export const CLIENT_FRAME_TYPES = Object.freeze([
  'session.update',
  'input.text',
  'interrupt',
  'dtmf',
  'playback.position',
  'end',
  'ping',
] as const);

/** A `type` of {@link CLIENT_FRAME_TYPES}. */
export type ClientFrameType = (typeof CLIENT_FRAME_TYPES)[number];

/** What a `session.update` changes; absent fields stay as they are. */
export interface SessionUpdate {
  readonly input?: WireAudioFormat;
  readonly output?: WireAudioFormat;
  /**
   * Length of each binary audio frame the server sends, ms (10–100; default 20): longer
   * frames are fewer messages for the same audio, paced by the same 200 ms lead.
   */
  readonly outputFrameMs?: number;
  /** BCP 47 language tag, e.g. `en-US`. */
  readonly language?: string;
  /** The TTS voice (the `voice` option of the session's TTS). */
  readonly voice?: string;
  /** The agent's system prompt; empty removes it. */
  readonly systemPrompt?: string;
  /**
   * Provider per kind, e.g. `{ "tts": "espeak" }`; an object instead of a name is that
   * kind's options (the older form, e.g. `{ "asr": { "transcript": "hi" } }`). Checked by the session.
   */
  readonly providers?: Readonly<Record<string, unknown>>;
  /** Options per provider kind, e.g. `{ "tts": { "voice": "en-us" } }`; checked by the session. */
  readonly providerOptions?: Readonly<Record<string, unknown>>;
}

/** Shortest and longest `output_frame_ms` of a `session.update`. */
export const MIN_OUTPUT_FRAME_MS = 10;
export const MAX_OUTPUT_FRAME_MS = 100;

/** Longest `system_prompt` of a `session.update`, in UTF-16 code units. */
export const MAX_SYSTEM_PROMPT_LENGTH = 20_000;

/** A validated client frame, fields in camelCase. */
export type ClientFrame =
  | ({ readonly type: 'session.update' } & SessionUpdate)
  | { readonly type: 'input.text'; readonly text: string }
  | { readonly type: 'interrupt' }
  /** `digits`: keys `0-9`, `*`, `#`, `A-D`, upper-cased. */
  | { readonly type: 'dtmf'; readonly digits: string }
  | { readonly type: 'playback.position'; readonly segmentId: string; readonly playedMs: number }
  | { readonly type: 'end' }
  | { readonly type: 'ping'; readonly id?: string };

/** The result of {@link parseClientFrame}. */
export type ClientFrameResult =
  | { readonly ok: true; readonly frame: ClientFrame }
  | { readonly ok: false; readonly error: VoiceError };

const languageSchema = z
  .string()
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/, { error: 'expected a BCP 47 tag such as en-US' })
  .max(35);

const FRAME_SCHEMAS = {
  'session.update': z.strictObject({
    type: z.literal('session.update'),
    input: audioFormatSchema.optional(),
    output: audioFormatSchema.optional(),
    output_frame_ms: z
      .number()
      .int({ error: 'expected whole milliseconds' })
      .min(MIN_OUTPUT_FRAME_MS, { error: `expected at least ${String(MIN_OUTPUT_FRAME_MS)} ms` })
      .max(MAX_OUTPUT_FRAME_MS, { error: `expected at most ${String(MAX_OUTPUT_FRAME_MS)} ms` })
      .optional(),
    language: languageSchema.optional(),
    voice: z.string().min(1).max(200).optional(),
    system_prompt: z.string().max(MAX_SYSTEM_PROMPT_LENGTH).optional(),
    providers: z.record(z.string(), z.unknown()).optional(),
    provider_options: z.record(z.string(), z.unknown()).optional(),
  }),
  'input.text': z.strictObject({
    type: z.literal('input.text'),
    text: z
      .string()
      .min(1)
      .max(MAX_INPUT_TEXT_LENGTH)
      .refine((text) => text.trim() !== '', { error: 'must not be blank' }),
  }),
  interrupt: z.strictObject({ type: z.literal('interrupt') }),
  dtmf: z.strictObject({
    type: z.literal('dtmf'),
    digits: z
      .string()
      .min(1)
      .max(MAX_DTMF_FRAME_DIGITS)
      .regex(/^[0-9*#A-Da-d]+$/, { error: 'expected DTMF keys 0-9, *, #, A-D' }),
  }),
  'playback.position': z.strictObject({
    type: z.literal('playback.position'),
    segment_id: z.string().min(1).max(128),
    played_ms: z.number().nonnegative().max(Number.MAX_SAFE_INTEGER),
  }),
  end: z.strictObject({ type: z.literal('end') }),
  ping: z.strictObject({ type: z.literal('ping'), id: z.string().min(1).max(128).optional() }),
} as const satisfies Record<ClientFrameType, z.ZodType>;

/** Whether a string is one of {@link CLIENT_FRAME_TYPES}. */
export function isClientFrameType(value: unknown): value is ClientFrameType {
  return typeof value === 'string' && (CLIENT_FRAME_TYPES as readonly string[]).includes(value);
}

/**
 * Parses and validates one text frame. Not JSON → `INVALID_FRAME` ("not JSON");
 * no or an unknown `type` → `INVALID_FRAME` naming the known types; a schema
 * violation → `VALIDATION_FAILED` naming the field (`details.field`, `allowed`).
 *
 * @example
 * const result = parseClientFrame('{"type":"ping","id":"7"}');
 * if (result.ok && result.frame.type === 'ping') reply(result.frame.id);
 */
export function parseClientFrame(text: string): ClientFrameResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    return fail(
      new VoiceError('INVALID_FRAME', {
        message: 'The text frame is not JSON; expected a JSON object with a "type".',
        cause,
      }),
    );
  }
  const type =
    typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  if (!isClientFrameType(type)) {
    const what =
      typeof value !== 'object' || value === null || Array.isArray(value)
        ? 'The text frame is not a JSON object'
        : type === undefined
          ? 'The frame has no "type"'
          : `Unknown frame type ${JSON.stringify(type)}`;
    return fail(
      new VoiceError('INVALID_FRAME', {
        message: `${what}; expected one of ${CLIENT_FRAME_TYPES.join(', ')}.`,
        details: { ...(typeof type === 'string' ? { type } : {}), known: CLIENT_FRAME_TYPES },
      }),
    );
  }
  return toFrame(type, value);
}

function toFrame(type: ClientFrameType, value: unknown): ClientFrameResult {
  switch (type) {
    case 'session.update': {
      const parsed = FRAME_SCHEMAS[type].safeParse(value);
      if (!parsed.success) return invalid(type, parsed.error);
      const d = parsed.data;
      return ok({
        type,
        ...(d.input === undefined ? {} : { input: d.input }),
        ...(d.output === undefined ? {} : { output: d.output }),
        ...(d.output_frame_ms === undefined ? {} : { outputFrameMs: d.output_frame_ms }),
        ...(d.language === undefined ? {} : { language: d.language }),
        ...(d.voice === undefined ? {} : { voice: d.voice }),
        ...(d.system_prompt === undefined ? {} : { systemPrompt: d.system_prompt }),
        ...(d.providers === undefined ? {} : { providers: d.providers }),
        ...(d.provider_options === undefined ? {} : { providerOptions: d.provider_options }),
      });
    }
    case 'input.text': {
      const parsed = FRAME_SCHEMAS[type].safeParse(value);
      return parsed.success ? ok({ type, text: parsed.data.text }) : invalid(type, parsed.error);
    }
    case 'dtmf': {
      const parsed = FRAME_SCHEMAS[type].safeParse(value);
      if (!parsed.success) return invalid(type, parsed.error);
      return ok({ type, digits: parsed.data.digits.toUpperCase() });
    }
    case 'playback.position': {
      const parsed = FRAME_SCHEMAS[type].safeParse(value);
      if (!parsed.success) return invalid(type, parsed.error);
      return ok({ type, segmentId: parsed.data.segment_id, playedMs: parsed.data.played_ms });
    }
    case 'ping': {
      const parsed = FRAME_SCHEMAS[type].safeParse(value);
      if (!parsed.success) return invalid(type, parsed.error);
      return ok(parsed.data.id === undefined ? { type } : { type, id: parsed.data.id });
    }
    case 'interrupt':
    case 'end': {
      const parsed = FRAME_SCHEMAS[type].safeParse(value);
      return parsed.success ? ok({ type }) : invalid(type, parsed.error);
    }
  }
}

function ok(frame: ClientFrame): ClientFrameResult {
  return { ok: true, frame };
}

function fail(error: VoiceError): ClientFrameResult {
  return { ok: false, error };
}

function invalid(type: ClientFrameType, error: z.ZodError): ClientFrameResult {
  return fail(frameValidationError(`Invalid ${type} frame`, frameIssues(error), { type }));
}
