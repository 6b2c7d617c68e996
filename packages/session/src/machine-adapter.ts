/**
 * The one place the session touches the state package's API, so the reducer
 * reads as session logic.
 */
import { initialMachineState, transition as machineTransition } from '@prx-voice/state';
import type { MachineState, SessionTrigger, TransitionResult } from '@prx-voice/state';
import type { SessionState } from '@prx-voice/types';

/** The FSM's initial state. */
export function initialMachine(): MachineState {
  return initialMachineState();
}

/** Applies a trigger to the FSM (pure). */
export function transition(state: MachineState, trigger: SessionTrigger): TransitionResult {
  return machineTransition(state, trigger);
}

/** The per-state timeout of a state in ms, if it has one. */
export function timeoutForMs(
  state: SessionState,
  timeoutsMs: Readonly<Partial<Record<SessionState, number>>>,
): number | undefined {
  return timeoutsMs[state];
}
