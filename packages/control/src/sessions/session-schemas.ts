/**
 * The shapes of the session routes: the body of `POST /sessions`, a session and a turn as
 * the API shows them, and the provider names both sessions and assistants take.
 */
import { z } from 'zod';
import { CHANNELS, SESSION_STATES } from '@prx-voice/types';
import { idSchema } from '../http/schemas.js';

/** A provider's name, as sessions and assistants name one. */
export const providerName = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, {
  error: 'expected a provider name: lower-case letters, digits, "_" or "-"',
});

/** Body of `POST /sessions`. */
export const createSessionBody = z
  .strictObject({
    channel: z.enum(CHANNELS).default('websocket'),
    language: z
      .string()
      .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/)
      .optional(),
    providers: z
      .strictObject({
        asr: providerName,
        agent: providerName,
        tts: providerName,
        vad: providerName,
      })
      .partial()
      .optional(),
    provider_options: z
      .strictObject({
        asr: z.record(z.string(), z.unknown()),
        agent: z.record(z.string(), z.unknown()),
        tts: z.record(z.string(), z.unknown()),
      })
      .partial()
      .optional(),
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
    record: z
      .boolean()
      .optional()
      .describe(
        "Record the conversation (stereo WAV: caller left, bot right); default: the tenant's `settings.recording`, else the server's `audit.recording.enabled`.",
      ),
  })
  .prefault({});

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
