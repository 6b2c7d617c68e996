/**
 * The shapes of the session routes: the body of `POST /sessions`, a session and a turn as
 * the API shows them, and the provider names both sessions and assistants take.
 */
import { z } from 'zod';
import { flowSchema } from '@prx-voice/session';
import { CHANNELS, SESSION_STATES } from '@prx-voice/types';
import { idSchema } from '../http/schemas.js';

/** A provider's name, as sessions and assistants name one. */
export const providerName = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, {
  error: 'expected a provider name: lower-case letters, digits, "_" or "-"',
});

/** A BCP 47 language tag. */
const languageTag = z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, {
  error: 'expected a BCP 47 tag such as en-US',
});

/** Options per provider kind, as sessions take them. */
const providerOptionsSchema = z
  .strictObject({
    asr: z.record(z.string(), z.unknown()),
    agent: z.record(z.string(), z.unknown()),
    tts: z.record(z.string(), z.unknown()),
  })
  .partial();

/** Body of `POST /sessions`. */
export const createSessionBody = z
  .strictObject({
    channel: z.enum(CHANNELS).default('websocket'),
    language: languageTag.optional(),
    providers: z
      .strictObject({
        asr: providerName,
        agent: providerName,
        tts: providerName,
        vad: providerName,
      })
      .partial()
      .optional(),
    provider_options: providerOptionsSchema.optional(),
    system_prompt: z.string().max(20_000).optional(),
    metadata: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        'Free-form; a key of `audit.subjects.metadata_keys` (e.g. `caller_number`) names the data subject the session belongs to (GDPR export and erasure).',
      ),
    assistant_id: idSchema('assistant')
      .optional()
      .describe(
        "Run a stored assistant (its prompt, first message, providers, settings, tools); this request's own fields win over the assistant's.",
      ),
    variables: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.string().max(1_000))
      .optional()
      .describe(
        "Values of the assistant's `{{placeholders}}` (over its defaults and the session's string metadata).",
      ),
    flow: flowSchema
      .optional()
      .describe(
        "A conversation flow for this session (over the assistant's); a function's `tool` must be one of the assistant's tools.",
      ),
    record: z
      .boolean()
      .optional()
      .describe(
        "Record the conversation (stereo WAV: caller left, bot right); default: the tenant's `settings.recording`, else the server's `audit.recording.enabled`.",
      ),
  })
  .prefault({});

/** Body of `PATCH /sessions/{id}`: what changes at the session's next turn boundary. */
export const updateSessionBody = z
  .strictObject({
    language: languageTag.optional(),
    voice: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe(
        "The TTS voice: shorthand for `provider_options.tts.voice`, checked by the session's TTS.",
      ),
    system_prompt: z
      .string()
      .max(20_000)
      .optional()
      .describe("The agent's system prompt; empty removes it."),
    providers: z
      .strictObject({ asr: providerName, agent: providerName, tts: providerName })
      .partial()
      .optional()
      .describe(
        "A kind's provider (its chain: it, then `adapters.<kind>.fallbacks`); its options start from the configured ones. The VAD is fixed.",
      ),
    provider_options: providerOptionsSchema
      .optional()
      .describe("Options per kind, merged over the session's."),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    error: 'expected at least one of language, voice, system_prompt, providers, provider_options',
  });

/** A session as the API shows it. */
export const sessionView = z.object({
  id: z.string(),
  tenant_id: z.string(),
  state: z.enum(SESSION_STATES),
  channel: z.string(),
  direction: z.string(),
  language: z.string(),
  providers: z.record(z.string(), z.unknown()),
  turn_count: z.number(),
  outcome: z.string().nullable(),
  close_reason: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  assistant_id: z.string().nullable(),
  assistant_version: z.number().nullable(),
  system_prompt: z
    .string()
    .nullable()
    .describe(
      'The system prompt in force (null: none, or the session does not run on this instance).',
    ),
  voice: z.string().nullable().describe('The TTS `voice` option in force, if any.'),
  update_pending: z
    .boolean()
    .describe(
      'A change (PATCH, session.update, an assistant switch) waits for the next turn boundary.',
    ),
  created_at: z.string(),
  updated_at: z.string(),
  ended_at: z.string().nullable(),
  ws_url: z.string(),
});

/** A turn as the API shows it. */
export const turnView = z.object({
  id: z.string(),
  seq: z.number(),
  status: z.string(),
  input: z.string(),
  user_text: z.string().nullable(),
  assistant_text: z.string().nullable(),
  assistant_text_generated: z.string().nullable(),
  interrupted: z.boolean(),
  latency: z.object({
    asr_ms: z.number().nullable(),
    agent_first_token_ms: z.number().nullable(),
    tts_first_audio_ms: z.number().nullable(),
    first_audio_sent_ms: z.number().nullable(),
    voice_to_voice_ms: z.number().nullable(),
  }),
  started_at: z.string(),
  completed_at: z.string().nullable(),
});
