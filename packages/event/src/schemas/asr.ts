/** Payload schemas of the `prx.voice.asr.*` events. */
import { z } from 'zod';
import { msSchema, providerErrorSchema, unitIntervalSchema } from './common.js';

/** A transcript: text and its span on the input stream clock (`end_ms >= start_ms`). */
export const transcriptSchema = z
  .object({
    /** Transcribed text; a final may be empty (nothing intelligible was said). */
    text: z.string(),
    /** Start of the utterance, from the start of the session's input audio. */
    start_ms: msSchema,
    /** End of the utterance, same clock. */
    end_ms: msSchema,
    /** Provider's confidence, when it gives one. */
    confidence: unitIntervalSchema.optional(),
  })
  .refine((t) => t.end_ms >= t.start_ms, {
    message: 'end_ms must not be before start_ms',
    path: ['end_ms'],
  });

/** The `asr` family: type → data schema. */
export const ASR_DATA_SCHEMAS = {
  'prx.voice.asr.transcript_partial': transcriptSchema,
  'prx.voice.asr.transcript_final': transcriptSchema,
  'prx.voice.asr.error': providerErrorSchema,
} as const;
