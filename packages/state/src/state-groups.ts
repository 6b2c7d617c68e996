/** Named groups of session states that the machine, its timeouts and its callers share. */
import type { SessionState } from '@prx-voice/types';

/** A state nothing leaves: Closed or Failed. */
export type TerminalState = 'Closed' | 'Failed';

/** A state the session may be in while it is still alive. */
export type LiveState = Exclude<SessionState, TerminalState>;

/** States that `PAUSE` is accepted in: the conversation, not set-up, not a handoff. */
export const PAUSABLE_STATES = [
  'Listening',
  'UserSpeaking',
  'AsrProcessing',
  'Thinking',
  'Speaking',
  'Interrupted',
] as const satisfies readonly LiveState[];

/** A state a session can be paused from. */
export type PausableState = (typeof PAUSABLE_STATES)[number];

/** States the bot can be interrupted in (barge-in or an explicit client `interrupt`). */
export const INTERRUPTIBLE_STATES = [
  'Thinking',
  'Speaking',
] as const satisfies readonly LiveState[];

/** A state the bot can be interrupted in. */
export type InterruptibleState = (typeof INTERRUPTIBLE_STATES)[number];

/** Where `RESUME` can land: the transient states of a paused turn collapse to Listening. */
export type ResumeTarget = 'Listening' | 'Thinking' | 'Speaking';

/** Whether a state is terminal (Closed or Failed): no trigger leaves it. */
export function isTerminal(state: SessionState): state is TerminalState {
  return state === 'Closed' || state === 'Failed';
}

/** The state `RESUME` returns to for a session paused from `pausedFrom`. */
export function resumeTargetOf(pausedFrom: PausableState | null): ResumeTarget {
  switch (pausedFrom) {
    case 'Thinking':
    case 'Speaking':
      return pausedFrom;
    case 'Listening':
    case 'UserSpeaking':
    case 'AsrProcessing':
    case 'Interrupted':
    case null:
      return 'Listening';
  }
}
