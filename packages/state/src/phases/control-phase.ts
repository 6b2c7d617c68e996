/**
 * Out-of-turn control: Interrupted (resolving a barge-in), Paused (resumes
 * where it was) and HandoffPending (waiting for a transfer to complete).
 */
import { because, closeWith, machineSetup, to } from '../machine-setup.js';

/** Interrupted: caller speech (or a client `interrupt`) cut into Thinking or Speaking. */
export const interruptedState = machineSetup.createStateConfig({
  description: 'Output halted; deciding between a real barge-in and a false interruption.',
  on: {
    INTERRUPT_RESOLVED: [
      { guard: 'bargeInStillSpeaking', ...because('UserSpeaking', 'barge_in') },
      {
        guard: { type: 'falseInterruptionOf', params: { state: 'Speaking' } },
        ...because('Speaking', 'false_interruption'),
      },
      {
        guard: { type: 'falseInterruptionOf', params: { state: 'Thinking' } },
        ...because('Thinking', 'false_interruption'),
      },
      {
        target: 'Listening',
        actions: {
          type: 'enter',
          params: ({ event }) => ({
            pausedFrom: null,
            interruptedFrom: null,
            outcome: null,
            reason: event.outcome === 'false_interruption' ? 'false_interruption' : 'barge_in',
          }),
        },
      },
    ],
    PAUSE: to('Paused', { pausedFrom: 'Interrupted' }),
    HANDOFF_REQUEST: to('HandoffPending'),
    STATE_TIMEOUT: {
      guard: { type: 'timeoutOf', params: { state: 'Interrupted' } },
      ...because('Listening', 'interrupted_timeout'),
    },
  },
});

/** Paused: the bot neither listens nor speaks until RESUME. */
export const pausedState = machineSetup.createStateConfig({
  description: 'Paused by the client or an operator; caller audio is not processed.',
  on: {
    RESUME: [
      { guard: { type: 'resumesTo', params: { target: 'Speaking' } }, ...to('Speaking') },
      { guard: { type: 'resumesTo', params: { target: 'Thinking' } }, ...to('Thinking') },
      to('Listening'),
    ],
    STATE_TIMEOUT: {
      guard: { type: 'timeoutOf', params: { state: 'Paused' } },
      ...closeWith('idle_timeout'),
    },
  },
});

/** HandoffPending: a transfer to a human or another system is under way. */
export const handoffPendingState = machineSetup.createStateConfig({
  description: 'A handoff was requested; waiting for it to be confirmed.',
  on: {
    HANDOFF_CONFIRMED: closeWith('handoff'),
    HANDOFF_TIMEOUT: because('Listening', 'handoff_timeout'),
    HANDOFF_FAILED: because('Listening', 'handoff_failed'),
    STATE_TIMEOUT: {
      guard: { type: 'timeoutOf', params: { state: 'HandoffPending' } },
      ...because('Listening', 'handoff_timeout'),
    },
  },
});
