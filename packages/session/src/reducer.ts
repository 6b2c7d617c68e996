/**
 * The session reducer: `step(model, input, ctx) → { model, commands }`, pure
 * and deterministic. It owns every decision of a session — state changes,
 * turns, runs, barge-in — and performs no I/O: the effects runner carries out
 * its commands and feeds what adapters produce back in as inputs, each tagged
 * with the run that asked for it. Inputs of a run that is no longer current
 * are dropped here, so a cancelled stream can never leak into the next turn.
 */
import type { SessionTrigger } from '@prx-voice/state';
import { isErrorCode } from '@prx-voice/types';
import type { ErrorCode, SessionOutcome } from '@prx-voice/types';
import { initialMachine } from './machine-adapter.js';
import type {
  SessionInput,
  SessionModel,
  SessionSettings,
  StepContext,
  StepResult,
} from './model.js';
import {
  onPlaybackProgress,
  onPlaybackStarted,
  onTtsAudio,
  onTtsDone,
  onTtsError,
  onTtsWord,
} from './reducer-output.js';
import {
  onAgentEvent,
  onAgentChunk,
  onAgentError,
  onOutputFlushed,
  onToolResults,
  cancelRun,
  onTextInput,
} from './reducer-run.js';
import {
  onAsrFinal,
  onAsrPartial,
  onEndpoint,
  onExplicitInterrupt,
  onFalseInterruption,
  onInterruptConfirm,
  onVadEnd,
  onVadStart,
} from './reducer-speech.js';
import { StepBuilder } from './step-builder.js';

/** A new session's model, before `start`. */
export function initialModel(opts: {
  sessionId: string;
  tenantId: string;
  settings: SessionSettings;
}): SessionModel {
  return {
    sessionId: opts.sessionId,
    tenantId: opts.tenantId,
    settings: opts.settings,
    machine: initialMachine(),
    startedAt: null,
    turnCount: 0,
    conversation:
      opts.settings.systemPrompt === undefined
        ? []
        : [{ role: 'system', content: opts.settings.systemPrompt }],
    turn: null,
    run: null,
    cancelled: [],
    interruption: null,
    speech: {
      active: false,
      finals: [],
      partial: '',
      endedAt: null,
      finalizing: false,
      heard: false,
      pauseEstimateMs: 0,
      startMs: 0,
      endMs: null,
    },
    timers: {},
    nextToken: 0,
    closing: null,
    pausedAt: null,
  };
}

/**
 * The step's private copy of a model. The conversation only ever grows by new
 * messages (none is changed once added) and settings never change, so both are
 * shared rather than deep-copied: a step costs the same in the hundredth turn
 * as in the first.
 */
function workingCopy(model: SessionModel): SessionModel {
  const { conversation, settings, ...rest } = model;
  return { ...structuredClone(rest), settings, conversation: conversation.slice() };
}

/** Applies one input. Pure: the given model is not changed. */
export function step(model: SessionModel, input: SessionInput, ctx: StepContext): StepResult {
  const b = new StepBuilder(workingCopy(model), ctx);
  const over = b.m.closing !== null || b.state === 'Closed' || b.state === 'Failed';
  // After the end only the flush report of a run the close cancelled is taken, to record its turn.
  if (over && input.type !== 'output_flushed') return { model, commands: [] };
  dispatch(b, input);
  return { model: b.m, commands: b.commands };
}

