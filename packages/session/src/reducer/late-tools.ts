/**
 * Tool results of a run that is no longer current: a barge-in cancelled it while its
 * tools ran. A tool that opted out of cancellation (`continueOnInterrupt`) finished
 * anyway, the others report that they were cancelled; either way the result joins the
 * conversation right after the call that asked for it (an agent reads every call
 * answered), and `agent.tool_result` tells it. Results whose call is no longer in the
 * conversation (a turn reopened and its round dropped) are dropped.
 */
import type { ConversationMessage } from '@prx-voice/adapter';
import { registryCode } from '../event-data.js';
import type { JsonValue } from '../event-data.js';
import type { ToolResultInput } from '../model.js';
import type { StepBuilder } from '../step-builder.js';

/** The data of `agent.tool_result` for a result. */
function toolResultEvent(r: ToolResultInput) {
  const common = { call_id: r.callId, name: r.name, duration_ms: r.durationMs };
  return r.ok
    ? {
        ...common,
        ok: true as const,
        ...(r.result === undefined ? {} : { result: r.result as JsonValue }),
      }
    : {
        ...common,
        ok: false as const,
        error: {
          code: registryCode(r.error?.code ?? 'TOOL_FAILED'),
          message: r.error?.message ?? 'tool failed',
        },
      };
}

/** Late results of a cancelled run, kept for the conversation. */
export function onLateToolResults(
  b: StepBuilder,
  runId: string,
  results: readonly ToolResultInput[],
): void {
  const conversation = b.m.conversation;
  for (const r of results) {
    const call = conversation.findLastIndex(
      (m) => m.role === 'assistant' && m.toolCalls?.some((c) => c.id === r.callId) === true,
    );
    if (call < 0) continue;
    if (conversation.some((m) => m.role === 'tool' && m.toolCallId === r.callId)) continue;
    // After the call's message and the results already answering it.
    let at = call + 1;
    while (conversation[at]?.role === 'tool') at += 1;
    const message: ConversationMessage = {
      role: 'tool',
      toolCallId: r.callId,
      name: r.name,
      content: r.content,
    };
    conversation.splice(at, 0, message);
    b.emit('prx.voice.agent.tool_result', toolResultEvent(r), { turnId: null, runId });
  }
}
