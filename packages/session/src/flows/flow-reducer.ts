/**
 * How the reducer drives a conversation flow (`settings.flow`), one decision at a
 * time and without I/O: the current node decides the system messages and the tools of
 * every agent request; a round's calls of the node's own functions (no `tool`) are
 * answered here with their arguments, the others run as tools; a successful result
 * whose function has a transition exits the node and enters the next in the same step
 * (`flow.node_exited`, then `flow.node_entered`), applies the new node's context
 * strategy and runs its pre-actions — leading `say`s are spoken as part of the run,
 * before the agent is asked again with the new node's messages and tools. Actions
 * that need the floor (post-actions, `end_call`, `transfer`, a `say` after them) wait
 * until it is free and go in as the reducer's own inputs (`say`, `end`, `handoff_request`).
 */
import type { ConversationMessage, ToolCall, ToolDefinition } from '@prx-voice/adapter';
import type { ToolResultInput } from '../inputs.js';
import type { RunModel, SessionInput, SessionModel, SessionSettings } from '../model.js';
import type { StepBuilder } from '../step-builder.js';
import {
  FLOW_HISTORY_LIMIT,
  chooseTransition,
  contextOnEntry,
  failed,
  initialFlowModel,
  nodeFunctions,
  nodeMessages,
  nodeOf,
  nodeTools,
  ownResult,
  resultValue,
} from './flow-engine.js';
import type { FlowModel, FlowTransitionReason } from './flow-engine.js';
import type { FlowAction, FlowDefinition } from './flow-schema.js';

/** The flow state of a new session (null without a flow). */
export function initialFlow(settings: SessionSettings): FlowModel | null {
  return settings.flow === undefined ? null : initialFlowModel(settings.flow);
}

/** A new session's conversation: the system prompt, then the initial node's messages. */
export function initialConversation(settings: SessionSettings): ConversationMessage[] {
  const prompt: ConversationMessage[] =
    settings.systemPrompt === undefined ? [] : [{ role: 'system', content: settings.systemPrompt }];
  const flow = settings.flow;
  return flow === undefined
    ? prompt
    : [...prompt, ...nodeMessages(nodeOf(flow, flow.initial_node))];
}

function active(b: StepBuilder): { flow: FlowDefinition; state: FlowModel } | null {
  const flow = b.m.settings.flow;
  const state = b.m.flow;
  return flow === undefined || state === null ? null : { flow, state };
}

/** The session started: the flow is in its initial node (`flow.node_entered`, from null). */
export function onFlowStarted(b: StepBuilder): void {
  const f = active(b);
  if (f === null || !b.commands.some((c) => c.type === 'open_adapters')) return;
  const entry = f.state.history[0];
  if (entry !== undefined) f.state.history[0] = { ...entry, at: b.ctx.now };
  b.emit('prx.voice.flow.node_entered', { node: f.state.node, from: null, reason: 'start' });
}

/** The tools of the current node for an agent request (undefined without a flow: the registry's). */
export function flowTools(b: StepBuilder): ToolDefinition[] | undefined {
  const f = active(b);
  return f === null ? undefined : nodeTools(f.flow, f.state.node);
}

/**
 * The calls of a round that run as tools (named by their function's `tool`); the
 * others — the node's own functions, and functions the node does not offer — are
 * answered now and wait for the round's tool results.
 */
export function routeFlowCalls(b: StepBuilder, run: RunModel): ToolCall[] {
  const f = active(b);
  if (f === null) return run.pendingToolCalls;
  const fns = nodeFunctions(f.flow, f.state.node);
  const remote: ToolCall[] = [];
  const own: ToolResultInput[] = [];
  for (const call of run.pendingToolCalls) {
    const fn = fns.find((x) => x.name === call.name);
    if (fn === undefined) {
      own.push(
        failed(
          call,
          'VALIDATION_FAILED',
          `No function "${call.name}" in node "${f.state.node}"; its functions: ${fns.map((x) => x.name).join(', ') || 'none'}.`,
        ),
      );
    } else if (fn.tool === undefined) own.push(ownResult(fn, call));
    else remote.push({ ...call, name: fn.tool });
  }
  f.state.inline = { runId: run.id, results: own };
  return remote;
}

/** A round's results in the order of its calls, each named by the function the agent called. */
export function flowRoundResults(
  b: StepBuilder,
  run: RunModel,
  results: readonly ToolResultInput[],
): readonly ToolResultInput[] {
  const f = active(b);
  if (f === null) return results;
  const own = f.state.inline?.runId === run.id ? f.state.inline.results : [];
  f.state.inline = null;
  return run.pendingToolCalls.map((call) => {
    const mine = own.find((r) => r.callId === call.id);
    if (mine !== undefined) return mine;
    const r = results.find((x) => x.callId === call.id);
    return r === undefined
      ? failed(call, 'TOOL_FAILED', `No result for ${call.name}.`)
      : { ...r, name: call.name };
  });
}

