/** Payload schema of `prx.voice.turn.completed`. */
import { z } from 'zod';
import { idSchema, msSchema } from './common.js';

const part = msSchema.nullable();

/** A turn's latency breakdown in milliseconds; `null` where a part did not happen or is unknown. */
export const turnLatencySchema = z.object({
  /** Speech end → final transcript. */
  asr_ms: part,
  /** Final transcript → first agent token. */
  agent_first_token_ms: part,
  /** First token → first synthesized audio. */
  tts_first_audio_ms: part,
  /** First synthesized audio → first audio sent to the caller. */
  first_audio_sent_ms: part,
  /** Speech end → first audio sent: what the caller experiences. */
  voice_to_voice_ms: part,
});

/** `turn.completed`: a turn ended, with transcripts and its latency breakdown. */
export const turnCompletedSchema = z.object({
  turn_id: idSchema('turn'),
  /** What the caller said (or typed, for a text turn). */
  user_text: z.string(),
  /** What the caller heard of the answer (truncated when interrupted). */
  assistant_text: z.string(),
  interrupted: z.boolean(),
  latency: turnLatencySchema,
});

/** The `turn` family: type → data schema. */
export const TURN_DATA_SCHEMAS = {
  'prx.voice.turn.completed': turnCompletedSchema,
} as const;
