/** Payload schemas of the `prx.voice.recording.*` events. */
import { z } from 'zod';
import { countSchema, idSchema, msSchema, nonEmptySchema } from './common.js';

/** `recording.started`: the conversation is being recorded (stereo: caller left, bot right). */
export const recordingStartedSchema = z.object({
  recording_id: idSchema('recording'),
  sample_rate: countSchema,
  channels: countSchema,
  /** `audio/wav`, or the sealed type when the data subject's key encrypts it. */
  content_type: nonEmptySchema,
  /** How much audio each chunk written while the session runs holds. */
  chunk_ms: msSchema,
});

/** `recording.stopped`: the recording ended with the session and was stored. */
export const recordingStoppedSchema = z.object({
  recording_id: idSchema('recording'),
  duration_ms: msSchema,
  size_bytes: countSchema,
  /** Audio lost to failed chunk writes (left silent in the file). */
  gap_ms: msSchema,
});

/** `recording.failed`: a chunk (or the final file) could not be written; the session goes on. */
export const recordingFailedSchema = z.object({
  recording_id: idSchema('recording'),
  /** Which write failed: a chunk while running, or the final file. */
  stage: z.enum(['chunk', 'finalize']),
  /** The chunk's index, for a chunk. */
  chunk: countSchema.optional(),
  /** Audio this failure leaves silent in the recording. */
  gap_ms: msSchema,
  message: nonEmptySchema,
});

/** The `recording` family: type → data schema. */
export const RECORDING_DATA_SCHEMAS = {
  'prx.voice.recording.started': recordingStartedSchema,
  'prx.voice.recording.stopped': recordingStoppedSchema,
  'prx.voice.recording.failed': recordingFailedSchema,
} as const;
