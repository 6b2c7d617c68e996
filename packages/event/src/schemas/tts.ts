/** Payload schemas of the `prx.voice.tts.*` events. */
import { z } from 'zod';
import { countSchema, idSchema, msSchema, providerErrorSchema } from './common.js';

/** `tts.segment_queued`: a chunk of the answer is queued for synthesis. */
export const segmentQueuedSchema = z.object({
  segment_id: idSchema('segment'),
  text: z.string(),
});

/** `tts.chunk_ready`: synthesized audio of a segment is ready (`bytes` in the output format). */
export const chunkReadySchema = z.object({
  segment_id: idSchema('segment'),
  bytes: countSchema,
  duration_ms: msSchema,
});

/** Why synthesis stopped early. */
export const TTS_STOP_REASONS = ['interrupted', 'cancelled', 'error', 'session_ended'] as const;

/** `tts.stopped`: synthesis was aborted; `segment_id` is the segment in progress, if any. */
export const ttsStoppedSchema = z.object({
  reason: z.enum(TTS_STOP_REASONS),
  segment_id: idSchema('segment').optional(),
});

/** `tts.error`: the provider failed, possibly on one segment. */
export const ttsErrorSchema = providerErrorSchema.extend({
  segment_id: idSchema('segment').optional(),
});

/** The `tts` family: type → data schema. */
export const TTS_DATA_SCHEMAS = {
  'prx.voice.tts.segment_queued': segmentQueuedSchema,
  'prx.voice.tts.chunk_ready': chunkReadySchema,
  'prx.voice.tts.stopped': ttsStoppedSchema,
  'prx.voice.tts.error': ttsErrorSchema,
} as const;
