import { describe, expect, it } from 'vitest';
import { bookingFlowInput } from '../testing/flow-fixtures.js';
import { flowSchema, parseFlow } from './flow-schema.js';
import type { FlowInput, FlowIssue } from './flow-schema.js';

const TOOLS = ['availability', 'hours'];

function issuesOf(input: unknown, tools: readonly string[] | null = TOOLS): FlowIssue[] {
  const r = parseFlow(input, tools === null ? {} : { tools });
  return r.kind === 'invalid' ? [...r.issues] : [];
}

const paths = (issues: readonly FlowIssue[]) => issues.map((i) => i.path.join('.'));

/** The booking flow with a change to one node. */
function withNode(name: string, node: NonNullable<FlowInput['nodes']>[string]): FlowInput {
  const input = bookingFlowInput();
  return { ...input, nodes: { ...input.nodes, [name]: node } };
}

describe('parseFlow', () => {
  it('accepts the booking flow and applies the defaults', () => {
    const r = parseFlow(bookingFlowInput(), { tools: TOOLS });
    expect(r.kind).toBe('valid');
    if (r.kind !== 'valid') return;
    expect(r.flow.nodes.full?.context_strategy).toBe('append');
    expect(r.flow.nodes.full?.functions).toEqual([]);
    expect(r.flow.global_functions[0]?.parameters).toEqual({ type: 'object', properties: {} });
  });

  it('names a missing initial_node, and one that is not a node', () => {
    const { initial_node: _gone, ...rest } = bookingFlowInput();
    expect(paths(issuesOf(rest))).toEqual(['initial_node']);
    const wrong = issuesOf({ ...bookingFlowInput(), initial_node: 'lobby' });
    expect(wrong).toEqual([
      {
        path: ['initial_node'],
        message: expect.stringMatching(/initial_node "lobby" is not a node of the flow/) as string,
      },
    ]);
  });

  it('names the node and field of a transition to a node that does not exist', () => {
    const input = bookingFlowInput();
    const greeting = input.nodes.greeting;
    const issues = issuesOf(
      withNode('greeting', {
        ...greeting,
        functions: [{ name: 'go', description: 'Go.', transition_to: 'nowhere' }],
      }),
    );
    expect(issues).toContainEqual({
      path: ['nodes', 'greeting', 'functions', 0, 'transition_to'],
      message:
        'node "greeting": function "go" transitions to "nowhere", which is not a node of the flow',
    });
    const on = issuesOf(
      withNode('booking', {
        functions: [
          {
            name: 'check',
            description: 'Check.',
            transition_on: { field: 'ok', cases: { yes: 'confirm' }, default: 'void' },
          },
        ],
      }),
    );
    expect(paths(on)).toContain('nodes.booking.functions.0.transition_on.default');
  });

  it('names nodes no transition reaches from the initial node (a transition_on default counts)', () => {
    const unreachable = withNode('attic', { task_messages: ['Nobody comes here.'] });
    expect(issuesOf(unreachable)).toEqual([
      {
        path: ['nodes', 'attic'],
        message: 'node "attic" is unreachable from the initial node "greeting"',
      },
    ]);
    const viaDefault = withNode('booking', {
      functions: [
        {
          name: 'check',
          description: 'Check.',
          transition_on: { field: 'ok', cases: { yes: 'confirm' }, default: 'full' },
        },
      ],
    });
    expect(issuesOf(viaDefault)).toEqual([]);
  });

  it('names clashing function names: twice in a node, or a node function named as a global one', () => {
    const issues = issuesOf(
      withNode('confirm', {
        functions: [
          { name: 'note', description: 'Note.' },
          { name: 'note', description: 'Again.' },
          { name: 'get_hours', description: 'Shadows the global one.' },
        ],
      }),
    );
    expect(issues).toEqual([
      {
        path: ['nodes', 'confirm', 'functions', 1, 'name'],
        message: 'node "confirm": function "note" is defined twice',
      },
      {
        path: ['nodes', 'confirm', 'functions', 2, 'name'],
        message:
          'node "confirm": function "get_hours" is defined twice (a global function has that name)',
      },
    ]);
  });

  it('names a tool that is not among the assistant’s tools (checked only when the tools are known)', () => {
    expect(issuesOf(bookingFlowInput(), ['hours'])).toEqual([
      {
        path: ['nodes', 'booking', 'functions', 0, 'tool'],
        message:
          'node "booking": function "check_time" runs tool "availability", which is not one of the assistant\'s tools (hours)',
      },
    ]);
    expect(issuesOf(bookingFlowInput(), null)).toEqual([]);
  });

  it('names an invalid parameters schema with the schema’s own problem', () => {
    const issues = issuesOf(
      withNode('confirm', {
        functions: [
          {
            name: 'note',
            description: 'Note.',
            parameters: { type: 'object', properties: { a: { type: 'date' } } },
          },
        ],
      }),
    );
    expect(paths(issues)).toEqual(['nodes.confirm.functions.0.parameters']);
    expect(issues[0]?.message).toMatch(
      /function "note" has an invalid parameters schema: .*properties\/a/,
    );
  });

  it('refuses the wrong shape with the field named (zod): unknown keys, bad names, bad actions', () => {
    expect(paths(issuesOf({ ...bookingFlowInput(), extra: 1 }))).toEqual(['']);
    expect(paths(issuesOf(withNode('bad name', {})))).toEqual(['nodes.bad name']);
    expect(
      paths(issuesOf(withNode('confirm', { pre_actions: [{ type: 'dance' } as never] }))),
    ).toEqual(['nodes.confirm.pre_actions.0.type']);
    expect(paths(issuesOf(withNode('confirm', { context_strategy: 'forget' as never })))).toEqual([
      'nodes.confirm.context_strategy',
    ]);
    expect(paths(issuesOf({ initial_node: 'a', nodes: {} }))).toEqual(['nodes']);
  });

  it('flowSchema carries the same checks for zod users (without the tools)', () => {
    const r = flowSchema.safeParse({ ...bookingFlowInput(), initial_node: 'lobby' });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['initial_node']);
  });
});
