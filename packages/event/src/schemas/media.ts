/** Payload schemas of the `prx.voice.media.*` events. */
import { z } from 'zod';
import { DIRECTIONS } from '@prx-voice/types';
import { countSchema, msSchema, unitIntervalSchema } from './common.js';

/** `media.vad_started`: speech began at `at_ms` on the session's input stream clock. */
export const vadStartedSchema = z.object({
  /** Offset from the start of the session's input audio. */
  at_ms: msSchema,
  /** Speech probability that crossed the threshold. */
  probability: unitIntervalSchema.optional(),
});

/** `media.vad_ended`: speech stopped at `at_ms` after `speech_ms` of speech. */
export const vadEndedSchema = z.object({
  at_ms: msSchema,
  speech_ms: msSchema,
});

/** Why audio was dropped. */
export const AUDIO_DROP_REASONS = ['backpressure', 'invalid_audio', 'paused', 'late'] as const;

/** `media.audio_dropped`: frames discarded instead of processed or sent. */
export const audioDroppedSchema = z.object({
  /** `inbound` (from the caller) or `outbound` (to the caller). */
  direction: z.enum(DIRECTIONS),
  reason: z.enum(AUDIO_DROP_REASONS),
  frames: countSchema,
  duration_ms: msSchema,
});

/** Where DTMF keys came from: a client's `dtmf` frame, Twilio's media stream, a carrier (SIP). */
export const DTMF_SOURCES = ['websocket', 'twilio', 'carrier'] as const;

/** Why a DTMF sequence completed. */
export const DTMF_COMPLETIONS = ['terminator', 'timeout', 'max_digits'] as const;

/**
 * `media.dtmf`: keypad input. One event per key pressed (`complete: false`, `digits` the key,
 * the terminator included) and one per completed sequence (`complete: true`, `digits` the
 * sequence without its terminator, `reason` what completed it); the completed sequence is
 * what the agent receives as the user's turn.
 */
export const dtmfSchema = z.object({
  /** Keys `0-9`, `*`, `#`, `A-D` (upper case). */
  digits: z.string().regex(/^[0-9*#A-D]{1,64}$/),
  source: z.enum(DTMF_SOURCES),
  /** `false` for a single key, `true` for a completed sequence. */
  complete: z.boolean(),
  /** What completed the sequence (only when `complete`). */
  reason: z.enum(DTMF_COMPLETIONS).optional(),
});

/** The `media` family: type → data schema. */
export const MEDIA_DATA_SCHEMAS = {
  'prx.voice.media.vad_started': vadStartedSchema,
  'prx.voice.media.vad_ended': vadEndedSchema,
  'prx.voice.media.audio_dropped': audioDroppedSchema,
  'prx.voice.media.dtmf': dtmfSchema,
} as const;