/** What the run does after a round's results: lines to say first, and whether the agent is asked again. */
export interface FlowContinuation {
  readonly say: readonly string[];
  readonly askAgent: boolean;
}

/**
 * Records a round's successful results in the flow state and takes the first
 * transition they choose (in call order): the node is exited and the next entered now.
 */
export function onFlowResults(
  b: StepBuilder,
  results: readonly ToolResultInput[],
): FlowContinuation {
  const f = active(b);
  if (f === null) return { say: [], askAgent: true };
  const fns = nodeFunctions(f.flow, f.state.node);
  let next: { to: string; reason: FlowTransitionReason; fn: string } | null = null;
  for (const r of results) {
    const fn = fns.find((x) => x.name === r.name);
    if (!r.ok || fn === undefined) continue;
    const value = resultValue(r);
    f.state.collected[fn.name] = value;
    const t: ReturnType<typeof chooseTransition> =
      next === null ? chooseTransition(fn, value) : null;
    if (t !== null) next = { ...t, fn: fn.name };
  }
  if (next === null) return { say: [], askAgent: true };
  return enterNode(b, f, next);
}

function enterNode(
  b: StepBuilder,
  f: { flow: FlowDefinition; state: FlowModel },
  t: { to: string; reason: FlowTransitionReason; fn: string },
): FlowContinuation {
  const { state } = f;
  const from = state.node;
  const node = nodeOf(f.flow, t.to);
  b.emit('prx.voice.flow.node_exited', { node: from, to: t.to, reason: t.reason, function: t.fn });
  b.emit('prx.voice.flow.node_entered', {
    node: t.to,
    from,
    reason: t.reason,
    function: t.fn,
  });
  state.node = t.to;
  state.history.push({ node: t.to, from, reason: t.reason, function: t.fn, at: b.ctx.now });
  if (state.history.length > FLOW_HISTORY_LIMIT) state.history.splice(0, 1);
  state.enteredTurn = b.m.turnCount;
  state.postQueued = node.post_actions.length === 0;
  b.m.conversation = contextOnEntry({
    node,
    conversation: b.m.conversation,
    systemPrompt: b.m.settings.systemPrompt,
    collected: state.collected,
  });
  // Leading lines are spoken in the run; the rest (and anything after) waits for the floor.
  const firstOther = node.pre_actions.findIndex((a) => a.type !== 'say');
  const lead = firstOther === -1 ? node.pre_actions : node.pre_actions.slice(0, firstOther);
  state.queue = firstOther === -1 ? [] : structuredClone(node.pre_actions.slice(firstOther));
  return {
    say: lead.flatMap((a) => (a.type === 'say' ? [a.text] : [])),
    askAgent: state.queue.length === 0,
  };
}

/** Whether nothing holds the floor: no run, no speech, no turn waiting. */
function floorFree(m: SessionModel): boolean {
  const s = m.speech;
  return (
    m.machine.value === 'Listening' &&
    m.closing === null &&
    m.run === null &&
    m.cancelling.length === 0 &&
    m.pendingTurn === null &&
    m.reopened === null &&
    m.interruption === null &&
    !s.active &&
    !s.finalizing &&
    s.finals.length === 0
  );
}

/**
 * The next flow action due now, as the reducer input that carries it out, once the
 * floor is free; the current node's post-actions join the queue once a turn has
 * ended in it.
 */
export function nextFlowInput(b: StepBuilder): SessionInput | undefined {
  const f = active(b);
  if (f === null || !floorFree(b.m)) return undefined;
  const { state } = f;
  if (!state.postQueued && b.m.turnCount > state.enteredTurn) {
    state.postQueued = true;
    state.queue.push(...structuredClone(nodeOf(f.flow, state.node).post_actions));
  }
  const action = state.queue.shift();
  return action === undefined ? undefined : actionInput(action);
}

function actionInput(action: FlowAction): SessionInput {
  switch (action.type) {
    case 'say':
      return { type: 'say', text: action.text };
    case 'end_call':
      return { type: 'end', reason: 'completed', detail: action.reason ?? 'flow_end_call' };
    case 'transfer':
      return {
        type: 'handoff_request',
        target: action.to.startsWith('+')
          ? { type: 'phone', number: action.to }
          : { type: 'sip', uri: action.to },
        trigger: 'flow',
      };
  }
}
