/**
 * The `scripted` agent: an offline agent for demos and end-to-end tests that
 * answers from a script of intents (see `scripted-script.ts`), word by word on
 * the injected clock, calling an intent's tool first when it names one.
 */
import { z } from 'zod';
import type { Clock } from '@prx-voice/core';
import type {
  AgentEvent,
  AgentProvider,
  AgentRunRequest,
  ConversationMessage,
} from '../../interfaces.js';
import { optionsValidator, parseProviderOptions } from '../../internal/options.js';
import { conversationWords, streamLocalTurn } from '../../internal/local-turn.js';
import { compileScript, fillArguments, fillTemplate, matchIntent } from './scripted-script.js';
import type { CompiledScript, ScriptedAgentScript } from './scripted-script.js';

const PROVIDER = 'scripted';

/** The per-run options of the scripted agent (`agent.options`). */
const scriptedOptionsSchema = z.object({
  /** Time before each token (and before a tool call), ms (default 20). */
  token_delay_ms: z.number().min(0).max(60_000).default(20),
});

/** Dependencies of {@link createScriptedAgent}. */
export interface ScriptedAgentDeps {
  /** Paces the tokens. */
  readonly clock: Clock;
  /** The intents and the fallback reply (validated here). */
  readonly script: ScriptedAgentScript;
}

/** What the script says to a conversation: a tool call to make, or text to speak. */
type ScriptedTurn =
  | { readonly kind: 'tool'; readonly name: string; readonly arguments: unknown }
  | { readonly kind: 'say'; readonly text: string };

/**
 * The script's answer: when the last message is a tool result, the reply of
 * the intent that called that tool, filled with the result; else the first
 * intent matching the last user message — its tool call if it has a tool,
 * else its reply — or the fallback.
 */
function scriptedTurn(
  script: CompiledScript,
  conversation: readonly ConversationMessage[],
): ScriptedTurn {
  const userText = conversation.findLast((message) => message.role === 'user')?.content ?? '';
  const match = matchIntent(script, userText);
  const last = conversation.at(-1);
  if (last?.role === 'tool') {
    if (match?.intent.tool?.name === last.name) {
      return { kind: 'say', text: fillTemplate(match.intent.reply, match.values, last.content) };
    }
    const caller = script.intents.find((intent) => intent.tool?.name === last.name);
    if (caller !== undefined) {
      return { kind: 'say', text: fillTemplate(caller.reply, { text: userText }, last.content) };
    }
    return { kind: 'say', text: fillTemplate(script.fallback, { text: userText }) };
  }
  if (match === undefined)
    return { kind: 'say', text: fillTemplate(script.fallback, { text: userText }) };
  const { tool } = match.intent;
  if (tool !== undefined) {
    return {
      kind: 'tool',
      name: tool.name,
      arguments: fillArguments(tool.arguments, match.values),
    };
  }
  return { kind: 'say', text: fillTemplate(match.intent.reply, match.values) };
}

/**
 * Creates the `scripted` agent. A reply comes one word per token, each
 * `token_delay_ms` after the previous event, then `usage` (prompt: the words of
 * the conversation; completion: the tokens spoken) and `done` with `stop`. An
 * intent with a tool instead yields, after one delay, a `tool_call` (ids
 * `scripted_call_<n>`), `usage` and `done` with `tool_calls`; the continuation
 * (last message the tool's result) speaks the intent's reply with `{result}`
 * filled. An aborted run stops at once without throwing.
 *
 * @throws VoiceError `CONFIG_INVALID` when the script is invalid.
 *
 * @example
 * const agent = createScriptedAgent({ clock, script: {
 *   intents: [{ name: 'weather', patterns: ['/weather in (?<city>\\w+)/'], reply: 'In {city} it is {result.summary}.',
 *               tool: { name: 'get_weather', arguments: { city: '{city}' } } }],
 *   fallback: 'Sorry, I did not get "{text}".',
 * } });
 */
export function createScriptedAgent(deps: ScriptedAgentDeps): AgentProvider {
  const { clock } = deps;
  const script = compileScript(deps.script);
  let calls = 0;

  async function* run(request: AgentRunRequest): AsyncGenerator<AgentEvent> {
    const { signal, conversation } = request;
    const options = parseProviderOptions(scriptedOptionsSchema, request.options, PROVIDER);
    const turn = scriptedTurn(script, conversation);
    yield* streamLocalTurn(
      clock,
      turn.kind === 'tool'
        ? {
            kind: 'tool',
            call: () => ({
              id: `scripted_call_${String(calls++)}`,
              name: turn.name,
              arguments: turn.arguments,
            }),
          }
        : { kind: 'say', text: turn.text },
      { delayMs: options.token_delay_ms, promptTokens: conversationWords(conversation), signal },
    );
  }

  return {
    id: PROVIDER,
    validateOptions: optionsValidator(scriptedOptionsSchema, PROVIDER),
    run,
    healthCheck: () => Promise.resolve({ healthy: true, detail: 'built in' }),
  };
}
