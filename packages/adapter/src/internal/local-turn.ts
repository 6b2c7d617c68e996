/** How the built-in agents (mock, scripted, demo) stream what they decided to answer. */
import type { Clock } from '@prx-voice/core';
import type { AgentEvent, ConversationMessage, ToolCall } from '../interfaces.js';
import { clockDelay, isAborted } from './clock-delay.js';
import { countWords, wordTokens } from './words.js';

/** A built-in agent's answer to one run: a tool call (made when it is sent), or a text. */
export type LocalTurn =
  | { readonly kind: 'tool'; readonly call: () => ToolCall }
  | { readonly kind: 'say'; readonly text: string };

/** The prompt tokens a built-in agent reports: the words of the whole conversation. */
export function conversationWords(conversation: readonly ConversationMessage[]): number {
  return conversation.reduce((sum, message) => sum + countWords(message.content), 0);
}

/**
 * Streams a built-in agent's turn on the clock: a tool call `delayMs` after the start
 * (then usage with no completion tokens, and `done` with `tool_calls`), or the text one
 * word per token, each `delayMs` after the previous event (then usage counting the words
 * sent, and `done` with `stop`). An aborted run stops yielding at once, without throwing.
 *
 * @example
 * yield* streamLocalTurn(clock, { kind: 'say', text: 'Hello there' }, { delayMs: 20, promptTokens: 3, signal });
 */
export async function* streamLocalTurn(
  clock: Clock,
  turn: LocalTurn,
  o: { readonly delayMs: number; readonly promptTokens: number; readonly signal: AbortSignal },
): AsyncGenerator<AgentEvent> {
  const { signal } = o;
  if (turn.kind === 'tool') {
    await clockDelay(clock, o.delayMs, signal);
    if (isAborted(signal)) return;
    yield { type: 'tool_call', call: turn.call() };
    if (isAborted(signal)) return;
    yield { type: 'usage', promptTokens: o.promptTokens, completionTokens: 0 };
    if (isAborted(signal)) return;
    yield { type: 'done', finishReason: 'tool_calls' };
    return;
  }
  let emitted = 0;
  for (const text of wordTokens(turn.text)) {
    await clockDelay(clock, o.delayMs, signal);
    if (isAborted(signal)) return;
    yield { type: 'token', text };
    emitted += 1;
  }
  if (isAborted(signal)) return;
  yield { type: 'usage', promptTokens: o.promptTokens, completionTokens: emitted };
  if (isAborted(signal)) return;
  yield { type: 'done', finishReason: 'stop' };
}
