/**
 * The bot's side of a turn: the agent run, tools, synthesis, playback, and
 * the end of the turn (completed, interrupted or failed).
 */
import type { AgentEvent } from '@prx-voice/adapter';
import { argumentsRecord, registryCode } from './event-data.js';
import type { JsonValue } from './event-data.js';
import { heardText } from './heard.js';
import type { RunModel, SessionInput, ToolResultInput, TurnLatencyModel } from './model.js';
import { closeSession } from './reducer.js';
import type { StepBuilder } from './step-builder.js';

type TurnStatus = 'completed' | 'interrupted' | 'failed' | 'cancelled';

/** Starts a turn with the caller's text and the agent run that answers it. */
export function startTurn(
  b: StepBuilder,
  t: {
    input: 'voice' | 'text';
    text: string;
    speechStartAt: number | null;
    speechEndAt: number | null;
  },
): void {
  const turn = {
    id: b.ctx.newId('turn'),
    seq: b.m.turnCount + 1,
    input: t.input,
    userText: t.text,
    speechStartAt: t.speechStartAt,
    speechEndAt: t.speechEndAt,
    finalAt: b.ctx.now,
  };
  b.m.turn = turn;
  b.cmd({
    type: 'persist_turn_started',
    turnId: turn.id,
    seq: turn.seq,
    input: t.input,
    userText: t.text,
  });
  b.m.conversation.push({ role: 'user', content: t.text });
  const run: RunModel = {
    id: b.ctx.newId('run'),
    turnId: turn.id,
    roundText: '',
    generated: '',
    toolRound: 0,
    pendingToolCalls: [],
    awaitingTools: false,
    agentDone: false,
    segments: [],
    firstTokenAt: null,
    firstAudioAt: null,
    firstAudioSentAt: null,
    usage: { input_tokens: 0, output_tokens: 0 },
    finishReason: null,
  };
  b.m.run = run;
  b.emit('prx.voice.agent.thinking_started', {
    provider: b.m.settings.info.providers.agent,
    round: 0,
  });
  b.cmd({ type: 'start_agent', runId: run.id, conversation: structuredClone(b.m.conversation) });
}

/** A typed turn (WebSocket `input.text`, REST `POST /turns`). */
export function onTextInput(b: StepBuilder, text: string): void {
  const trimmed = text.trim();
  if (trimmed === '') {
    b.emit(
      'prx.voice.session.error',
      { code: 'VALIDATION_FAILED', message: 'text input is empty', retryable: false },
      { severity: 'warn' },
    );
    return;
  }
  const run = b.m.run;
  if (run !== null && (b.state === 'Thinking' || b.state === 'Speaking')) {
    // Typing over the bot is a barge-in.
    b.fire({ type: 'INTERRUPT_DETECTED', source: 'client' });
    b.emit('prx.voice.interrupt.issued', { reason: 'client' });
    cancelRun(b, run.id, 'interrupted');
    b.fire({ type: 'INTERRUPT_RESOLVED', outcome: 'barge_in', userSpeaking: false });
  }
  if (!b.fire({ type: 'TEXT_INPUT' })) {
    b.emit(
      'prx.voice.session.error',
      {
        code: 'SESSION_STATE_CONFLICT',
        message: `text input is not accepted in ${b.state}`,
        retryable: true,
      },
      { severity: 'warn' },
    );
    return;
  }
  startTurn(b, { input: 'text', text: trimmed, speechStartAt: null, speechEndAt: null });
}

/** The current run if `runId` is it and it is not being cancelled. */
export function live(b: StepBuilder, runId: string): RunModel | undefined {
  const run = b.m.run;
  return run !== null && run.id === runId && !b.m.cancelled.includes(runId) ? run : undefined;
}

/** An agent event of a run. */
export function onAgentEvent(b: StepBuilder, runId: string, event: AgentEvent): void {
  const run = live(b, runId);
  if (run === undefined) return; // stale: a cancelled or finished run
  switch (event.type) {
    case 'rewind': {
      // Failover withdrew text nobody heard (still in the chunker): the run goes on without it.
      const dropped = Math.max(0, run.roundText.length - event.keep);
      run.roundText = run.roundText.slice(0, run.roundText.length - dropped);
      run.generated = run.generated.slice(0, run.generated.length - dropped);
      return;
    }
    case 'token':
      run.firstTokenAt ??= b.ctx.now;
      run.roundText += event.text;
      run.generated += event.text;
      b.emit('prx.voice.agent.token_stream', { text: event.text });
      return;
    case 'tool_call':
      run.pendingToolCalls.push(event.call);
      b.emit('prx.voice.agent.tool_call', {
        call_id: event.call.id,
        name: event.call.name,
        arguments: argumentsRecord(event.call.arguments),
      });
      return;
    case 'usage':
      run.usage = {
        input_tokens: run.usage.input_tokens + event.promptTokens,
        output_tokens: run.usage.output_tokens + event.completionTokens,
      };
      for (const [meter, quantity] of [
        ['agent_prompt_tokens', event.promptTokens],
        ['agent_completion_tokens', event.completionTokens],
      ] as const) {
        b.emit('prx.voice.governance.usage_recorded', {
          meter,
          quantity,
          unit: 'token',
          provider: b.m.settings.info.providers.agent,
          idempotency_key: `${run.id}:${run.toolRound}:${meter}`,
        });
      }
      return;
    case 'done':
      if (event.finishReason === 'length') run.finishReason = 'length';
      return onAgentDone(b, run);
  }
}

