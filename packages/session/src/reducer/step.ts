/**
 * The session reducer: `step(model, input, ctx) → { model, commands }`, pure
 * and deterministic. It owns every decision of a session — state changes,
 * turns, runs, turn-taking — and performs no I/O: the effects runner carries
 * out its commands and feeds what adapters produce back in as inputs, each
 * tagged with the run that asked for it. Inputs of a run that is no longer
 * current are dropped, so a cancelled stream can never leak into the next turn.
 *
 * The concepts live in their own files: `speech.ts` (VAD and ASR),
 * `endpointing.ts` (end of turn, speculative runs), `barge-in.ts` (speech over
 * the bot), `run.ts` (the agent and tools), `output.ts` (synthesis and
 * playback), `turn-end.ts` and `flush.ts` (how turns end), `lifecycle.ts`,
 * `settings-update.ts` (mid-session changes, applied at turn boundaries).
 */
import { isErrorCode } from '@prx-voice/types';
import {
  initialConversation,
  initialFlow,
  nextFlowInput,
  onFlowStarted,
} from '../flows/flow-reducer.js';
import { initialMachine } from '../machine-adapter.js';
import type {
  SessionInput,
  SessionModel,
  SessionSettings,
  StepContext,
  StepResult,
} from '../model.js';
import { StepBuilder } from '../step-builder.js';
import { clearOverlap, decideBargeIn } from './barge-in.js';
import { onEndOfTurnPrediction, onSpeechEnded } from './endpointing.js';
import { onOutputFlushed } from './flush.js';
import {
  closeSession,
  conflict,
  fail,
  onHandoffRequest,
  onHandoffResult,
  onPause,
  onResume,
  onStart,
  onTimer,
} from './lifecycle.js';
import {
  onPlaybackProgress,
  onPlaybackStarted,
  onTtsAudio,
  onTtsDone,
  onTtsError,
  onTtsWord,
} from './output.js';
import { onAgentChunk, onAgentError, onAgentEvent, onToolResults, requestTurn } from './run.js';
import { applyPendingSettings, onSettingsUpdate } from './settings-update.js';
import { onAsrFinal, onAsrPartial, onVadEnd, onVadStart } from './speech.js';
import { workingCopy } from './working-copy.js';

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
    pendingSettings: null,
    machine: initialMachine(),
    startedAt: null,
    turnCount: 0,
    conversation: initialConversation(opts.settings),
    turn: null,
    run: null,
    cancelling: [],
    pendingTurn: null,
    reopened: null,
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
      silenceAt: null,
      finalAt: null,
      commitOnFinal: false,
      endOfTurn: null,
    },
    timers: {},
    nextToken: 0,
    closing: null,
    pausedAt: null,
    handoff: null,
    flow: initialFlow(opts.settings),
  };
}

/** Applies one input. Pure: the given model is not changed. */
export function step(model: SessionModel, input: SessionInput, ctx: StepContext): StepResult {
  const b = new StepBuilder(workingCopy(model), ctx);
  const over = b.m.closing !== null || b.state === 'Closed' || b.state === 'Failed';
  // After the end only the flush report of a run the close cancelled is taken, to record its turn.
  if (over && input.type !== 'output_flushed') return { model, commands: [] };
  dispatch(b, input);
  afterStep(b);
  return { model: b.m, commands: b.commands };
}

/**
 * What must hold after every step, whatever the input: speech over a run that
 * has ended is the caller's own utterance now (never lost), and the turn limit closes.
 */
function afterStep(b: StepBuilder): void {
  if (b.m.closing !== null) return;
  const i = b.m.interruption;
  if (i !== null && i.decided === null && b.m.run?.id !== i.runId) {
    clearOverlap(b);
    adoptSpeech(b);
  }
  if (b.m.turnCount >= b.m.settings.maxTurns) closeSession(b, 'max_turns');
  // A flow's actions that waited for the floor (a few at most: each takes it or ends the session).
  for (
    let i = 0, next = nextFlowInput(b);
    next !== undefined && i < 20;
    i++, next = nextFlowInput(b)
  )
    dispatch(b, next);
  // A settings change waits for the turn boundary this step may have reached (never a closing session's).
  applyPendingSettings(b);
}

