/**
 * The `mock` agent of the public contract: answers `You said: {user text}`,
 * one word per token, `token_delay_ms` apart on the injected clock.
 */
import { z } from 'zod';
import type { Clock } from '@prx-voice/core';
import { clockDelay, isAborted } from '../internal/clock-delay.js';
import { optionsValidator, parseProviderOptions } from '../internal/options.js';
import { countWords, wordTokens } from '../internal/words.js';
import type {
  AgentEvent,
  AgentProvider,
  AgentRunRequest,
  ConversationMessage,
  ToolCall,
} from '../interfaces.js';

const PROVIDER = 'mock';

/** The options of the mock agent (`agent.options`). */
const mockAgentOptionsSchema = z.object({
  /** Time before each token, ms (default 20). */
  token_delay_ms: z.number().min(0).max(60_000).default(20),
});

/** Dependencies of {@link createMockAgent}. */
export interface MockAgentDeps {
  /** Paces the tokens. */
  readonly clock: Clock;
}

/** `call <tool name> <JSON object>`: what makes the mock agent call a tool. */
const CALL = /^call\s+([A-Za-z0-9_.-]{1,64})\s+(\{[\s\S]*\})\s*$/;

/**
 * The tool call the mock agent makes for a conversation: when the last message is the
 * user's `call <tool name> <JSON object>` (the public contract's way to exercise tool
 * paths without a model); undefined otherwise (also for arguments that are not a JSON
 * object). The call's id is derived from the conversation's length, so it is stable.
 */
export function mockAgentToolCall(
  conversation: readonly ConversationMessage[],
): ToolCall | undefined {
  const last = conversation.at(-1);
  if (last?.role !== 'user') return undefined;
  const match = CALL.exec(last.content.trim());
  if (match === null) return undefined;
  let args: unknown;
  try {
    args = JSON.parse(match[2] ?? '');
  } catch {
    return undefined;
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return undefined;
  return {
    id: `call_mock_${String(conversation.length)}`,
    name: match[1] ?? '',
    arguments: args,
  };
}

/**
 * The text the mock agent answers to a conversation: `You said: {text}` for the
 * last user message, or a sentence naming the tool and its result when the
 * last message is a tool result.
 */
export function mockAgentReply(conversation: readonly ConversationMessage[]): string {
  const last = conversation.at(-1);
  if (last?.role === 'tool') return `The ${last.name} tool returned: ${last.content}`;
  const user = conversation.findLast((message) => message.role === 'user');
  return `You said: ${user?.content ?? ''}`.trimEnd();
}

/**
 * Creates the `mock` agent. Every token, the first included, comes
 * `token_delay_ms` after the previous event, so a run of n words takes
 * n × `token_delay_ms`; then `usage` (prompt tokens: the words of the whole
 * conversation; completion tokens: the words emitted) and `done` with `stop`.
 * An aborted run stops yielding at once and ends without throwing.
 *
 * @example
 * const agent = createMockAgent({ clock });
 * for await (const event of agent.run({ conversation: [{ role: 'user', content: 'hi' }], tools: [], signal })) …
 * // token 'You ', token 'said: ', token 'hi', usage, done
 */
export function createMockAgent(deps: MockAgentDeps): AgentProvider {
  const { clock } = deps;
  async function* run(request: AgentRunRequest): AsyncGenerator<AgentEvent> {
    const { signal } = request;
    const options = parseProviderOptions(mockAgentOptionsSchema, request.options, PROVIDER);
    const promptTokens = request.conversation.reduce(
      (sum, message) => sum + countWords(message.content),
      0,
    );
    const call = mockAgentToolCall(request.conversation);
    if (call !== undefined) {
      await clockDelay(clock, options.token_delay_ms, signal);
      if (isAborted(signal)) return;
      yield { type: 'tool_call', call };
      yield { type: 'usage', promptTokens, completionTokens: 0 };
      yield { type: 'done', finishReason: 'tool_calls' };
      return;
    }
    const tokens = wordTokens(mockAgentReply(request.conversation));
    let emitted = 0;
    for (const text of tokens) {
      await clockDelay(clock, options.token_delay_ms, signal);
      if (isAborted(signal)) return;
      yield { type: 'token', text };
      emitted += 1;
    }
    if (isAborted(signal)) return;
    yield { type: 'usage', promptTokens, completionTokens: emitted };
    if (isAborted(signal)) return;
    yield { type: 'done', finishReason: 'stop' };
  }
  return {
    id: PROVIDER,
    validateOptions: optionsValidator(mockAgentOptionsSchema, PROVIDER),
    run,
    healthCheck: () => Promise.resolve({ healthy: true, detail: 'built in' }),
  };
}
