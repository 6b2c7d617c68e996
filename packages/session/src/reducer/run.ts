/**
 * The bot's side of a turn: starting it, the agent run, tools and sentence
 * chunks. A run may start speculatively before the end of turn is decided
 * (see `endpointing.ts`): it generates and synthesizes, but its audio is
 * held and its tools wait until the turn is committed.
 */
import type { AgentEvent, ConversationMessage } from '@prx-voice/adapter';
import { argumentsRecord, registryCode } from '../event-data.js';
import {
  flowRoundResults,
  flowTools,
  onFlowResults,
  routeFlowCalls,
} from '../flows/flow-reducer.js';
import type { JsonValue } from '../event-data.js';
import type { PendingTurn, RunId, RunModel, ToolResultInput, TurnId, TurnModel } from '../model.js';
import type { StepBuilder } from '../step-builder.js';
import { onLateToolResults } from './late-tools.js';
import { queueSegment } from './segments.js';
import { armToolFiller } from './tool-filler.js';
import { cancelRun, live, maybeFinish } from './turn-end.js';

/** A new run answering `userText` (not started yet). */
export function newRun(
  b: StepBuilder,
  t: { turnId: TurnId; userText: string; speculative: boolean },
): RunModel {
  return {
    id: b.ctx.newId('run') as RunId,
    turnId: t.turnId,
    userText: t.userText,
    speculative: t.speculative,
    toolsHeld: false,
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
}

/** Asks the agent to run over `conversation` (or, with `script`, says that instead). */
export function startAgent(
  b: StepBuilder,
  run: RunModel,
  conversation: readonly ConversationMessage[],
  script?: string,
): void {
  b.emit(
    'prx.voice.agent.thinking_started',
    { provider: b.m.settings.info.providers.agent, round: run.toolRound },
    { runId: run.id },
  );
  const tools = script === undefined ? flowTools(b) : undefined;
  b.cmd({
    type: 'start_agent',
    runId: run.id,
    conversation: structuredClone(conversation),
    ...(script === undefined ? {} : { script }),
    ...(tools === undefined ? {} : { tools }),
  });
}

/** Records a committed turn (persisted, in the conversation); a reopened turn takes the new words. */
export function commitTurn(b: StepBuilder, id: TurnId, t: PendingTurn): TurnModel {
  const reopened = b.m.reopened?.turn ?? null;
  b.m.reopened = null;
  if (reopened !== null) {
    const turn: TurnModel = {
      ...reopened,
      userText: t.text,
      speechEndAt: t.speechEndAt,
      finalAt: t.finalAt,
    };
    b.m.turn = turn;
    b.m.conversation.push({ role: 'user', content: t.text });
    return turn;
  }
  const turn: TurnModel = {
    id,
    seq: b.m.turnCount + 1,
    input: t.input,
    userText: t.text,
    speechStartAt: t.speechStartAt,
    speechEndAt: t.speechEndAt,
    finalAt: t.finalAt,
  };
  b.m.turn = turn;
  b.cmd({
    type: 'persist_turn_started',
    turnId: id,
    seq: turn.seq,
    input: t.input,
    userText: t.text,
  });
  // A scripted turn (a first message) has no user words for the agent to read.
  if (t.script === undefined) b.m.conversation.push({ role: 'user', content: t.text });
  return turn;
}

/**
 * Starts a turn: at once, or — while a cancelled run's turn is still open —
 * once its flush is reported, so what the caller heard of it comes first.
 */
export function requestTurn(b: StepBuilder, t: PendingTurn): void {
  if (b.m.cancelling.length > 0) {
    b.m.pendingTurn = t;
    return;
  }
  b.m.pendingTurn = null;
  const moved =
    t.input === 'text'
      ? b.fire({ type: 'TEXT_INPUT' })
      : b.fire({ type: 'TRANSCRIPT_FINAL', empty: false });
  if (!moved) {
    b.emit(
      'prx.voice.session.error',
      {
        code: 'SESSION_STATE_CONFLICT',
        message: `a ${t.input} turn is not accepted in ${b.state}`,
        retryable: true,
      },
      { severity: 'warn' },
    );
    return;
  }
  const turn = commitTurn(b, b.m.reopened?.turn.id ?? (b.ctx.newId('turn') as TurnId), t);
  const run = newRun(b, { turnId: turn.id, userText: t.text, speculative: false });
  b.m.run = run;
  startAgent(b, run, b.m.conversation, t.script);
}

/** Starts the turn that waited for cancelled runs, once none is left. */
export function startPendingTurn(b: StepBuilder): void {
  const pending = b.m.pendingTurn;
  if (pending === null || b.m.cancelling.length > 0 || b.m.closing !== null) return;
  requestTurn(b, pending);
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
      // Each call the agent makes is metered, by tool name.
      b.emit('prx.voice.governance.usage_recorded', {
        meter: 'tool_calls',
        quantity: 1,
        unit: 'call',
        provider: event.call.name,
        idempotency_key: `${run.id}:${String(run.toolRound)}:tool:${event.call.id}`,
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
          idempotency_key: `${run.id}:${String(run.toolRound)}:${meter}`,
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
          message: `more than ${String(b.m.settings.maxToolRounds)} tool rounds`,
          retryable: false,
          provider: b.m.settings.info.providers.agent,
        },
        { severity: 'error' },
      );
      run.finishReason = 'max_tool_rounds';
      run.pendingToolCalls = [];
    } else {
      run.awaitingTools = true;
      // A tool may act in the world: never before the caller's turn is really over.
      if (run.speculative) run.toolsHeld = true;
      else startToolRound(b, run);
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

/** Runs the tool calls of the round just generated. */
export function startToolRound(b: StepBuilder, run: RunModel): void {
  run.toolsHeld = false;
  b.m.conversation.push({
    role: 'assistant',
    content: run.roundText,
    toolCalls: structuredClone(run.pendingToolCalls),
  });
  // A flow answers calls of its own functions itself; when no call is left for a tool, now.
  const calls = routeFlowCalls(b, run);
  if (calls.length === 0 && b.m.flow !== null) return onToolResults(b, run.id, []);
  b.cmd({ type: 'run_tools', runId: run.id, calls: structuredClone(calls) });
  armToolFiller(b, run);
}

/** A sentence chunk of the answer, ready for synthesis. */
export function onAgentChunk(b: StepBuilder, runId: string, text: string): void {
  const run = live(b, runId);
  if (run === undefined || text.trim() === '') return;
  queueSegment(b, run, text);
}

/** The agent failed: report and drop the run; a committed turn fails and the session listens again. */
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
  cancelRun(b, 'failed');
  if (!run.speculative) b.fire({ type: 'AGENT_ERROR' });
}

/** Tool results: continue the same run with them. */
export function onToolResults(
  b: StepBuilder,
  runId: string,
  results: readonly ToolResultInput[],
): void {
  const run = live(b, runId);
  if (run === undefined) return onLateToolResults(b, runId, results);
  if (!run.awaitingTools || run.toolsHeld) return;
  b.cancel('tool_filler');
  const round = flowRoundResults(b, run, results);
  for (const r of round) {
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
  // A flow's transition may enter a node now: its lines come first, then (unless it acts) the agent.
  const next = onFlowResults(b, round);
  for (const line of next.say) {
    const gap = (s: string) => (s === '' || s.endsWith(' ') ? '' : ' ');
    run.roundText += `${gap(run.roundText)}${line} `;
    run.generated += `${gap(run.generated)}${line} `;
    onAgentChunk(b, run.id, line);
  }
  if (!next.askAgent) return onAgentDone(b, run);
  startAgent(b, run, b.m.conversation);
}
