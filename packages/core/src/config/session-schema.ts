/** The `session` section: limits, language, FSM timeouts and the interruption policy. */
import { z } from 'zod';
import { flag, integerIn, numberIn } from './schema-helpers.js';

/** Loose BCP-47 shape: a 2–3 letter language, then subtags of 1–8 letters or digits. */
const LANGUAGE_TAG = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/;

/**
 * `session.timeouts`, in seconds (fractions allowed). Each one bounds how long
 * the session may stay in the state it names before the FSM acts.
 */
export const timeoutsSchema = z.strictObject({
  /** Idle (created, nobody attached): 10–3600, default 60. */
  idle_s: numberIn(10, 3_600).default(60),
  /** Connecting: 5–30, default 10. */
  connecting_s: numberIn(5, 30).default(10),
  /** Listening without speech: 10–120, default 30. */
  listening_s: numberIn(10, 120).default(30),
  /** One user utterance: 10–300, default 60. */
  max_utterance_s: numberIn(10, 300).default(60),
  /** Waiting for the final transcript: 5–30, default 10. */
  asr_s: numberIn(5, 30).default(10),
  /** Agent thinking before the first token: 10–60, default 30. */
  thinking_s: numberIn(10, 60).default(30),
  /** Speaking one response: 30–600, default 300. */
  speaking_s: numberIn(30, 600).default(300),
  /** Resolving an interruption: 1–30, default 5. */
  interrupted_s: numberIn(1, 30).default(5),
  /** Paused: 60–1800, default 300. */
  paused_s: numberIn(60, 1_800).default(300),
  /** Waiting for a handoff to complete: 30–600, default 120. */
  handoff_s: numberIn(30, 600).default(120),
});

/** `session.interruption`: when caller speech counts as barge-in. */
export const interruptionSchema = z.strictObject({
  /** Speech shorter than this does not interrupt. */
  min_speech_ms: integerIn(0, 10_000).default(300),
  /** Fewer transcribed words than this do not interrupt (0: any speech). */
  min_words: integerIn(0, 50).default(0),
  /** An interruption with no transcript within this time is false. */
  false_interruption_timeout_ms: integerIn(0, 30_000).default(2_000),
  /** Whether the bot resumes speaking after a false interruption. */
  resume_false_interruptions: flag().default(true),
});

/** The `session` section. */
export const sessionSchema = z.strictObject({
  max_duration_s: numberIn(10, 86_400).default(3_600),
  max_turns: integerIn(1, 10_000).default(200),
  interrupt_enabled: flag().default(true),
  default_language: z
    .string({ error: 'expected a BCP-47 language tag such as en-US' })
    .regex(LANGUAGE_TAG, { error: 'expected a BCP-47 language tag such as en-US' })
    .default('en-US'),
  timeouts: timeoutsSchema.prefault({}),
  interruption: interruptionSchema.prefault({}),
});

/** The validated `session` section. */
export type SessionConfig = z.output<typeof sessionSchema>;
/** The validated `session.timeouts` block (seconds). */
export type SessionTimeouts = z.output<typeof timeoutsSchema>;
/** The validated `session.interruption` block. */
export type InterruptionPolicy = z.output<typeof interruptionSchema>;
