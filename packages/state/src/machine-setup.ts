/**
 * The typed `setup` of the session machine (context, triggers, guards, the one
 * context action) and the small transition builders its phases share.
 */
import type { SessionOutcome, SessionState } from '@prx-voice/types';
import { assign, setup } from 'xstate';
import { enteredContext } from './machine-context.js';
import type { SessionMachineContext } from './machine-context.js';
import { resumeTargetOf } from './state-groups.js';
import type { InterruptibleState, ResumeTarget } from './state-groups.js';
import type { FailureReason, TransitionReason } from './transition-reasons.js';
import type { SessionTrigger } from './triggers.js';

/** The session machine's `setup`: its phases build their state configs from it. */
export const machineSetup = setup({
  types: {
    context: {} as SessionMachineContext,
    events: {} as SessionTrigger,
  },
  guards: {
    /** A `STATE_TIMEOUT` for `params.state` (the state the handler sits in). */
    timeoutOf: ({ event }, params: { state: SessionState }) =>
      event.type === 'STATE_TIMEOUT' && event.state === params.state,
    /** A final transcript with words in it. */
    transcriptHasWords: ({ event }) => event.type === 'TRANSCRIPT_FINAL' && !event.empty,
    /** An interruption asked for by the client rather than detected in speech. */
    interruptFromClient: ({ event }) =>
      event.type === 'INTERRUPT_DETECTED' && event.source === 'client',
    /** A real barge-in while the caller is still talking. */
    bargeInStillSpeaking: ({ event }) =>
      event.type === 'INTERRUPT_RESOLVED' && event.outcome === 'barge_in' && event.userSpeaking,
    /** A false interruption of `params.state`. */
    falseInterruptionOf: ({ context, event }, params: { state: InterruptibleState }) =>
      event.type === 'INTERRUPT_RESOLVED' &&
      event.outcome === 'false_interruption' &&
      context.interruptedFrom === params.state,
    /** A paused session that resumes to `params.target`. */
    resumesTo: ({ context }, params: { target: ResumeTarget }) =>
      resumeTargetOf(context.pausedFrom) === params.target,
  },
  actions: {
    /** Replaces the context with the one of the state being entered. */
    enter: assign((_, params: SessionMachineContext) => params),
  },
});

/** A transition config: go to `target` with the context of that state. */
export interface EnterTransition<TTarget extends SessionState> {
  /** Where to. */
  readonly target: TTarget;
  /** Sets the context of the entered state. */
  readonly actions: { readonly type: 'enter'; readonly params: SessionMachineContext };
}

/** A transition to `target`, with a reason and other context fields of the entered state. */
export function to<TTarget extends SessionState>(
  target: TTarget,
  fields: Partial<SessionMachineContext> = {},
): EnterTransition<TTarget> {
  return { target, actions: { type: 'enter', params: enteredContext(fields) } };
}

/** A transition to `target` with `reason`. */
export function because<TTarget extends SessionState>(
  target: TTarget,
  reason: TransitionReason,
): EnterTransition<TTarget> {
  return to(target, { reason });
}

/** A transition to Closed with `outcome` as its reason. */
export function closeWith(outcome: SessionOutcome): EnterTransition<'Closed'> {
  return to('Closed', { reason: outcome, outcome });
}

/** A transition to Failed with `reason` (outcome `error`). */
export function failWith(reason: FailureReason): EnterTransition<'Failed'> {
  return to('Failed', { reason, outcome: 'error' });
}