function onAgentDone(b: StepBuilder, run: RunModel): void {
  if (run.pendingToolCalls.length > 0) {
    if (run.toolRound >= b.m.settings.maxToolRounds) {
      b.emit(
        'prx.voice.agent.error',
        {
          code: 'TOOL_FAILED',
          message: `more than ${b.m.settings.maxToolRounds} tool rounds`,
          retryable: false,
          provider: b.m.settings.info.providers.agent,
        },
        { severity: 'error' },
      );
      run.finishReason = 'max_tool_rounds';
      run.pendingToolCalls = [];
    } else {
      b.m.conversation.push({
        role: 'assistant',
        content: run.roundText,
        toolCalls: structuredClone(run.pendingToolCalls),
      });
      run.awaitingTools = true;
      b.cmd({ type: 'run_tools', runId: run.id, calls: structuredClone(run.pendingToolCalls) });
      return;
    }
  }
  run.agentDone = true;
  b.emit('prx.voice.agent.response_complete', {
    text: run.generated,
    finish_reason: run.finishReason ?? 'stop',
    tool_rounds: run.toolRound,
    usage: run.usage,
  });
  maybeFinish(b, run);
}

/** A sentence chunk of the answer, ready for synthesis. */
export function onAgentChunk(b: StepBuilder, runId: string, text: string): void {
  const run = live(b, runId);
  if (run === undefined || text.trim() === '') return;
  const segment = {
    id: b.ctx.newId('segment'),
    text,
    durationMs: 0,
    synthesized: false,
    playedMs: 0,
    played: false,
    words: [],
    round: run.toolRound,
  };
  run.segments.push(segment);
  b.emit('prx.voice.tts.segment_queued', { segment_id: segment.id, text });
  b.cmd({ type: 'synthesize', runId, segmentId: segment.id, text });
}

/** The agent failed: report, drop the run, listen again. */
export function onAgentError(b: StepBuilder, runId: string, code: string, message: string): void {
  const run = live(b, runId);
  if (run === undefined) return;
  b.emit(
    'prx.voice.agent.error',
    {
      code: registryCode(code),
      message,
      retryable: true,
      provider: b.m.settings.info.providers.agent,
    },
    { severity: 'error' },
  );
  cancelRun(b, run.id, 'failed');
  b.fire({ type: 'AGENT_ERROR' });
}

/** Tool results: continue the same run with them. */
export function onToolResults(
  b: StepBuilder,
  runId: string,
  results: readonly ToolResultInput[],
): void {
  const run = live(b, runId);
  if (run === undefined || !run.awaitingTools) return;
  for (const r of results) {
    b.emit(
      'prx.voice.agent.tool_result',
      r.ok
        ? {
            call_id: r.callId,
            name: r.name,
            duration_ms: r.durationMs,
            ok: true,
            ...(r.result === undefined ? {} : { result: r.result as JsonValue }),
          }
        : {
            call_id: r.callId,
            name: r.name,
            duration_ms: r.durationMs,
            ok: false,
            error: {
              code: registryCode(r.error?.code ?? 'TOOL_FAILED'),
              message: r.error?.message ?? 'tool failed',
            },
          },
    );
    b.m.conversation.push({ role: 'tool', toolCallId: r.callId, name: r.name, content: r.content });
  }
  run.awaitingTools = false;
  run.pendingToolCalls = [];
  run.toolRound += 1;
  run.roundText = '';
  b.emit('prx.voice.agent.thinking_started', {
    provider: b.m.settings.info.providers.agent,
    round: run.toolRound,
  });
  b.cmd({ type: 'start_agent', runId: run.id, conversation: structuredClone(b.m.conversation) });
}

