/**
 * The session's life around its turns: start, timers and per-state timeouts,
 * pause and resume, handoff, and the end (closed or failed).
 */
import type { SessionTrigger } from '@prx-voice/state';
import type { ErrorCode, SessionOutcome } from '@prx-voice/types';
import type { SessionInput } from '../inputs.js';
import type { TimerName } from '../model.js';
import type { StepBuilder } from '../step-builder.js';
import {
  clearOverlap,
  onFalseInterruption,
  onInterruptConfirm,
  onSustainedSpeech,
} from './barge-in.js';
import {
  cancelSpeculative,
  commitUtterance,
  forceEndOfUtterance,
  onEndpoint,
  utteranceSpan,
} from './endpointing.js';
import { beginHandoff, currentHandoff, handoffCompleted, handoffFailed } from './handoff.js';
import { onLateToolResults } from './late-tools.js';
import { onToolFillerTimer } from './tool-filler.js';
import { abandonReopened, cancelRun } from './turn-end.js';

/** A `session.error` for a command the FSM refuses in this state. */
export function conflict(b: StepBuilder, what: string): void {
  b.emit(
    'prx.voice.session.error',
    {
      code: 'SESSION_STATE_CONFLICT',
      message: `cannot ${what} in ${b.state}`,
      retryable: false,
    },
    { severity: 'warn' },
  );
}

/** `start`: Idle → Connecting, adapters open. */
export function onStart(b: StepBuilder): void {
  if (!b.fire({ type: 'SESSION_CREATE' })) return;
  b.m.startedAt = b.ctx.now;
  const info = b.m.settings.info;
  b.emit('prx.voice.session.created', {
    channel: info.channel,
    direction: info.direction,
    language: info.language,
    providers: info.providers,
    audio: info.audio,
  });
  b.arm('max_duration', b.m.settings.maxDurationMs);
  b.cmd({ type: 'open_adapters' });
}

/** A timer fired; stale firings (re-armed or cancelled since) are ignored. */
export function onTimer(b: StepBuilder, name: TimerName, token: number): void {
  if (!b.isCurrent(name, token)) return;
  b.consume(name);
  switch (name) {
    case 'state_timeout':
      return onStateTimeout(b);
    case 'max_duration':
      return closeSession(b, 'max_duration');
    case 'endpoint':
      return onEndpoint(b);
    case 'interrupt_confirm':
      return onInterruptConfirm(b);
    case 'barge_in_sustain':
      return onSustainedSpeech(b);
    case 'false_interruption':
      return onFalseInterruption(b);
    case 'tool_filler':
      return onToolFillerTimer(b);
  }
}

function onStateTimeout(b: StepBuilder): void {
  const state = b.state;
  switch (state) {
    case 'Listening':
      return closeSession(b, 'idle_timeout', 'listening_timeout');
    case 'Paused':
      return closeSession(b, 'idle_timeout', 'paused_timeout');
    case 'Idle':
      return closeSession(b, 'idle_timeout');
    case 'Connecting':
      return fail(b, {
        trigger: 'ADAPTER_INIT_TIMEOUT',
        code: 'PROVIDER_TIMEOUT',
        message: 'adapters did not become ready in time',
      });
    case 'UserSpeaking':
      // The utterance reached its maximum length: it ends here.
      return forceEndOfUtterance(b);
    case 'AsrProcessing': {
      b.emit(
        'prx.voice.asr.error',
        {
          code: 'PROVIDER_TIMEOUT',
          message: 'no final transcript in time',
          retryable: true,
          provider: b.m.settings.info.providers.asr,
        },
        { severity: 'warn' },
      );
      // Use what was recognised so far rather than losing the caller's words; the late final is dropped.
      const s = b.m.speech;
      if (s.finalizing) s.discardNext = true;
      s.finalizing = false;
      if (s.finals.join('').trim() !== '') return commitUtterance(b);
      cancelSpeculative(b);
      b.emit('prx.voice.asr.transcript_final', { text: '', ...utteranceSpan(b) });
      b.fire({ type: 'STATE_TIMEOUT', state });
      return;
    }
    case 'Thinking':
    case 'Speaking':
    case 'Interrupted': {
      b.emit(
        'prx.voice.agent.error',
        {
          code: 'TIMEOUT',
          message: `no progress in ${state}`,
          retryable: true,
          provider: b.m.settings.info.providers.agent,
        },
        { severity: 'error' },
      );
      cancelRun(b, 'failed');
      b.fire({ type: 'STATE_TIMEOUT', state });
      return;
    }
    case 'HandoffPending': {
      const h = b.m.handoff;
      if (h === null) {
        b.fire({ type: 'STATE_TIMEOUT', state });
        return;
      }
      return handoffFailed(b, h, {
        reason: 'timeout',
        error: {
          code: 'TIMEOUT',
          message: `the handoff had no outcome within ${String(b.m.settings.stateTimeoutsMs.HandoffPending ?? 0)} ms`,
        },
        via: { type: 'STATE_TIMEOUT', state },
      });
    }
    case 'Closed':
    case 'Failed':
      return;
  }
}

