import type { SessionConfig } from '@prx-voice/core';
import type { FlowDefinition } from './flows/flow-schema.js';
import type { SessionInfo, SessionSettings } from './model.js';
import { backchannelsFor } from './turn-taking/backchannel.js';

/** Defaults for what the configuration does not set. */
export const SESSION_DEFAULTS = {
  maxToolRounds: 5,
} as const;

/**
 * The reducer's settings from the `session` configuration section, with the
 * tenant's maximum session duration when it is shorter.
 */
export function settingsFromConfig(
  session: SessionConfig,
  info: SessionInfo,
  opts: {
    readonly maxSessionDurationS?: number;
    readonly systemPrompt?: string;
    readonly firstMessage?: string;
    readonly flow?: FlowDefinition;
    /** Lines said while tools run, by tool name (`speak_while_waiting`). */
    readonly toolFillers?: Readonly<Record<string, string>>;
    /** How long a tool round may take before its filler is said. */
    readonly toolFillerGraceMs?: number;
  } = {},
): SessionSettings {
  const t = session.timeouts;
  const s = (seconds: number) => seconds * 1000;
  const maxDurationS = Math.min(
    session.max_duration_s,
    opts.maxSessionDurationS ?? Number.POSITIVE_INFINITY,
  );
  const i = session.interruption;
  const e = session.endpointing;
  return {
    info,
    stateTimeoutsMs: {
      Idle: s(t.idle_s),
      Connecting: s(t.connecting_s),
      Listening: s(t.listening_s),
      UserSpeaking: s(t.max_utterance_s),
      AsrProcessing: s(t.asr_s),
      Thinking: s(t.thinking_s),
      Speaking: s(t.speaking_s),
      Interrupted: s(t.interrupted_s),
      Paused: s(t.paused_s),
      HandoffPending: s(t.handoff_s),
    },
    maxDurationMs: s(maxDurationS),
    maxTurns: session.max_turns,
    interruptEnabled: session.interrupt_enabled,
    interruption: {
      minSpeechMs: i.min_speech_ms,
      minWords: i.min_words,
      falseInterruptionTimeoutMs: i.false_interruption_timeout_ms,
      resumeFalseInterruptions: i.resume_false_interruptions,
      sustainedSpeechMs: i.sustained_speech_ms,
      duckGain: i.duck_gain,
      backchannels: backchannelsFor(info.language, i.backchannels),
    },
    endpointing: {
      minDelayMs: e.min_delay_ms,
      maxDelayMs: e.max_delay_ms,
      speculative: e.speculative,
    },
    maxToolRounds: SESSION_DEFAULTS.maxToolRounds,
    dtmf: {
      terminator: session.dtmf.terminator === 'none' ? null : session.dtmf.terminator,
      interDigitTimeoutMs: session.dtmf.inter_digit_timeout_ms,
      maxDigits: session.dtmf.max_digits,
    },
    handoffFailureMessage: session.handoff.failure_message,
    ...(opts.systemPrompt === undefined ? {} : { systemPrompt: opts.systemPrompt }),
    ...(opts.firstMessage === undefined ? {} : { firstMessage: opts.firstMessage }),
    ...(opts.flow === undefined ? {} : { flow: opts.flow }),
    ...(opts.toolFillers === undefined || Object.keys(opts.toolFillers).length === 0
      ? {}
      : { toolFillers: opts.toolFillers }),
    ...(opts.toolFillerGraceMs === undefined ? {} : { toolFillerGraceMs: opts.toolFillerGraceMs }),
  };
}
