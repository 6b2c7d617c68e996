/**
 * The `demo` agent: a small built-in assistant — the table booking of a
 * restaurant — that converses sensibly offline (see `demo-dialogue.ts`). It
 * produces the turns of the demo's flow (`demo-contract.ts`): it calls the
 * functions the run offers through the session's tool path and speaks from
 * their results; the server runs the flow (its engine decides the node, the
 * functions offered and the transitions) and registers the restaurant's tools
 * for sessions that run it. `auto` picks it when no agent is configured.
 */
import { z } from 'zod';
import type { Clock } from '@prx-voice/core';
import type { AgentEvent, AgentProvider, AgentRunRequest } from '../../interfaces.js';
import { optionsValidator, parseProviderOptions } from '../../internal/options.js';
import { conversationWords, streamLocalTurn } from '../../internal/local-turn.js';
import { demoTurn } from './demo-dialogue.js';

/** The id the demo agent is registered under. */
export const DEMO_AGENT = 'demo';

/** The per-run options of the demo agent (`agent.options`). */
const demoOptionsSchema = z.object({
  /** Time before each token (and before a tool call), ms (default 20). */
  token_delay_ms: z.number().min(0).max(60_000).default(20),
});

/** Dependencies of {@link createDemoAgent}. */
export interface DemoAgentDeps {
  /** Paces the tokens. */
  readonly clock: Clock;
}

/**
 * Creates the `demo` agent. A reply comes one word per token, each
 * `token_delay_ms` after the previous event, then `usage` and `done` with
 * `stop`; a tool step yields, after one delay, one `tool_call` (id
 * `demo_call_<n>` with n the conversation's length, so it is stable), `usage`
 * and `done` with `tool_calls`. When the tool is not among the run's tools
 * (a session without the demo's tools), it says so instead of calling it. An
 * aborted run stops at once without throwing.
 *
 * @example
 * const agent = createDemoAgent({ clock });
 * agent.run({ conversation: [{ role: 'user', content: 'is there a table for two on friday at seven' }], tools, signal });
 * // in the flow's `info` node: tool_call start_booking {party_size: 2, day: 'friday', time: '19:00'}
 */
export function createDemoAgent(deps: DemoAgentDeps): AgentProvider {
  const { clock } = deps;

  async function* run(request: AgentRunRequest): AsyncGenerator<AgentEvent> {
    const { signal, conversation } = request;
    const options = parseProviderOptions(demoOptionsSchema, request.options, DEMO_AGENT);
    const names = request.tools.map((t) => t.name);
    const turn = demoTurn(conversation, names);
    const offered = turn.kind === 'tool' && names.includes(turn.name);
    yield* streamLocalTurn(
      clock,
      turn.kind === 'tool' && offered
        ? {
            kind: 'tool',
            call: () => ({
              id: `demo_call_${String(conversation.length)}`,
              name: turn.name,
              arguments: turn.arguments,
            }),
          }
        : {
            kind: 'say',
            text:
              turn.kind === 'say'
                ? turn.text
                : `Sorry, I cannot reach the booking system here: this session has no ${turn.name} tool.`,
          },
      { delayMs: options.token_delay_ms, promptTokens: conversationWords(conversation), signal },
    );
  }

  return {
    id: DEMO_AGENT,
    validateOptions: optionsValidator(demoOptionsSchema, DEMO_AGENT),
    run,
    healthCheck: () => Promise.resolve({ healthy: true, detail: 'built in' }),
  };
}
