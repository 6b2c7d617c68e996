/** The commands the API sends to a live session, checked against the state machine. */
import type { SessionInput } from '@prx-voice/session';
import { accepts } from '@prx-voice/state';
import type { TriggerType } from '@prx-voice/state';
import { VoiceError } from '@prx-voice/types';
import type { RoutedCommand } from './command-router.js';
import type { LiveSession, SessionCommandName } from './session-manager.js';

const COMMAND_TRIGGERS: Readonly<Record<SessionCommandName, TriggerType | null>> = {
  interrupt: 'INTERRUPT_DETECTED',
  pause: 'PAUSE',
  resume: 'RESUME',
  end: null,
};

/** Runs a command on a session live here (forwarded ones arrive through this too). */
export function runCommand(
  s: LiveSession,
  command: Extract<RoutedCommand, { kind: 'command' | 'text' | 'handoff' }>,
): void {
  const state = s.actor.model.machine.value;
  if (command.kind === 'text') {
    if (!['Listening', 'Thinking', 'Speaking'].includes(state)) {
      throw new VoiceError('SESSION_STATE_CONFLICT', {
        message: `cannot take a text turn in ${state}`,
        details: { state },
      });
    }
    s.actor.dispatch({ type: 'text_input', text: command.text });
    return;
  }
  if (command.kind === 'handoff') {
    if (!accepts(state, 'HANDOFF_REQUEST')) {
      throw new VoiceError('SESSION_STATE_CONFLICT', {
        message:
          state === 'HandoffPending'
            ? 'a handoff of this session is already under way'
            : `cannot hand off a session in ${state}`,
        details: { state },
      });
    }
    s.actor.dispatch({
      type: 'handoff_request',
      target: command.target,
      trigger: 'api',
      ...(command.reason === undefined ? {} : { reason: command.reason }),
    });
    return;
  }
  const trigger = COMMAND_TRIGGERS[command.command];
  if (trigger !== null && !accepts(state, trigger)) {
    throw new VoiceError('SESSION_STATE_CONFLICT', {
      message: `cannot ${command.command} a session in ${state}`,
      details: { state },
    });
  }
  const input: SessionInput =
    command.command === 'end' ? { type: 'end' } : { type: command.command };
  s.actor.dispatch(input);
}