/** Caller speech left without a place (its run ended under it): an utterance like any other. */
function adoptSpeech(b: StepBuilder): void {
  const s = b.m.speech;
  if (b.state !== 'Listening') return;
  if (s.active) {
    b.fire({ type: 'VAD_STARTED' });
    return;
  }
  if (s.finalizing || s.finals.length > 0) {
    b.fire({ type: 'VAD_STARTED' });
    onSpeechEnded(b);
  }
}

function dispatch(b: StepBuilder, input: SessionInput): void {
  switch (input.type) {
    case 'start':
      onStart(b);
      return onFlowStarted(b);
    case 'adapters_ready': {
      const ready = b.fire({ type: 'ADAPTERS_READY' });
      const first = b.m.settings.firstMessage;
      // The first message, once, as the session starts listening.
      if (ready && first !== undefined && b.m.turnCount === 0 && b.m.turn === null) onSay(b, first);
      return;
    }
    case 'adapters_failed':
      return fail(b, {
        trigger: 'ADAPTER_INIT_FAILED',
        code: 'PROVIDER_UNAVAILABLE',
        message: input.message,
      });
    case 'vad_start':
      return onVadStart(b, input);
    case 'vad_end':
      return onVadEnd(b, input);
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
    case 'say':
      return onSay(b, input.text);
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
    case 'handoff_request':
      return onHandoffRequest(b, input);
    case 'handoff_result':
      return onHandoffResult(b, input);
    case 'settings_update':
      return onSettingsUpdate(b, input.update);
    case 'pause':
      return onPause(b);
    case 'resume':
      return onResume(b);
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
      const meter = asr ? 'asr_audio_ms' : input.kind === 'tts' ? 'tts_characters' : 'tts_audio_ms';
      b.emit('prx.voice.governance.usage_recorded', {
        meter,
        quantity: Math.max(0, Math.round(input.quantity)),
        unit: meter === 'tts_characters' ? 'character' : 'ms',
        provider: asr ? b.m.settings.info.providers.asr : b.m.settings.info.providers.tts,
        idempotency_key: input.key,
      });
      return;
    }
    case 'transport_closed':
      return closeSession(b, 'caller_hangup', 'transport_closed');
    case 'end_of_turn':
      return onEndOfTurnPrediction(b, input.text, input.probability);
  }
}

/** Whether the bot holds the floor with a committed run (thinking or speaking). */
function botBusy(b: StepBuilder): boolean {
  const run = b.m.run;
  return run !== null && !run.speculative && (b.state === 'Speaking' || b.state === 'Thinking');
}

/** The client interrupts (WebSocket `interrupt`, REST): the barge-in path, at once. */
function onExplicitInterrupt(b: StepBuilder): void {
  if (b.m.interruption?.decided != null) return; // already interrupting
  if (!botBusy(b)) return conflict(b, 'interrupt: nothing to interrupt');
  decideBargeIn(b, 'client');
}

/** A typed turn (WebSocket `input.text`, REST `POST /turns`); over the bot it is a barge-in first. */
/** The bot says a line as it is (a first message), when the floor is free; else it is dropped. */
function onSay(b: StepBuilder, text: string): void {
  const script = text.trim();
  if (script === '') return;
  if (botBusy(b) || b.m.interruption?.decided != null || b.m.pendingTurn !== null) {
    b.emit(
      'prx.voice.session.error',
      {
        code: 'SESSION_STATE_CONFLICT',
        message: 'the bot is busy: the line is not said',
        retryable: true,
      },
      { severity: 'warn' },
    );
    return;
  }
  requestTurn(b, {
    input: 'text',
    text: '',
    script,
    speechStartAt: null,
    speechEndAt: null,
    finalAt: b.ctx.now,
  });
}

function onTextInput(b: StepBuilder, text: string): void {
  const trimmed = text.trim();
  if (trimmed === '') {
    b.emit(
      'prx.voice.session.error',
      { code: 'VALIDATION_FAILED', message: 'text input is empty', retryable: false },
      { severity: 'warn' },
    );
    return;
  }
  const turn = {
    input: 'text' as const,
    text: trimmed,
    speechStartAt: null,
    speechEndAt: null,
    finalAt: b.ctx.now,
  };
  if (botBusy(b) || b.m.interruption?.decided != null) {
    decideBargeIn(b, 'client');
    b.m.pendingTurn = turn;
    return;
  }
  requestTurn(b, turn);
}
