/**
 * Which per-state timeout applies in each state. The machine has no timers:
 * on entering a state the caller asks {@link timeoutFor}, arms the duration on
 * its injected `Clock`, and when it fires feeds back
 * `{ type: 'STATE_TIMEOUT', state }`; a timeout of a state since left is stale
 * and ignored, so cancelling the timer on exit is an optimisation, not a must.
 */
import type { SessionTimeouts } from '@prx-voice/core';
import type { SessionState } from '@prx-voice/types';
import type { LiveState } from './state-groups.js';

/** The `session.timeouts` key (seconds) behind each live state's timeout. */
export const STATE_TIMEOUT_KEYS = {
  Idle: 'idle_s',
  Connecting: 'connecting_s',
  Listening: 'listening_s',
  UserSpeaking: 'max_utterance_s',
  AsrProcessing: 'asr_s',
  Thinking: 'thinking_s',
  Speaking: 'speaking_s',
  Interrupted: 'interrupted_s',
  Paused: 'paused_s',
  HandoffPending: 'handoff_s',
} as const satisfies Record<LiveState, keyof SessionTimeouts>;

/** The timeout to arm on entering a state. */
export interface StateTimeout {
  /** The state it belongs to: the `state` of the `STATE_TIMEOUT` to feed back. */
  readonly state: SessionState;
  /** The config key it comes from (e.g. `listening_s`), for logs. */
  readonly key: keyof SessionTimeouts;
  /** Its duration in whole milliseconds. */
  readonly ms: number;
}

/**
 * The timeout that applies in `state`, from the validated `session.timeouts`
 * config (seconds, fractions allowed; rounded to whole milliseconds), or
 * `undefined` for Closed and Failed, which have none.
 *
 * @example
 * const t = timeoutFor('Listening', config.session.timeouts); // { state: 'Listening', key: 'listening_s', ms: 30_000 }
 * if (t) clock.setTimeout(() => feed({ type: 'STATE_TIMEOUT', state: t.state }), t.ms);
 */
export function timeoutFor(
  state: SessionState,
  timeouts: SessionTimeouts,
): StateTimeout | undefined {
  if (state === 'Closed' || state === 'Failed') return undefined;
  const key = STATE_TIMEOUT_KEYS[state];
  return { state, key, ms: Math.round(timeouts[key] * 1000) };
}
