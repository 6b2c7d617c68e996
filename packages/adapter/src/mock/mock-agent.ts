/**
 * The `mock` agent of the public contract: answers `You said: {user text}`,
 * one word per token, `token_delay_ms` apart on the injected clock.
 */
import { z } from 'zod';
import type { Clock } from '@prx-voice/core';
import { optionsValidator, parseProviderOptions } from '../internal/options.js';
import { conversationWords, streamLocalTurn } from '../internal/local-turn.js';
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
/** Where a chain of calls is split: `call A {…} then call B {…}`. */
const THEN = /\s+then\s+(?=call\s)/;
/** A whole string argument `{{field}}`: the previous result's top-level field. */
const PLACEHOLDER = /^\{\{\s*([A-Za-z0-9_.-]{1,64})\s*\}\}$/;

/** One step of a `call` chain: the tool and its arguments as written. */
interface CallStep {
  readonly name: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** The steps of a user text `call A {…} [then call B {…}]…`; undefined when it is not one. */
function callSteps(text: string): CallStep[] | undefined {
  const steps: CallStep[] = [];
  for (const part of text.trim().split(THEN)) {
    const match = CALL.exec(part);
    if (match === null) return undefined;
    let args: unknown;
    try {
      args = JSON.parse(match[2] ?? '');
    } catch {
      return undefined;
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args)) return undefined;
    steps.push({ name: match[1] ?? '', arguments: args as Record<string, unknown> });
  }
  return steps;
}

/** The chain the conversation's last user message asks for, and the results it has had since. */
function chainOf(conversation: readonly ConversationMessage[]):
  | {
      readonly steps: readonly CallStep[];
      readonly results: readonly Extract<ConversationMessage, { role: 'tool' }>[];
    }
  | undefined {
  const at = conversation.findLastIndex((m) => m.role === 'user');
  const user = conversation[at];
  if (user?.role !== 'user') return undefined;
  const steps = callSteps(user.content);
  if (steps === undefined) return undefined;
  const results = conversation
    .slice(at + 1)
    .filter((m): m is Extract<ConversationMessage, { role: 'tool' }> => m.role === 'tool');
  return { steps, results };
}

/** A step's arguments with each whole-string `{{field}}` taken from the previous result (a JSON object). */
function fillArguments(
  args: Readonly<Record<string, unknown>>,
  previous: string | undefined,
): Record<string, unknown> {
  let fields: Record<string, unknown> = {};
  try {
    const value: unknown = previous === undefined ? undefined : JSON.parse(previous);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      fields = value as Record<string, unknown>;
  } catch {
    // Not JSON: no fields to fill from; placeholders stay as written.
  }
  return Object.fromEntries(
    Object.entries(args).map(([key, value]) => {
      const field = typeof value === 'string' ? PLACEHOLDER.exec(value)?.[1] : undefined;
      return [key, field !== undefined && field in fields ? fields[field] : value];
    }),
  );
}

/** Whether a tool result is an error (`{"error": …}`). */
function isError(content: string): boolean {
  try {
    const value: unknown = JSON.parse(content);
    return typeof value === 'object' && value !== null && 'error' in value;
  } catch {
    return false;
  }
}

/**
 * The tool call the mock agent makes for a conversation: when the last user message
 * is `call <tool name> <JSON object>` (the public contract's way to exercise tool
 * paths without a model) and nothing has answered it yet; for a chain
 * `call A {…} then call B {…}`, each next step once the previous one's result has
 * come (and was not an error), a whole-string argument `"{{field}}"` filled with that
 * result's top-level `field` (left as written when there is none). Undefined
 * otherwise (also for arguments that are not a JSON object). The call's id is derived
 * from the conversation's length, so it is stable.
 */
export function mockAgentToolCall(
  conversation: readonly ConversationMessage[],
): ToolCall | undefined {
  const last = conversation.at(-1);
  if (last?.role !== 'user' && last?.role !== 'tool') return undefined;
  const chain = chainOf(conversation);
  if (chain === undefined) return undefined;
  const { steps, results } = chain;
  const step = steps[results.length];
  const previous = results.at(-1)?.content;
  if (step === undefined || (previous !== undefined && isError(previous))) return undefined;
  return {
    id: `call_mock_${String(conversation.length)}`,
    name: step.name,
    arguments: fillArguments(step.arguments, previous),
  };
}

/**
 * The text the mock agent answers to a conversation: `You said: {text}` for the
 * last user message, or a sentence naming the tool and its result when the
 * last message is a tool result — one sentence per result of the user's `call`
 * chain (`The A tool returned: … The B tool returned: …`).
 */
export function mockAgentReply(conversation: readonly ConversationMessage[]): string {
  const last = conversation.at(-1);
  if (last?.role === 'tool') {
    const chain = chainOf(conversation);
    const said = chain !== undefined && chain.steps.length > 1 ? chain.results : [last];
    return said.map((r) => `The ${r.name} tool returned: ${r.content}`).join(' ');
  }
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
    const { signal, conversation } = request;
    const options = parseProviderOptions(mockAgentOptionsSchema, request.options, PROVIDER);
    const call = mockAgentToolCall(conversation);
    yield* streamLocalTurn(
      clock,
      call === undefined
        ? { kind: 'say', text: mockAgentReply(conversation) }
        : { kind: 'tool', call: () => call },
      { delayMs: options.token_delay_ms, promptTokens: conversationWords(conversation), signal },
    );
  }
  return {
    id: PROVIDER,
    validateOptions: optionsValidator(mockAgentOptionsSchema, PROVIDER),
    run,
    healthCheck: () => Promise.resolve({ healthy: true, detail: 'built in' }),
  };
}
