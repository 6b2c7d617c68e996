/**
 * A restaurant-booking conversation flow for tests: five nodes, own and tool-backed
 * functions, global functions, a `transition_on`, pre- and post-actions (say,
 * end_call, transfer) and a choice of context strategy.
 */
import type { HandoffPerformer } from '../handoff.js';
import { createFakeAgent } from '@prx-voice/adapter/testing';
import type { FakeAgent, FakeAgentStep } from '@prx-voice/adapter/testing';
import { parseFlow } from '../flows/flow-schema.js';
import type { ContextStrategy, FlowDefinition, FlowInput } from '../flows/flow-schema.js';
import { createToolRegistry } from '../tools.js';
import type { ToolRegistry } from '../tools.js';
import { createScenario } from './scenario.js';
import type { Scenario } from './scenario.js';

/** The booking node's pre-action line. */
export const BOOKING_LINE = 'Great, let me note that down.';

/** The booking flow as a tenant would write it; its `booking` node uses `strategy`. */
export function bookingFlowInput(strategy: ContextStrategy = 'reset_with_summary'): FlowInput {
  return {
    initial_node: 'greeting',
    global_functions: [
      { name: 'get_hours', description: 'The opening hours.', tool: 'hours' },
      { name: 'start_over', description: 'Start again.', transition_to: 'greeting' },
      {
        name: 'talk_to_person',
        description: 'Transfer to a person.',
        transition_to: 'transfer_desk',
      },
    ],
    nodes: {
      greeting: {
        role_messages: ['You are the host of Chez Flow.'],
        task_messages: ['Ask how many people are coming.'],
        functions: [
          {
            name: 'set_party_size',
            description: 'Record the party size.',
            parameters: {
              type: 'object',
              properties: { size: { type: 'integer', minimum: 1, maximum: 12 } },
              required: ['size'],
            },
            transition_to: 'booking',
          },
        ],
      },
      booking: {
        task_messages: ['Ask for the time.'],
        pre_actions: [{ type: 'say', text: BOOKING_LINE }],
        functions: [
          {
            name: 'check_time',
            description: 'Check a time.',
            parameters: { type: 'object', properties: { time: { type: 'string' } } },
            tool: 'availability',
            transition_on: { field: 'available', cases: { true: 'confirm', false: 'full' } },
          },
        ],
        context_strategy: strategy,
      },
      confirm: {
        task_messages: ['Confirm the booking and say goodbye.'],
        post_actions: [{ type: 'end_call', reason: 'booked' }],
        context_strategy: 'reset',
      },
      full: {
        pre_actions: [{ type: 'say', text: 'Sorry, we are full.' }, { type: 'end_call' }],
      },
      transfer_desk: { pre_actions: [{ type: 'transfer', to: '+15550100' }] },
    },
  };
}

/** A flow parsed (defaults applied); throws when it is invalid. */
export function parsedFlow(input: FlowInput, tools?: readonly string[]): FlowDefinition {
  const r = parseFlow(input, tools === undefined ? {} : { tools });
  if (r.kind === 'invalid') throw new Error(JSON.stringify(r.issues));
  return r.flow;
}

/** The booking flow parsed; its `booking` node uses `strategy`. */
export function bookingFlow(strategy?: ContextStrategy): FlowDefinition {
  return parsedFlow(bookingFlowInput(strategy));
}

/** Fake agent steps calling a function (then done with `tool_calls`). */
export function callStep(id: string, name: string, args: Record<string, unknown>): FakeAgentStep[] {
  return [
    { type: 'tool_call', call: { id, name, arguments: args } },
    { type: 'done', finishReason: 'tool_calls' },
  ];
}

/**
 * The booking flow's tools: `availability` answers `{ available, time }` (or never, with
 * `hold`), recording each call's signal; `hours` answers the opening hours.
 */
export function bookingTools(o: { available?: boolean; hold?: boolean } = {}): {
  tools: ToolRegistry;
  signals: AbortSignal[];
} {
  const tools = createToolRegistry();
  const signals: AbortSignal[] = [];
  tools.register({
    name: 'availability',
    description: 'Whether a time is free.',
    parameters: { type: 'object', properties: { time: { type: 'string' } } },
    handler: (_args, ctx) => {
      signals.push(ctx.signal);
      if (o.hold === true) return new Promise<never>(() => undefined);
      return Promise.resolve({ available: o.available ?? true, time: '19:00' });
    },
  });
  tools.register({
    name: 'hours',
    description: 'Opening hours.',
    parameters: { type: 'object', properties: {} },
    handler: () => Promise.resolve('12:00 to 23:00'),
  });
  return { tools, signals };
}

/** Options of {@link createFlowScenario}. */
export interface FlowScenarioOptions {
  /** The fake agent's runs, in order. */
  readonly runs: readonly (readonly FakeAgentStep[])[];
  readonly strategy?: ContextStrategy;
  readonly available?: boolean;
  readonly hold?: boolean;
  readonly systemPrompt?: string;
  /** Carries handoffs out (absent: they fail at once, as without a transport that can). */
  readonly handoff?: HandoffPerformer;
}

/** A scenario running the booking flow with its tools and a scripted fake agent. */
export async function createFlowScenario(
  o: FlowScenarioOptions,
): Promise<{ s: Scenario; agent: FakeAgent; signals: AbortSignal[] }> {
  let agent: FakeAgent | undefined;
  const { tools, signals } = bookingTools(o);
  const s = await createScenario({
    settings: {
      flow: bookingFlow(o.strategy),
      ...(o.systemPrompt === undefined ? {} : { systemPrompt: o.systemPrompt }),
    },
    tools,
    ...(o.handoff === undefined ? {} : { handoff: o.handoff }),
    providers: (clock) => {
      agent = createFakeAgent({ clock, runs: o.runs });
      return { agent };
    },
  });
  if (agent === undefined) throw new Error('the scenario made no agent');
  return { s, agent, signals };
}
