/** Payload schemas of the `prx.voice.interrupt.*` events. */
import { z } from 'zod';
import { idSchema, msSchema } from './common.js';

/** What asked for the interruption. */
export const INTERRUPT_REASONS = ['barge_in', 'client', 'api'] as const;

/** `interrupt.issued`: the run is being interrupted (agent and TTS cancelled, output flushed). */
export const interruptIssuedSchema = z.object({
  /** `barge_in` (caller speech), `client` (WebSocket frame) or `api` (REST). */
  reason: z.enum(INTERRUPT_REASONS),
  /** The assistant text the caller had heard when it was issued. */
  heard_text: z.string().optional(),
});

/** `interrupt.resolved`: the interruption stands; the conversation keeps only what was heard. */
export const interruptResolvedSchema = z.object({
  /** The assistant text kept in the conversation. */
  heard_text: z.string(),
  /** Playback position reached when the interruption happened. */
  played_ms: msSchema,
});

/** `interrupt.false_resumed`: it was a false interruption; the bot resumes where it paused. */
export const interruptFalseResumedSchema = z.object({
  /** The segment that resumes, if speech was underway. */
  segment_id: idSchema('segment').optional(),
  /** Position in that segment playback resumes from. */
  resume_at_ms: msSchema,
  /** How long the bot waited before resuming (0 when it never stopped, only ducked). */
  waited_ms: msSchema,
  /** Why it was not an interruption: an acknowledgement, noise, or interruptions are turned off. */
  reason: z.enum(['backchannel', 'noise', 'interrupt_disabled']).optional(),
  /** How long the caller's speech overlapped the bot before it was judged. */
  overlap_ms: msSchema.optional(),
});

/** The `interrupt` family: type → data schema. */
export const INTERRUPT_DATA_SCHEMAS = {
  'prx.voice.interrupt.issued': interruptIssuedSchema,
  'prx.voice.interrupt.resolved': interruptResolvedSchema,
  'prx.voice.interrupt.false_resumed': interruptFalseResumedSchema,
} as const;
