/**
 * The flows engine's pure parts: the flow state a session carries (current node,
 * collected values, history of nodes, actions waiting for the floor), the tools a
 * node offers the agent, a function call's own result and the transition a result
 * chooses, and the conversation a node's context strategy leaves. No I/O, no clock:
 * the reducer drives it (`flow-reducer.ts`).
 */
import type { ConversationMessage, ToolCall, ToolDefinition } from '@prx-voice/adapter';
import type { JsonValue } from '../event-data.js';
import type { ToolResultInput } from '../inputs.js';
import { compileToolSchema, formatPath } from '../tools-schema.js';
import type { SchemaValidator } from '../tools-schema.js';
import type { FlowAction, FlowDefinition, FlowFunction, FlowNode } from './flow-schema.js';

/** How many nodes the flow state's history keeps (the most recent). */
export const FLOW_HISTORY_LIMIT = 50;
/** How many user/assistant messages a `reset_with_summary` summary keeps. */
export const SUMMARY_MESSAGES = 6;
/** The longest a message is in a summary, in characters. */
const SUMMARY_MESSAGE_CHARS = 200;
/** The longest the collected values are in a summary, in characters. */
const SUMMARY_COLLECTED_CHARS = 1_000;

/** One node the flow was in. */
export interface FlowHistoryEntry {
  readonly node: string;
  readonly from: string | null;
  readonly reason: FlowTransitionReason;
  readonly function?: string;
  /** When (clock) it was entered. */
  readonly at: number;
}

/** Why the flow entered a node. */
export type FlowTransitionReason = 'start' | 'transition_to' | 'transition_on';

/** The flow state in the session's model: JSON-safe, so replay reproduces it. */
export interface FlowModel {
  /** The current node. */
  node: string;
  /** Successful function results, by function name (the latest call's). */
  collected: Record<string, JsonValue>;
  /** The nodes entered, oldest first (at most {@link FLOW_HISTORY_LIMIT}). */
  history: FlowHistoryEntry[];
  /** The session's turn count when the current node was entered. */
  enteredTurn: number;
  /** The current node's post-actions were queued. */
  postQueued: boolean;
  /** Actions waiting for the floor to be free, run in order. */
  queue: FlowAction[];
  /** The results of a round's own functions (no `tool`), waiting for its tool calls' results. */
  inline: { readonly runId: string; readonly results: ToolResultInput[] } | null;
}

/** A node of the flow (it is validated: every name in it exists). */
export function nodeOf(flow: FlowDefinition, name: string): FlowNode {
  const node = flow.nodes[name];
  if (node === undefined) throw new Error(`flow has no node "${name}"`);
  return node;
}

/** The flow state as the flow starts: in its initial node, its pre-actions waiting for the floor. */
export function initialFlowModel(flow: FlowDefinition, now = 0): FlowModel {
  const node = nodeOf(flow, flow.initial_node);
  return {
    node: flow.initial_node,
    collected: {},
    history: [{ node: flow.initial_node, from: null, reason: 'start', at: now }],
    enteredTurn: 0,
    postQueued: node.post_actions.length === 0,
    queue: structuredClone(node.pre_actions),
    inline: null,
  };
}

/** A node's role and task messages, as system messages. */
export function nodeMessages(node: FlowNode): ConversationMessage[] {
  return [...node.role_messages, ...node.task_messages].map((content) => ({
    role: 'system' as const,
    content,
  }));
}

/** The functions the agent may call in a node: its own, then the global ones. */
export function nodeFunctions(flow: FlowDefinition, node: string): FlowFunction[] {
  return [...nodeOf(flow, node).functions, ...flow.global_functions];
}

/** The tools the agent is offered in a node. */
export function nodeTools(flow: FlowDefinition, node: string): ToolDefinition[] {
  return nodeFunctions(flow, node).map((fn) => ({
    name: fn.name,
    description: fn.description,
    parameters: fn.parameters,
  }));
}

const validators = new WeakMap<FlowFunction, SchemaValidator>();

