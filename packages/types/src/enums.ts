/**
 * Shared enumerations. Each is a readonly tuple (for schemas and iteration),
 * a union type, and a type guard.
 */

/** The twelve states of the session state machine, by their FSM names. */
export const SESSION_STATES = [
  'Idle',
  'Connecting',
  'Listening',
  'UserSpeaking',
  'AsrProcessing',
  'Thinking',
  'Speaking',
  'Interrupted',
  'Paused',
  'HandoffPending',
  'Closed',
  'Failed',
] as const;
/** A session state. */
export type SessionState = (typeof SESSION_STATES)[number];

/** States a session never leaves. */
export const TERMINAL_SESSION_STATES = [
  'Closed',
  'Failed',
] as const satisfies readonly SessionState[];

/** How a caller reaches a session. */
export const CHANNELS = [
  'websocket',
  'web',
  'twilio',
  'telnyx',
  'plivo',
  'exotel',
  'vonage',
  'sip',
  'webrtc',
  'realtime',
  'rtvi',
  'api',
] as const;
/** A session channel. */
export type Channel = (typeof CHANNELS)[number];

/** Whether a call or a media stream goes towards the engine or away from it. */
export const DIRECTIONS = ['inbound', 'outbound'] as const;
/** A direction. */
export type Direction = (typeof DIRECTIONS)[number];

/** Event and log severities, lowest first (the `prxseverity` CloudEvents extension). */
export const SEVERITIES = ['debug', 'info', 'warn', 'error', 'critical'] as const;
/** A severity. */
export type Severity = (typeof SEVERITIES)[number];

/** How a session ended. */
export const SESSION_OUTCOMES = [
  'completed',
  'caller_hangup',
  'idle_timeout',
  'max_duration',
  'max_turns',
  'handoff',
  'error',
  'shutdown',
  'quota_exceeded',
] as const;
/** A session outcome. */
export type SessionOutcome = (typeof SESSION_OUTCOMES)[number];

/** Kinds of provider adapter. */
export const ADAPTER_KINDS = ['asr', 'agent', 'tts', 'vad'] as const;
/** An adapter kind. */
export type AdapterKind = (typeof ADAPTER_KINDS)[number];

/** Whether a value is a session state. */
export function isSessionState(value: unknown): value is SessionState {
  return (SESSION_STATES as readonly unknown[]).includes(value);
}

/** Whether a session state is terminal (Closed or Failed). */
export function isTerminalState(state: SessionState): boolean {
  return state === 'Closed' || state === 'Failed';
}

/** Whether a value is a channel. */
export function isChannel(value: unknown): value is Channel {
  return (CHANNELS as readonly unknown[]).includes(value);
}

/** Whether a value is a direction. */
export function isDirection(value: unknown): value is Direction {
  return (DIRECTIONS as readonly unknown[]).includes(value);
}

/** Whether a value is a severity. */
export function isSeverity(value: unknown): value is Severity {
  return (SEVERITIES as readonly unknown[]).includes(value);
}

/** Orders severities: negative when `a` is less severe than `b`, 0 when equal. */
export function compareSeverity(a: Severity, b: Severity): number {
  return SEVERITIES.indexOf(a) - SEVERITIES.indexOf(b);
}
