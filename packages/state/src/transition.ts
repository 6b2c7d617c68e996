/**
 * The machine as a pure transition function for the session reducer: a small
 * JSON-safe snapshot in, the next one out, computed with xstate's pure
 * `initialTransition`/`transition` — no actor, no interpreter, no timers.
 */
import type { SessionState } from '@prx-voice/types';
import { getNextTransitions, initialTransition, transition as xstateTransition } from 'xstate';
import { INITIAL_CONTEXT } from './machine-context.js';
import type { SessionMachineContext } from './machine-context.js';
import { sessionMachine } from './session-machine.js';
import { isTerminal } from './state-groups.js';
import type { TransitionReason } from './transition-reasons.js';
import type { SessionTrigger, TriggerType } from './triggers.js';

/** A serialisable snapshot of the machine: what replays and logs store. */
export interface MachineState {
  /** The current state. */
  readonly value: SessionState;
  /** The extended state (JSON-safe). */
  readonly context: SessionMachineContext;
}

/** Why a trigger changed nothing. */
export type IgnoredWhy = 'not_accepted' | 'stale_timeout' | 'terminal';

/** The machine moved: `state` is the new snapshot. */
export interface MovedResult {
  /** `moved`. */
  readonly kind: 'moved';
  /** The snapshot after the transition. */
  readonly state: MachineState;
  /** The state left. */
  readonly from: SessionState;
  /** The state entered (never equal to `from`: the machine has no self-transitions). */
  readonly to: SessionState;
  /** Why, when the transition has a reason (see the table in `session-machine.ts`). */
  readonly reason?: TransitionReason;
}

/** The trigger changed nothing: `state` is the snapshot given. */
export interface IgnoredResult {
  /** `ignored`. */
  readonly kind: 'ignored';
  /** The unchanged snapshot (the very object passed in). */
  readonly state: MachineState;
  /** Not accepted in this state, a timeout of a state since left, or a terminal state. */
  readonly why: IgnoredWhy;
}

/** What one trigger did to the machine. */
export type TransitionResult = MovedResult | IgnoredResult;

/** Copies an xstate snapshot into a plain {@link MachineState}. */
function toMachineState(value: unknown, context: SessionMachineContext): MachineState {
  return {
    value: value as SessionState,
    context: {
      pausedFrom: context.pausedFrom,
      interruptedFrom: context.interruptedFrom,
      reason: context.reason,
      outcome: context.outcome,
    },
  };
}

/** The snapshot of a new session: Idle, empty context. */
export function initialMachineState(): MachineState {
  const [snapshot] = initialTransition(sessionMachine);
  return toMachineState(snapshot.value, snapshot.context);
}

/** Rebuilds the xstate snapshot of a {@link MachineState}. */
function resolve(state: MachineState): ReturnType<typeof sessionMachine.resolveState> {
  return sessionMachine.resolveState({ value: state.value, context: { ...state.context } });
}

/**
 * Applies one trigger. Pure and deterministic: the input is not mutated and
 * the same input always gives the same result.
 *
 * @example
 * const r = transition(initialMachineState(), { type: 'SESSION_CREATE' });
 * // r.kind === 'moved', r.from === 'Idle', r.to === 'Connecting'
 */
export function transition(state: MachineState, trigger: SessionTrigger): TransitionResult {
  if (isTerminal(state.value)) return { kind: 'ignored', state, why: 'terminal' };
  if (trigger.type === 'STATE_TIMEOUT' && trigger.state !== state.value) {
    return { kind: 'ignored', state, why: 'stale_timeout' };
  }
  const snapshot = resolve(state);
  if (!snapshot.can(trigger)) return { kind: 'ignored', state, why: 'not_accepted' };
  const [next] = xstateTransition(sessionMachine, snapshot, trigger);
  const moved = toMachineState(next.value, next.context);
  const reason = moved.context.reason;
  return reason === null
    ? { kind: 'moved', state: moved, from: state.value, to: moved.value }
    : { kind: 'moved', state: moved, from: state.value, to: moved.value, reason };
}

/**
 * Whether `state` has a transition for `triggerType` at all. A payload can
 * still make an accepted type ignored: an empty `TRANSCRIPT_FINAL` in
 * Listening, a `STATE_TIMEOUT` naming another state.
 */
export function accepts(state: SessionState, triggerType: TriggerType): boolean {
  if (isTerminal(state)) return false;
  const snapshot = sessionMachine.resolveState({ value: state, context: { ...INITIAL_CONTEXT } });
  return getNextTransitions(snapshot).some((t) => t.eventType === triggerType);
}
