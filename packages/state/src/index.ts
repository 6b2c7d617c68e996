/**
 * `@prx-voice/state` — the session state machine (xstate v5): twelve states,
 * every trigger, per-state timeouts armed by the caller on its injected clock,
 * and a pure transition function for the session reducer.
 *
 * @example
 * import { initialMachineState, timeoutFor, transition } from '@prx-voice/state';
 * let state = initialMachineState(); // Idle
 * const r = transition(state, { type: 'SESSION_CREATE' });
 * if (r.kind === 'moved') {
 *   state = r.state; // Connecting; emit session.state_changed { from: r.from, to: r.to, trigger }
 *   const t = timeoutFor(r.to, config.session.timeouts); // { state: 'Connecting', key: 'connecting_s', ms: 10_000 }
 *   if (t) clock.setTimeout(() => feed({ type: 'STATE_TIMEOUT', state: t.state }), t.ms);
 * }
 */
export { INITIAL_CONTEXT } from './machine-context.js';
export type { SessionMachineContext } from './machine-context.js';
export { sessionMachine } from './session-machine.js';
export type { SessionMachine } from './session-machine.js';
export {
  INTERRUPTIBLE_STATES,
  PAUSABLE_STATES,
  isTerminal,
  resumeTargetOf,
} from './state-groups.js';
export type {
  InterruptibleState,
  LiveState,
  PausableState,
  ResumeTarget,
  TerminalState,
} from './state-groups.js';
export { STATE_TIMEOUT_KEYS, timeoutFor } from './state-timeouts.js';
export type { StateTimeout } from './state-timeouts.js';
export { accepts, initialMachineState, transition } from './transition.js';
export type {
  IgnoredResult,
  IgnoredWhy,
  MachineState,
  MovedResult,
  TransitionResult,
} from './transition.js';
export { FAILURE_REASONS, RECOVERY_REASONS, TRANSITION_REASONS } from './transition-reasons.js';
export type { FailureReason, RecoveryReason, TransitionReason } from './transition-reasons.js';
export { TRIGGER_TYPES, isTriggerType } from './triggers.js';
export type {
  BareTrigger,
  BargeInResolvedTrigger,
  CloseTrigger,
  FalseInterruptionResolvedTrigger,
  InterruptDetectedTrigger,
  InterruptResolvedTrigger,
  SessionTrigger,
  StateTimeoutTrigger,
  TranscriptFinalTrigger,
  TriggerType,
} from './triggers.js';
