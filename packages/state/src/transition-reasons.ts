/**
 * Why a transition happened. Transitions into Closed carry a session outcome
 * (`SESSION_OUTCOMES` of `@prx-voice/types`); the others name the failure,
 * timeout, error or interruption behind them. The normal flow of a turn
 * (speech started, transcript, first audio, playback done) carries none.
 */
import { SESSION_OUTCOMES } from '@prx-voice/types';

/** Reasons for entering Failed. */
export const FAILURE_REASONS = [
  'adapter_init_failed',
  'adapter_init_timeout',
  'resource_exhausted',
  'unrecoverable_error',
] as const;

/** Why the session entered Failed. */
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** Reasons for a live-to-live transition off the normal path of a turn. */
export const RECOVERY_REASONS = [
  'empty_transcript',
  'empty_response',
  'max_utterance',
  'asr_timeout',
  'thinking_timeout',
  'speaking_timeout',
  'interrupted_timeout',
  'agent_timeout',
  'agent_error',
  'tts_error',
  'handoff_timeout',
  'handoff_failed',
  'user_speech',
  'client_interrupt',
  'barge_in',
  'false_interruption',
] as const;

/** Why the session left the normal path of a turn (and stayed alive). */
export type RecoveryReason = (typeof RECOVERY_REASONS)[number];

/** Every reason a transition can carry: session outcomes, failures and recoveries. */
export const TRANSITION_REASONS = [
  ...SESSION_OUTCOMES,
  ...FAILURE_REASONS,
  ...RECOVERY_REASONS,
] as const;

/** Why a transition happened. */
export type TransitionReason = (typeof TRANSITION_REASONS)[number];
