/**
 * What a session running the built-in `demo` assistant gets besides the agent:
 * the demo's flow (two nodes, `info` and `booking`, run by the session's flows
 * engine) unless it brought a flow of its own, the demo restaurant's tools in its
 * tool registry (next to the assistant's own tools, which win on a name clash),
 * and — when pocketsphinx is its ASR and no
 * grammar, keyphrase or language model was asked for — the JSGF grammar
 * derived from the demo's phrases, so the offline recogniser hears what the
 * demo understands.
 */
import { DEMO_AGENT, DEMO_FLOW, DEMO_TOOLS, demoGrammar } from '@prx-voice/adapter';
import type { Clock } from '@prx-voice/core';
import { createToolRegistry, parseFlow } from '@prx-voice/session';
import type { FlowDefinition } from '@prx-voice/session';
import type { SessionTools } from './session-tools.js';
import { demoTools } from './demo-tools.js';

const POCKETSPHINX = 'pocketsphinx';
const SEARCH_OPTIONS = ['grammar', 'keyphrase', 'lm'] as const;

/** A session's provider chains, primary first. */
interface Chains {
  readonly asr: readonly string[];
  readonly agent: readonly string[];
}

/**
 * The ASR options of a session: with the demo's grammar added when the demo is
 * the session's agent and pocketsphinx its recogniser with no search of its own.
 */
export function withDemoGrammar(
  chains: Chains,
  asrOptions: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const applies =
    chains.agent[0] === DEMO_AGENT &&
    chains.asr[0] === POCKETSPHINX &&
    SEARCH_OPTIONS.every((key) => asrOptions[key] === undefined);
  return applies ? { ...asrOptions, grammar: demoGrammar() } : { ...asrOptions };
}

/**
 * The session's tools with the demo restaurant's added when the demo is in its
 * agent chain (a registry made for them if the session had none); as they are
 * otherwise.
 */
export function withDemoTools(
  chains: Chains,
  tools: SessionTools | undefined,
  clock: Pick<Clock, 'now'>,
): SessionTools | undefined {
  if (!chains.agent.includes(DEMO_AGENT)) return tools;
  const result: SessionTools = tools ?? {
    registry: createToolRegistry(),
    fillers: {},
    close: () => Promise.resolve(),
  };
  for (const tool of demoTools({ clock })) {
    if (!result.registry.has(tool.name)) result.registry.register(tool);
  }
  return result;
}

let demoFlowParsed: FlowDefinition | undefined;

/** The demo's flow, parsed and checked against the demo's tools (once). */
export function demoFlow(): FlowDefinition {
  if (demoFlowParsed !== undefined) return demoFlowParsed;
  const parsed = parseFlow(DEMO_FLOW, { tools: Object.values(DEMO_TOOLS) });
  if (parsed.kind === 'invalid') {
    const listed = parsed.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`the demo flow is invalid: ${listed}`);
  }
  demoFlowParsed = parsed.flow;
  return demoFlowParsed;
}

/**
 * The session's flow: its own when it has one, else the demo's when the demo is
 * its agent (the first of its chain: a fallback agent does not run the demo's
 * flow), else none.
 */
export function withDemoFlow(
  chains: Chains,
  flow: FlowDefinition | undefined,
): FlowDefinition | undefined {
  if (flow !== undefined || chains.agent[0] !== DEMO_AGENT) return flow;
  return demoFlow();
}