/** Completes the turn once the agent is done and every segment is synthesized and heard. */
export function maybeFinish(b: StepBuilder, run: RunModel): void {
  if (!run.agentDone || run.awaitingTools) return;
  if (!run.segments.every((s) => s.synthesized && s.played)) return;
  const spoken = run.segments
    .filter((s) => s.round === run.toolRound)
    .map((s) => s.text)
    .join(' ');
  b.m.conversation.push({
    role: 'assistant',
    content: run.roundText.trim() === '' ? spoken : run.roundText.trim(),
  });
  if (run.segments.length === 0) b.fire({ type: 'AGENT_RESPONSE_EMPTY' });
  else b.fire({ type: 'PLAYBACK_COMPLETED' });
  completeTurn(b, run, 'completed', run.generated.trim());
}

/**
 * Cancels a run: the agent, tools (unless they opted out) and synthesis stop,
 * queued audio is flushed; the turn completes when the flush reports what was heard.
 */
export function cancelRun(b: StepBuilder, runId: string, status: TurnStatus): void {
  const run = b.m.run;
  if (run === null || run.id !== runId || b.m.cancelled.includes(runId)) return;
  b.m.cancelled.push(runId);
  b.m.cancelStatus = status;
  b.cmd({ type: 'cancel_run', runId, keepTools: status === 'interrupted' });
  if (run.segments.some((s) => !s.synthesized))
    b.emit('prx.voice.tts.stopped', {
      reason:
        status === 'failed'
          ? 'error'
          : status === 'interrupted'
            ? 'interrupted'
            : b.m.closing !== null
              ? 'session_ended'
              : 'cancelled',
    });
  b.cmd({ type: 'flush_output', runId });
}

/** The output was flushed: record what the caller heard and close the turn. */
export function onOutputFlushed(
  b: StepBuilder,
  input: Extract<SessionInput, { type: 'output_flushed' }>,
): void {
  const idx = b.m.cancelled.indexOf(input.runId);
  if (idx < 0) return;
  b.m.cancelled.splice(idx, 1);
  const run = b.m.run;
  if (run === null || run.id !== input.runId) return;
  for (const h of input.heard) {
    const seg = run.segments.find((s) => s.id === h.segmentId);
    if (seg !== undefined) seg.playedMs = Math.max(seg.playedMs, h.playedMs);
  }
  const current = [...run.segments].reverse().find((s) => s.playedMs > 0 && !s.played);
  b.emit('prx.voice.playback.flushed', {
    ...(current === undefined ? {} : { segment_id: current.id }),
    played_ms: current?.playedMs ?? 0,
    discarded_ms: input.discardedMs,
  });
  const heard = heardText(run.segments.filter((s) => s.round === run.toolRound));
  if (heard !== '') b.m.conversation.push({ role: 'assistant', content: heard });
  if (b.m.cancelStatus === 'interrupted') {
    b.emit('prx.voice.interrupt.resolved', {
      heard_text: heard,
      played_ms: current?.playedMs ?? 0,
    });
  }
  completeTurn(b, run, b.m.cancelStatus ?? 'cancelled', heardText(run.segments));
}

function completeTurn(
  b: StepBuilder,
  run: RunModel,
  status: TurnStatus,
  assistantText: string,
): void {
  const turn = b.m.turn;
  b.m.run = null;
  b.m.cancelStatus = undefined;
  if (turn === null || turn.id !== run.turnId) return;
  const latency = latencyOf(turn.speechEndAt, turn.finalAt, run);
  b.cmd({
    type: 'persist_turn_completed',
    turnId: turn.id,
    status,
    userText: turn.userText,
    assistantText,
    assistantTextGenerated: run.generated.trim(),
    interrupted: status === 'interrupted',
    latency,
  });
  b.emit(
    'prx.voice.turn.completed',
    {
      turn_id: turn.id,
      user_text: turn.userText,
      assistant_text: assistantText,
      interrupted: status === 'interrupted',
      latency,
    },
    { turnId: turn.id, runId: run.id },
  );
  b.m.turn = null;
  b.m.turnCount += 1;
  if (b.m.turnCount >= b.m.settings.maxTurns) closeSession(b, 'max_turns');
}

function latencyOf(
  speechEndAt: number | null,
  finalAt: number | null,
  run: RunModel,
): TurnLatencyModel {
  const diff = (a: number | null, z: number | null) =>
    a === null || z === null ? null : Math.max(0, z - a);
  return {
    asr_ms: diff(speechEndAt, finalAt),
    agent_first_token_ms: diff(finalAt, run.firstTokenAt),
    tts_first_audio_ms: diff(run.firstTokenAt, run.firstAudioAt),
    first_audio_sent_ms: diff(run.firstAudioAt, run.firstAudioSentAt),
    voice_to_voice_ms: diff(speechEndAt, run.firstAudioSentAt),
  };
}
