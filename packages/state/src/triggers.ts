/**
 * The triggers the session machine reacts to. The reducer turns its inputs
 * (adapter output, client commands, fired timers) into these; each has a
 * `type` discriminant and only the payload the machine itself needs.
 */
import type { SessionOutcome, SessionState } from '@prx-voice/types';

/** Every trigger type, in the order of the transition table. */
export const TRIGGER_TYPES = [
  'SESSION_CREATE',
  'ADAPTERS_READY',
  'ADAPTER_INIT_FAILED',
  'ADAPTER_INIT_TIMEOUT',
  'VAD_STARTED',
  'VAD_ENDED',
  'TRANSCRIPT_FINAL',
  'TEXT_INPUT',
  'AGENT_RESPONSE_START',
  'AGENT_RESPONSE_EMPTY',
  'PLAYBACK_COMPLETED',
  'INTERRUPT_DETECTED',
  'INTERRUPT_RESOLVED',
  'PAUSE',
  'RESUME',
  'HANDOFF_REQUEST',
  'HANDOFF_CONFIRMED',
  'HANDOFF_TIMEOUT',
  'HANDOFF_FAILED',
  'CLOSE',
  'TRANSPORT_DISCONNECT',
  'RESOURCE_EXHAUSTED',
  'UNRECOVERABLE_ERROR',
  'STATE_TIMEOUT',
  'ASR_TIMEOUT',
  'AGENT_TIMEOUT',
  'TTS_ERROR',
  'AGENT_ERROR',
] as const;

/** A trigger type name. */
export type TriggerType = (typeof TRIGGER_TYPES)[number];

/** Trigger types that carry nothing but their type. */
type BareTriggerType = Exclude<
  TriggerType,
  'TRANSCRIPT_FINAL' | 'INTERRUPT_DETECTED' | 'INTERRUPT_RESOLVED' | 'CLOSE' | 'STATE_TIMEOUT'
>;

/** A trigger without payload (e.g. `{ type: 'VAD_STARTED' }`). */
export interface BareTrigger {
  /** Which trigger. */
  readonly type: BareTriggerType;
}

/** The ASR produced the final transcript of an utterance. */
export interface TranscriptFinalTrigger {
  /** `TRANSCRIPT_FINAL`. */
  readonly type: 'TRANSCRIPT_FINAL';
  /** Whether the transcript has no words (noise, a cough): no agent turn. */
  readonly empty: boolean;
}

/** The bot was interrupted while thinking or speaking. */
export interface InterruptDetectedTrigger {
  /** `INTERRUPT_DETECTED`. */
  readonly type: 'INTERRUPT_DETECTED';
  /** Caller speech that passed the interruption policy (default), or a client `interrupt`. */
  readonly source?: 'speech' | 'client';
}

/** The interruption turned out to be a real barge-in. */
export interface BargeInResolvedTrigger {
  /** `INTERRUPT_RESOLVED`. */
  readonly type: 'INTERRUPT_RESOLVED';
  /** `barge_in`. */
  readonly outcome: 'barge_in';
  /** Whether the caller is still talking (→ UserSpeaking) or has stopped (→ Listening). */
  readonly userSpeaking: boolean;
}

/** The interruption was noise: the bot goes back to what it was doing. */
export interface FalseInterruptionResolvedTrigger {
  /** `INTERRUPT_RESOLVED`. */
  readonly type: 'INTERRUPT_RESOLVED';
  /** `false_interruption`. */
  readonly outcome: 'false_interruption';
}

/** How an interruption was resolved. */
export type InterruptResolvedTrigger = BargeInResolvedTrigger | FalseInterruptionResolvedTrigger;

/** The session is asked to end (client `end`, API, limits, operator, shutdown). */
export interface CloseTrigger {
  /** `CLOSE`. */
  readonly type: 'CLOSE';
  /** Forced: end now; graceful: the caller let the current output finish first. */
  readonly forced: boolean;
  /** Why; defaults to `completed` (graceful) or `shutdown` (forced). */
  readonly reason?: SessionOutcome;
}

/** The per-state timeout armed on entering `state` fired. */
export interface StateTimeoutTrigger {
  /** `STATE_TIMEOUT`. */
  readonly type: 'STATE_TIMEOUT';
  /** The state whose timeout it is; ignored as stale unless the machine is still there. */
  readonly state: SessionState;
}

/** Anything the session machine reacts to. */
export type SessionTrigger =
  | BareTrigger
  | TranscriptFinalTrigger
  | InterruptDetectedTrigger
  | InterruptResolvedTrigger
  | CloseTrigger
  | StateTimeoutTrigger;

/** Whether a value is a trigger type name. */
export function isTriggerType(value: unknown): value is TriggerType {
  return (TRIGGER_TYPES as readonly unknown[]).includes(value);
}
