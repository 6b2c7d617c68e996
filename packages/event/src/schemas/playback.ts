/** Payload schemas of the `prx.voice.playback.*` events. */
import { z } from 'zod';
import { idSchema, msSchema } from './common.js';

/** `playback.started`: the first audio of a segment was sent to the caller. */
export const playbackStartedSchema = z.object({
  segment_id: idSchema('segment'),
});

/** `playback.completed`: a segment was played to its end. */
export const playbackCompletedSchema = z.object({
  segment_id: idSchema('segment'),
  played_ms: msSchema,
});

/** `playback.flushed`: queued audio was discarded (barge-in, end); what had played and what was dropped. */
export const playbackFlushedSchema = z.object({
  /** The segment playing when the flush happened, if any. */
  segment_id: idSchema('segment').optional(),
  /** How much of that segment the caller heard. */
  played_ms: msSchema,
  /** Audio discarded, over all queued segments. */
  discarded_ms: msSchema,
  /**
   * What the caller heard of the flushed answer: its text up to where playback stopped
   * (absent in events stored before it was added).
   */
  heard_text: z.string().optional(),
});

/** The `playback` family: type → data schema. */
export const PLAYBACK_DATA_SCHEMAS = {
  'prx.voice.playback.started': playbackStartedSchema,
  'prx.voice.playback.completed': playbackCompletedSchema,
  'prx.voice.playback.flushed': playbackFlushedSchema,
} as const;
