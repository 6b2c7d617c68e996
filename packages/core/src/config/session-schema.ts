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

/** Acknowledgement phrases by language (BCP-47 tag or primary subtag, e.g. `en`, `de-CH`). */
const backchannelsSchema = z.record(
  z.string().regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/, {
    error: 'expected a language tag such as en or en-GB',
  }),
  z.array(z.string().trim().min(1).max(60)).max(200),
  { error: 'expected a mapping of language tags to lists of phrases' },
);

/**
 * `session.interruption`: when caller speech over the bot is a barge-in. While
 * it is judged the bot keeps talking, ducked; words that are not an
 * acknowledgement, or sustained speech, stop it at once; an acknowledgement
 * ("uh huh", "got it") or noise leaves it talking.
 */
export const interruptionSchema = z.strictObject({
  /** Voiced time, from the VAD's speech start, before words can interrupt (default 200). */
  min_speech_ms: integerIn(0, 10_000).default(200),
  /** Words (not acknowledgements) needed to interrupt; 0 and 1 mean one. */
  min_words: integerIn(0, 50).default(0),
  /** After overlapping speech ends, the longest wait for its transcript before it counts as noise. */
  false_interruption_timeout_ms: integerIn(0, 30_000).default(2_000),
  /** Whether overlapping speech without words leaves the bot talking (false: it interrupts). */
  resume_false_interruptions: flag().default(true),
  /**
   * Overlapping speech this long interrupts even without a recognised word; 0 turns it off
   * (default 2000: longer than any acknowledgement or short noise, so it only catches speech
   * a slow recogniser has not transcribed yet).
   */
  sustained_speech_ms: integerIn(0, 30_000).default(2_000),
  /** Output gain while overlapping speech is judged, 0–1; 1 turns ducking off (default 0.3, about −10 dB). */
  duck_gain: numberIn(0, 1).default(0.3),
  /** Acknowledgements that keep the floor with the bot, by language; replaces the built-in list of that language. */
  backchannels: backchannelsSchema.optional(),
});

/**
 * `session.endpointing`: how long the caller's silence (from the VAD's silence
 * start) must last before the turn is over.
 */
export const endpointingSchema = z
  .strictObject({
    /**
     * After words that sound finished; raised to the caller's own pause length, up to max
     * (default 350: with the VAD's 250 ms silence and Silero's 32 ms windows, first audio
     * comes about 450 ms after the last word).
     */
    min_delay_ms: integerIn(0, 10_000).default(350),
    /** After words that trail off ("to the", "and", a number being dictated) (default 1500). */
    max_delay_ms: integerIn(0, 10_000).default(1_500),
    /** Start the agent at the first silence, speak only once the turn is over (default true). */
    speculative: flag().default(true),
  })
  .refine((e) => e.max_delay_ms >= e.min_delay_ms, {
    message: 'max_delay_ms must not be below min_delay_ms',
    path: ['max_delay_ms'],
  });

/** A sample rate, one of `allowed`. */
function rateIn(allowed: readonly number[]): z.ZodNumber {
  const error = `expected one of ${allowed.join(', ')}`;
  return z.number({ error }).refine((v) => allowed.includes(v), { error });
}

/**
 * `session.audio`: the rates the engine works at, whatever the transports carry
 * (each connection converts to and from its own format).
 */
export const sessionAudioSchema = z.strictObject({
  /** The VAD and ASR's rate: 8000 or 16000 (default 16000; Silero runs at these two). */
  input_rate: rateIn([8000, 16000]).default(16000),
  /** The rate TTS is asked for and output is paced at: 8000, 16000, 24000 or 48000 (default 24000). */
  output_rate: rateIn([8000, 16000, 24000, 48000]).default(24000),
  /**
   * Outbound pacing of all the instance's sessions on one grid of this step, ms (1–20): one
   * wake of the process sends every session's frames then due, each timed this much sooner
   * so it is never later nor further ahead than the lead allows. Default 0: a timer per
   * session (the grid saved about 5 % of the CPU at 80 sessions and cost 1–4 ms of jitter
   * p99, its wakes sending many sessions' frames in one burst).
   */
  output_tick_ms: integerIn(0, 20).default(0),
});

/**
 * `session.dtmf`: keypad keys (client `dtmf` frames, Twilio) collect into a sequence that
 * the terminator, the inter-digit timeout or the maximum length completes; the sequence
 * becomes a user text turn (`DTMF: 1234`).
 */
export const dtmfSchema = z.strictObject({
  /** The key that completes a sequence (not part of it), or `none` (default `#`). */
  terminator: z
    .string()
    .regex(/^(?:[0-9*#A-D]|none)$/, { error: 'expected one key (0-9, *, #, A-D) or none' })
    .default('#'),
  /** Silence after the last key that completes a sequence, 500–60000 (default 3000). */
  inter_digit_timeout_ms: integerIn(500, 60_000).default(3_000),
  /** Keys after which a sequence is complete, 1–64 (default 32). */
  max_digits: integerIn(1, 64).default(32),
});

/** What the bot says when a handoff fails or times out, by default. */
export const DEFAULT_HANDOFF_FAILURE_MESSAGE =
  "Sorry, I couldn't transfer your call. How else can I help?";

/**
 * `session.handoff`: a transfer to a person that fails or has no outcome within
 * `session.timeouts.handoff_s` leaves the conversation going; the bot says this line
 * (empty: nothing, it listens) so the caller is not left in silence.
 */
export const handoffSchema = z.strictObject({
  failure_message: z.string().max(1_000).default(DEFAULT_HANDOFF_FAILURE_MESSAGE),
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
  endpointing: endpointingSchema.prefault({}),
  audio: sessionAudioSchema.prefault({}),
  dtmf: dtmfSchema.prefault({}),
  handoff: handoffSchema.prefault({}),
});

/** The validated `session` section. */
export type SessionConfig = z.output<typeof sessionSchema>;
/** The validated `session.timeouts` block (seconds). */
export type SessionTimeouts = z.output<typeof timeoutsSchema>;
/** The validated `session.interruption` block. */
export type InterruptionPolicy = z.output<typeof interruptionSchema>;
/** The validated `session.audio` block. */
export type SessionAudio = z.output<typeof sessionAudioSchema>;
/** The validated `session.handoff` block. */
export type HandoffConfig = z.output<typeof handoffSchema>;
/** The validated `session.dtmf` block. */
export type DtmfConfig = z.output<typeof dtmfSchema>;
/** The validated `session.endpointing` block. */
export type EndpointingPolicy = z.output<typeof endpointingSchema>;