function dispatch(b: StepBuilder, input: SessionInput): void {
  switch (input.type) {
    case 'start':
      return onStart(b);
    case 'adapters_ready':
      b.fire({ type: 'ADAPTERS_READY' });
      return;
    case 'adapters_failed':
      return fail(b, 'ADAPTER_INIT_FAILED', 'PROVIDER_UNAVAILABLE', input.message);
    case 'vad_start':
      return onVadStart(b, input.atMs, input.probability);
    case 'vad_end':
      return onVadEnd(b, input.atMs, input.speechMs);
    case 'asr_partial':
      return onAsrPartial(b, input.text);
    case 'asr_final':
      return onAsrFinal(b, input.text);
    case 'asr_error':
      b.emit(
        'prx.voice.asr.error',
        {
          code: isErrorCode(input.code) ? input.code : 'PROVIDER_ERROR',
          message: input.message,
          retryable: true,
          provider: b.m.settings.info.providers.asr,
        },
        { severity: 'error' },
      );
      return;
    case 'text_input':
      return onTextInput(b, input.text);
    case 'agent':
      return onAgentEvent(b, input.runId, input.event);
    case 'agent_chunk':
      return onAgentChunk(b, input.runId, input.text);
    case 'agent_error':
      return onAgentError(b, input.runId, input.code, input.message);
    case 'tool_results':
      return onToolResults(b, input.runId, input.results);
    case 'tts_audio':
      return onTtsAudio(b, input.runId, input.segmentId, input.durationMs);
    case 'tts_word':
      return onTtsWord(b, input);
    case 'tts_done':
      return onTtsDone(b, input.runId, input.segmentId);
    case 'tts_error':
      return onTtsError(b, input.runId, input.segmentId, input.code, input.message);
    case 'playback_started':
      return onPlaybackStarted(b, input.runId, input.segmentId);
    case 'playback_progress':
      return onPlaybackProgress(b, input);
    case 'output_flushed':
      return onOutputFlushed(b, input);
    case 'timer':
      return onTimer(b, input.name, input.token);
    case 'interrupt':
      return onExplicitInterrupt(b);
    case 'handoff_request': {
      const run = b.m.run;
      if (run !== null) cancelRun(b, run.id, 'cancelled');
      if (!b.fire({ type: 'HANDOFF_REQUEST' })) conflict(b, 'hand off');
      return;
    }
    case 'handoff_result':
      if (input.ok) {
        if (b.state === 'HandoffPending')
          closeSession(b, 'handoff', 'handoff_confirmed', { type: 'HANDOFF_CONFIRMED' });
      } else if (b.fire({ type: 'HANDOFF_FAILED' })) {
        b.emit(
          'prx.voice.session.error',
          { code: 'PROVIDER_UNAVAILABLE', message: 'handoff failed', retryable: true },
          { severity: 'warn' },
        );
      }
      return;
    case 'pause': {
      const from = b.state;
      if (b.fire({ type: 'PAUSE' })) {
        b.m.pausedAt = b.ctx.now;
        b.cmd({ type: 'pause_output' });
        b.emit('prx.voice.session.paused', { from, reason: 'client' });
      } else conflict(b, 'pause');
      return;
    }
    case 'resume':
      if (b.fire({ type: 'RESUME' })) {
        b.cmd({ type: 'resume_output' });
        b.emit('prx.voice.session.resumed', {
          to: b.state,
          paused_ms: b.ctx.now - (b.m.pausedAt ?? b.ctx.now),
        });
        b.m.pausedAt = null;
      } else conflict(b, 'resume');
      return;
    case 'end':
      return closeSession(
        b,
        input.reason ?? 'completed',
        input.detail ?? (input.reason === undefined ? 'client_end' : input.reason),
      );
    case 'audio_dropped':
      b.emit(
        'prx.voice.media.audio_dropped',
        {
          direction: input.direction,
          reason: input.reason,
          frames: input.frames,
          duration_ms: Math.round(input.durationMs),
        },
        { severity: input.reason === 'paused' ? 'info' : 'warn' },
      );
      return;
    case 'provider_usage': {
      const asr = input.kind === 'asr';
      b.emit('prx.voice.governance.usage_recorded', {
        meter: asr ? 'asr_audio_ms' : 'tts_characters',
        quantity: Math.max(0, Math.round(input.quantity)),
        unit: asr ? 'ms' : 'character',
        provider: asr ? b.m.settings.info.providers.asr : b.m.settings.info.providers.tts,
        idempotency_key: input.key,
      });
      return;
    }
    case 'transport_closed':
      return closeSession(b, 'caller_hangup', 'transport_closed');
  }
}

function conflict(b: StepBuilder, what: string): void {
  b.emit(
    'prx.voice.session.error',
    { code: 'SESSION_STATE_CONFLICT', message: `cannot ${what} in ${b.state}`, retryable: false },
    { severity: 'warn' },
  );
}

function onStart(b: StepBuilder): void {
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

function onTimer(b: StepBuilder, name: string, token: number): void {
  if (!b.isCurrent(name, token)) return; // stale: re-armed or cancelled since
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
    case 'false_interruption':
      return onFalseInterruption(b);
    default:
      return;
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
    case 'Connecting':
      if (state === 'Idle') return closeSession(b, 'idle_timeout');
      return fail(
        b,
        'ADAPTER_INIT_TIMEOUT',
        'PROVIDER_TIMEOUT',
        'adapters did not become ready in time',
      );
    case 'UserSpeaking':
      // Max utterance reached: end the utterance here.
      return onEndpoint(b);
    case 'AsrProcessing': {
      const text = b.m.speech.finals.join(' ').trim();
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
      if (text !== '') {
        // Use what was recognised so far rather than losing the caller's words.
        b.m.speech.finalizing = false;
        return onAsrFinal(b, '');
      }
      b.m.speech.finalizing = false;
      b.fire({ type: 'STATE_TIMEOUT', state });
      return;
    }
    case 'Thinking':
    case 'Speaking':
    case 'Interrupted': {
      const run = b.m.run;
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
      b.m.interruption = null;
      b.cancel('interrupt_confirm');
      b.cancel('false_interruption');
      if (run !== null) cancelRun(b, run.id, 'failed');
      b.fire({ type: 'STATE_TIMEOUT', state });
      return;
    }
    case 'HandoffPending':
      b.fire({ type: 'STATE_TIMEOUT', state });
      return;
    case 'Closed':
    case 'Failed':
      return;
  }
}

/** Ends the session: cancels work, stops timers, closes adapters. */
export function closeSession(
  b: StepBuilder,
  outcome: SessionOutcome,
  reason: string = outcome,
  via?: SessionTrigger,
): void {
  if (b.m.closing !== null) return;
  const run = b.m.run;
  if (run !== null && !b.m.cancelled.includes(run.id)) cancelRun(b, run.id, 'cancelled');
  for (const name of Object.keys(b.m.timers)) b.cancel(name);
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

function fail(
  b: StepBuilder,
  trigger: 'ADAPTER_INIT_FAILED' | 'ADAPTER_INIT_TIMEOUT' | 'UNRECOVERABLE_ERROR',
  code: ErrorCode,
  message: string,
): void {
  for (const name of Object.keys(b.m.timers)) b.cancel(name);
  b.m.closing = 'error';
  const from = b.state;
  b.fire({ type: trigger }, { outcome: 'error', closeReason: message });
  b.emit(
    'prx.voice.session.failed',
    { code, message, from, duration_ms: b.ctx.now - (b.m.startedAt ?? b.ctx.now) },
    { severity: 'critical', turnId: null, runId: null },
  );
  b.cmd({ type: 'close_adapters' });
  b.cmd({ type: 'close', outcome: 'error' });
}
