/** Payload schemas of the `prx.voice.session.*` events. */
import { z } from 'zod';
import { CHANNELS, DIRECTIONS, SESSION_OUTCOMES } from '@prx-voice/types';
import {
  adapterKindSchema,
  countSchema,
  errorBodyShape,
  errorCodeSchema,
  jsonSchema,
  msSchema,
  nonEmptySchema,
  sessionStateSchema,
} from './common.js';

/** An audio format on the wire. */
export const audioFormatSchema = z.object({
  /** `pcm16`, `mulaw`, `alaw`, … */
  encoding: nonEmptySchema,
  /** Samples per second. */
  sample_rate: z.number().int().positive(),
  /** Interleaved channels (1 for mono). */
  channels: z.number().int().positive(),
});

/** `session.created`: the session exists, with how it is reached and which providers it uses. */
export const sessionCreatedSchema = z.object({
  channel: z.enum(CHANNELS),
  direction: z.enum(DIRECTIONS),
  /** BCP 47 language tag, e.g. `en-US`. */
  language: nonEmptySchema,
  /** Provider id per adapter kind, e.g. `{ asr: 'mock', agent: 'mock', tts: 'mock' }`. */
  providers: z.partialRecord(adapterKindSchema, nonEmptySchema),
  /** Input (caller → engine) and output audio formats, when audio flows. */
  audio: z.object({ input: audioFormatSchema, output: audioFormatSchema }).optional(),
});

/** `session.state_changed`: one FSM transition, `trigger` naming what caused it (e.g. `vad_started`). */
export const sessionStateChangedSchema = z.object({
  from: sessionStateSchema,
  to: sessionStateSchema,
  trigger: nonEmptySchema,
});

/** `session.paused`: the state it was in (and resume returns to). */
export const sessionPausedSchema = z.object({
  from: sessionStateSchema,
  /** Who or what paused it, e.g. `api`, `client`. */
  reason: nonEmptySchema.optional(),
});

/** `session.resumed`: the state it returned to and how long it was paused. */
export const sessionResumedSchema = z.object({
  to: sessionStateSchema,
  paused_ms: msSchema,
});

/** `session.closed`: a graceful end, its outcome and totals. */
export const sessionClosedSchema = z.object({
  outcome: z.enum(SESSION_OUTCOMES),
  /** Free-form detail, e.g. `listening_timeout`, `client_end`. */
  reason: nonEmptySchema,
  duration_ms: msSchema,
  turn_count: countSchema,
});

/** `session.failed`: the session ended on an unrecoverable error, from the state it was in. */
export const sessionFailedSchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
  from: sessionStateSchema,
  duration_ms: msSchema,
});

/** `session.error`: a recoverable error the client should know about (e.g. a malformed frame). */
export const sessionErrorSchema = z.object({
  ...errorBodyShape,
  /** Machine-readable context, as in the HTTP error envelope. */
  details: z.record(z.string(), jsonSchema).optional(),
});

/** `session.pong`: the answer to a client `ping`. */
export const sessionPongSchema = z.object({
  /** The `id` the client's ping carried, echoed. */
  ping_id: z.string().optional(),
});

/**
 * `session.updated`: a mid-session change (`session.update`, `PATCH /sessions/{id}`, an
 * assistant switch) took effect at a turn boundary. `changed` names what changed
 * (`language`, `providers.tts`, `options.tts`, `system_prompt`, `tools`, `assistant`);
 * the prompt and options themselves are not repeated (they may hold secrets).
 */
export const sessionUpdatedSchema = z.object({
  changed: z.array(nonEmptySchema),
  /** The language from now on. */
  language: nonEmptySchema,
  /** Provider id per adapter kind from now on. */
  providers: z.partialRecord(adapterKindSchema, nonEmptySchema),
  /** Whether the recognition stream was reopened (language, ASR provider or options changed). */
  asr_reopened: z.boolean(),
  /** The TTS `voice` option, when the change set one. */
  voice: z.string().optional(),
  /** What became of the conversation, for a change that said (an assistant switch). */
  context: z.enum(['keep', 'summary', 'reset']).optional(),
  /** The stored assistant the session runs from now on. */
  assistant_id: nonEmptySchema.optional(),
  assistant_version: z.number().int().positive().optional(),
});

/** The `session` family: type → data schema. */
export const SESSION_DATA_SCHEMAS = {
  'prx.voice.session.created': sessionCreatedSchema,
  'prx.voice.session.state_changed': sessionStateChangedSchema,
  'prx.voice.session.paused': sessionPausedSchema,
  'prx.voice.session.resumed': sessionResumedSchema,
  'prx.voice.session.closed': sessionClosedSchema,
  'prx.voice.session.failed': sessionFailedSchema,
  'prx.voice.session.error': sessionErrorSchema,
  'prx.voice.session.pong': sessionPongSchema,
  'prx.voice.session.updated': sessionUpdatedSchema,
} as const;
