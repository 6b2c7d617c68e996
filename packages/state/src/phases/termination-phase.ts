/**
 * Termination: the exits every live state shares (close, transport lost,
 * resources exhausted, unrecoverable error) and the two terminal states.
 */
import type { SessionOutcome } from '@prx-voice/types';
import { closeWith, failWith, machineSetup } from '../machine-setup.js';
import { enteredContext } from '../machine-context.js';
import type { SessionMachineContext } from '../machine-context.js';
import type { SessionTrigger } from '../triggers.js';

/** The outcome of a `CLOSE`: its reason, else `shutdown` when forced, else `completed`. */
export function closeOutcome(trigger: SessionTrigger): SessionOutcome {
  if (trigger.type !== 'CLOSE') return 'completed';
  return trigger.reason ?? (trigger.forced ? 'shutdown' : 'completed');
}

/** The context of Closed after a `CLOSE`. */
function closedByRequest({ event }: { event: SessionTrigger }): SessionMachineContext {
  const outcome = closeOutcome(event);
  return enteredContext({ reason: outcome, outcome });
}

/**
 * Exits accepted in every live state: the machine's root handlers, so their
 * targets are the root's children (`.Closed`). Final states stop the machine,
 * so they never apply to Closed or Failed.
 */
export const terminationTransitions = {
  CLOSE: { target: '.Closed', actions: { type: 'enter', params: closedByRequest } },
  TRANSPORT_DISCONNECT: { ...closeWith('caller_hangup'), target: '.Closed' },
  RESOURCE_EXHAUSTED: { ...failWith('resource_exhausted'), target: '.Failed' },
  UNRECOVERABLE_ERROR: { ...failWith('unrecoverable_error'), target: '.Failed' },
} as const;

/** Closed: the session ended; `context.outcome` says how. Terminal. */
export const closedState = machineSetup.createStateConfig({
  description: 'Ended normally, by the caller, a limit, a timeout or a handoff.',
  type: 'final',
});

/** Failed: the session could not go on (`context.outcome` is `error`). Terminal. */
export const failedState = machineSetup.createStateConfig({
  description: 'Ended by a failure: adapters, resources or an unrecoverable error.',
  type: 'final',
});