/** The result of a call to a function without a `tool`: its arguments, once they fit its schema. */
export function ownResult(fn: FlowFunction, call: ToolCall): ToolResultInput {
  let validate = validators.get(fn);
  if (validate === undefined) {
    const compiled = compileToolSchema(fn.parameters);
    validate = compiled.kind === 'valid' ? compiled.validate : () => [];
    validators.set(fn, validate);
  }
  const problems = validate(call.arguments);
  if (problems.length > 0) {
    return failed(
      call,
      'VALIDATION_FAILED',
      `Invalid arguments for ${fn.name}: ${problems.map((p) => `${formatPath(p.path)} ${p.message}`).join('; ')}`,
    );
  }
  const args = call.arguments as JsonValue;
  return {
    callId: call.id,
    name: call.name,
    ok: true,
    result: args,
    content: JSON.stringify(args),
    durationMs: 0,
  };
}

/** A failed call's result, as a tool's would be. */
export function failed(call: ToolCall, code: string, message: string): ToolResultInput {
  return {
    callId: call.id,
    name: call.name,
    ok: false,
    content: JSON.stringify({ error: { code, message } }),
    durationMs: 0,
    error: { code, message },
  };
}

/** A successful result's JSON value (from the tool's content when the value itself is not carried). */
export function resultValue(r: ToolResultInput): JsonValue {
  if (r.result !== undefined) return r.result as JsonValue;
  try {
    return JSON.parse(r.content) as JsonValue;
  } catch {
    return r.content;
  }
}

/** The node a function's successful result leads to, if any. */
export function chooseTransition(
  fn: FlowFunction,
  value: JsonValue,
): { readonly to: string; readonly reason: FlowTransitionReason } | null {
  if (fn.transition_to !== undefined) return { to: fn.transition_to, reason: 'transition_to' };
  const on = fn.transition_on;
  if (on === undefined) return null;
  const field =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? value[on.field]
      : undefined;
  const key =
    typeof field === 'string' || typeof field === 'number' || typeof field === 'boolean'
      ? String(field)
      : field === null
        ? 'null'
        : undefined;
  const to = (key === undefined ? undefined : on.cases[key]) ?? on.default;
  return to === undefined ? null : { to, reason: 'transition_on' };
}

/**
 * The conversation as a node's context strategy leaves it on entry: `append` adds the
 * node's messages to it; `reset` keeps only the system prompt and the node's messages;
 * `reset_with_summary` keeps those and a {@link conversationSummary} of what was said.
 */
export function contextOnEntry(o: {
  readonly node: FlowNode;
  readonly conversation: readonly ConversationMessage[];
  readonly systemPrompt: string | undefined;
  readonly collected: Readonly<Record<string, JsonValue>>;
}): ConversationMessage[] {
  const { node, conversation } = o;
  if (node.context_strategy === 'append') return [...conversation, ...nodeMessages(node)];
  const base: ConversationMessage[] =
    o.systemPrompt === undefined ? [] : [{ role: 'system', content: o.systemPrompt }];
  const roles = nodeMessages({ ...node, task_messages: [] });
  const tasks = nodeMessages({ ...node, role_messages: [] });
  if (node.context_strategy === 'reset') return [...base, ...roles, ...tasks];
  const summary = conversationSummary(conversation, o.collected);
  return [...base, ...roles, ...(summary === null ? [] : [summary]), ...tasks];
}

/**
 * A short summary of a conversation, made without a model (deterministic): its last
 * {@link SUMMARY_MESSAGES} user and assistant messages with words, each cut to 200
 * characters, and the values the flow collected so far. Null when there is nothing.
 */
export function conversationSummary(
  conversation: readonly ConversationMessage[],
  collected: Readonly<Record<string, JsonValue>>,
): ConversationMessage | null {
  const said = conversation
    .filter(
      (m): m is Extract<ConversationMessage, { role: 'user' | 'assistant' }> =>
        (m.role === 'user' || m.role === 'assistant') && m.content.trim() !== '',
    )
    .slice(-SUMMARY_MESSAGES)
    .map(
      (m) =>
        `- ${m.role === 'user' ? 'User' : 'Assistant'}: ${cut(m.content.trim(), SUMMARY_MESSAGE_CHARS)}`,
    );
  const values = Object.keys(collected).length === 0 ? null : JSON.stringify(collected);
  if (said.length === 0 && values === null) return null;
  const lines = [
    'Summary of the conversation so far:',
    ...said,
    ...(values === null ? [] : [`Collected: ${cut(values, SUMMARY_COLLECTED_CHARS)}`]),
  ];
  return { role: 'system', content: lines.join('\n') };
}

function cut(text: string, max: number): string {
  const single = text.replace(/\s+/g, ' ');
  return single.length <= max ? single : `${single.slice(0, max - 1)}…`;
}
