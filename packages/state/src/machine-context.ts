/** The machine's extended state: small, flat and JSON-safe (nulls, never `undefined`). */
import type { SessionOutcome } from '@prx-voice/types';
import type { InterruptibleState, PausableState } from './state-groups.js';
import type { TransitionReason } from './transition-reasons.js';

/** What the session machine remembers besides its state. */
export interface SessionMachineContext {
  /** In Paused: the state it was paused from (RESUME goes back there, see the table). */
  readonly pausedFrom: PausableState | null;
  /** In Interrupted: the state the interruption cut into (a false interruption returns there). */
  readonly interruptedFrom: InterruptibleState | null;
  /** The reason of the transition that entered the current state, if it had one. */
  readonly reason: TransitionReason | null;
  /** In Closed or Failed: how the session ended (`error` for Failed). */
  readonly outcome: SessionOutcome | null;
}

/** The context of a fresh session. */
export const INITIAL_CONTEXT: SessionMachineContext = {
  pausedFrom: null,
  interruptedFrom: null,
  reason: null,
  outcome: null,
};

/**
 * The context of a state just entered: every field not given is reset, so the
 * context only ever describes the current state.
 */
export function enteredContext(fields: Partial<SessionMachineContext>): SessionMachineContext {
  return { ...INITIAL_CONTEXT, ...fields };
}