/** Speech in progress does not survive a pause or a handoff: dropped, and said so by the state change. */
function dropSpeech(b: StepBuilder): void {
  clearOverlap(b);
  cancelSpeculative(b);
  b.cancel('endpoint');
  const s = b.m.speech;
  if (s.finalizing) s.discardNext = true;
  s.active = false;
  s.finalizing = false;
  s.finals = [];
  s.partial = '';
  s.commitOnFinal = false;
  abandonReopened(b);
}

/** `pause`: output stops, the caller is not listened to. */
export function onPause(b: StepBuilder): void {
  const from = b.state;
  if (!b.fire({ type: 'PAUSE' })) return conflict(b, 'pause');
  dropSpeech(b);
  b.m.pausedAt = b.ctx.now;
  b.cmd({ type: 'pause_output' });
  b.emit('prx.voice.session.paused', { from, reason: 'client' });
}

/** `resume`: back to where it was (Thinking or Speaking) or to Listening. */
export function onResume(b: StepBuilder): void {
  if (!b.fire({ type: 'RESUME' })) return conflict(b, 'resume');
  b.cmd({ type: 'resume_output' });
  b.emit('prx.voice.session.resumed', {
    to: b.state,
    paused_ms: b.ctx.now - (b.m.pausedAt ?? b.ctx.now),
  });
  b.m.pausedAt = null;
}

/**
 * A transfer to a person was requested (tool, flow, API): the answer stops, caller
 * speech in progress is dropped, and the session waits in HandoffPending for the
 * transport to carry it out.
 */
export function onHandoffRequest(
  b: StepBuilder,
  input: Extract<SessionInput, { type: 'handoff_request' }>,
): void {
  const from = b.state;
  if (!b.fire({ type: 'HANDOFF_REQUEST' })) return conflict(b, 'hand off');
  dropSpeech(b);
  // The tool call that asked for it is answered before its run is cancelled.
  if (input.result !== undefined) onLateToolResults(b, b.m.run?.id ?? '', [input.result]);
  cancelRun(b, 'cancelled');
  beginHandoff(b, from, input);
}

/** The transfer's outcome: taken, the session closes (`handoff`); else it carries on listening. */
export function onHandoffResult(
  b: StepBuilder,
  input: Extract<SessionInput, { type: 'handoff_result' }>,
): void {
  const h = currentHandoff(b, input.handoffId);
  if (h === undefined) return; // stale: timed out or superseded
  if (input.ok) {
    handoffCompleted(b, h);
    closeSession(b, 'handoff', 'handoff_completed', { type: 'HANDOFF_CONFIRMED' });
    return;
  }
  handoffFailed(b, h, {
    reason: 'error',
    error: input.error ?? { code: 'PROVIDER_ERROR', message: 'the handoff failed' },
    via: { type: 'HANDOFF_FAILED' },
  });
}

/** Ends the session: cancels work, stops timers, closes adapters. */
export function closeSession(
  b: StepBuilder,
  outcome: SessionOutcome,
  reason: string = outcome,
  via?: SessionTrigger,
): void {
  if (b.m.closing !== null) return;
  // A handoff still waiting when the session ends some other way did not happen.
  if (b.m.handoff !== null) handoffFailed(b, b.m.handoff, { reason: 'cancelled' });
  clearOverlap(b);
  b.m.pendingTurn = null;
  abandonReopened(b);
  cancelRun(b, 'cancelled');
  for (const name of Object.keys(b.m.timers) as TimerName[]) b.cancel(name);
  const trigger: SessionTrigger =
    via ??
    (outcome === 'caller_hangup'
      ? { type: 'TRANSPORT_DISCONNECT' }
      : { type: 'CLOSE', forced: false, reason: outcome });
  b.m.closing = outcome;
  b.fire(trigger, { outcome, closeReason: reason });
  b.emit(
    'prx.voice.session.closed',
    {
      outcome,
      reason,
      duration_ms: b.ctx.now - (b.m.startedAt ?? b.ctx.now),
      turn_count: b.m.turnCount,
    },
    { turnId: null, runId: null },
  );
  b.cmd({ type: 'close_adapters' });
  b.cmd({ type: 'close', outcome });
}

/** The session fails (adapters, an unrecoverable error). */
export function fail(
  b: StepBuilder,
  f: {
    readonly trigger: 'ADAPTER_INIT_FAILED' | 'ADAPTER_INIT_TIMEOUT' | 'UNRECOVERABLE_ERROR';
    readonly code: ErrorCode;
    readonly message: string;
  },
): void {
  if (b.m.handoff !== null) handoffFailed(b, b.m.handoff, { reason: 'cancelled' });
  for (const name of Object.keys(b.m.timers) as TimerName[]) b.cancel(name);
  b.m.closing = 'error';
  const from = b.state;
  b.fire({ type: f.trigger }, { outcome: 'error', closeReason: f.message });
  b.emit(
    'prx.voice.session.failed',
    {
      code: f.code,
      message: f.message,
      from,
      duration_ms: b.ctx.now - (b.m.startedAt ?? b.ctx.now),
    },
    { severity: 'critical', turnId: null, runId: null },
  );
  b.cmd({ type: 'close_adapters' });
  b.cmd({ type: 'close', outcome: 'error' });
}
