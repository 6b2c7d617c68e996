/**
 * What a conversation flow is — `{ initial_node, global_functions?, nodes }` — as
 * JSON, and its validation at load: the shape (zod) and then what the shape cannot
 * say (every transition names a node, every node is reachable from the initial one,
 * function names do not clash, parameter schemas compile, a function's `tool` is one
 * the assistant has). Each problem names the node and the field.
 */
import { z } from 'zod';
import { compileToolSchema, formatPath } from '../tools-schema.js';

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const name = (what: string) =>
  z.string().regex(NAME, { error: `${what} is 1-64 of a-z A-Z 0-9 _ -` });
const text = z.string().trim().min(1).max(4_000);

/** How a node changes the conversation the agent is given as the flow enters it. */
export const CONTEXT_STRATEGIES = ['append', 'reset', 'reset_with_summary'] as const;

/** An action a node runs as the flow enters it (`pre_actions`) or after its answer (`post_actions`). */
export const flowActionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('say'), text: text.describe('Spoken as it is (TTS).') }),
  z.strictObject({
    type: z.literal('end_call'),
    reason: z.string().trim().min(1).max(200).optional().describe('The session’s close reason.'),
  }),
  z.strictObject({
    type: z.literal('transfer'),
    to: z
      .string()
      .trim()
      .regex(
        /^(\+[1-9]\d{1,14}|sips?:\S{1,200})$/,
        'must be an E.164 number (+14155550100) or a SIP URI (sip:…)',
      )
      .describe('The handoff target: an E.164 number or a SIP URI.'),
  }),
]);

/** A function the agent may call in a node (or in every node, as a global function). */
export const flowFunctionSchema = z.strictObject({
  name: name('a function name'),
  description: z.string().trim().min(1).max(2_000),
  parameters: z
    .record(z.string(), z.unknown())
    .default({ type: 'object', properties: {} })
    .describe('JSON Schema of the arguments (`type: "object"`, the tool schema subset).'),
  tool: name('a tool name')
    .optional()
    .describe(
      'One of the assistant’s tools runs the call; without it the result is the arguments.',
    ),
  transition_to: name('a node name')
    .optional()
    .describe('The node entered once the call succeeds.'),
  transition_on: z
    .strictObject({
      field: z.string().min(1).max(200).describe('A top-level field of the result.'),
      cases: z.record(z.string(), name('a node name')).describe('The field’s value → a node.'),
      default: name('a node name').optional().describe('The node for any other value.'),
    })
    .optional()
    .describe('The node chosen by a field of the call’s result.'),
});

/** One node of a flow. */
export const flowNodeSchema = z.strictObject({
  role_messages: z.array(text).max(20).default([]).describe('System messages: who the agent is.'),
  task_messages: z.array(text).max(20).default([]).describe('System messages: what to do here.'),
  functions: z.array(flowFunctionSchema).max(32).default([]),
  pre_actions: z.array(flowActionSchema).max(10).default([]),
  post_actions: z.array(flowActionSchema).max(10).default([]),
  context_strategy: z.enum(CONTEXT_STRATEGIES).default('append'),
});

/** The shape of a flow (the checks beyond the shape are {@link flowIssues}). */
export const flowShapeSchema = z.strictObject({
  initial_node: name('a node name'),
  global_functions: z.array(flowFunctionSchema).max(32).default([]),
  nodes: z
    .record(name('a node name'), flowNodeSchema)
    .refine((nodes) => Object.keys(nodes).length > 0, 'a flow needs at least one node')
    .refine((nodes) => Object.keys(nodes).length <= 100, 'at most 100 nodes'),
});

/** A validated flow. */
export type FlowDefinition = z.output<typeof flowShapeSchema>;
/** A flow as written (defaults not applied yet). */
export type FlowInput = z.input<typeof flowShapeSchema>;
/** A node of a flow. */
export type FlowNode = FlowDefinition['nodes'][string];
/** A function of a flow. */
export type FlowFunction = z.output<typeof flowFunctionSchema>;
/** An action of a node. */
export type FlowAction = z.output<typeof flowActionSchema>;
/** A context strategy. */
export type ContextStrategy = (typeof CONTEXT_STRATEGIES)[number];

/** A problem of a flow: `path` from the flow's root, e.g. `['nodes', 'book', 'functions', 0, 'transition_to']`. */
export interface FlowIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The nodes a function's result may lead to. */
export function transitionTargets(fn: FlowFunction): string[] {
  const on = fn.transition_on;
  return [
    ...(fn.transition_to === undefined ? [] : [fn.transition_to]),
    ...(on === undefined ? [] : Object.values(on.cases)),
    ...(on?.default === undefined ? [] : [on.default]),
  ];
}

/**
 * What is wrong with a flow of the right shape; empty when nothing is. With `tools`
 * (the names of the assistant's tools), a function's `tool` must be one of them; without
 * it that check is left to whoever knows the tools.
 */
export function flowIssues(
  flow: FlowDefinition,
  opts: { readonly tools?: readonly string[] } = {},
): FlowIssue[] {
  const issues: FlowIssue[] = [];
  const nodes = new Map(Object.entries(flow.nodes));
  if (!nodes.has(flow.initial_node)) {
    issues.push({
      path: ['initial_node'],
      message: `initial_node "${flow.initial_node}" is not a node of the flow (nodes: ${[...nodes.keys()].join(', ')})`,
    });
  }
  const globals = new Set<string>();
  const checkFunctions = (
    fns: readonly FlowFunction[],
    at: readonly (string | number)[],
    where: string,
    taken: ReadonlySet<string>,
  ): Set<string> => {
    const names = new Set<string>();
    fns.forEach((fn, i) => {
      const path = [...at, i];
      if (names.has(fn.name) || taken.has(fn.name)) {
        issues.push({
          path: [...path, 'name'],
          message: `${where}: function "${fn.name}" is defined twice${taken.has(fn.name) ? ' (a global function has that name)' : ''}`,
        });
      }
      names.add(fn.name);
      if (fn.transition_to !== undefined && fn.transition_on !== undefined) {
        issues.push({
          path: [...path, 'transition_on'],
          message: `${where}: function "${fn.name}" has both transition_to and transition_on`,
        });
      }
      if (fn.transition_to !== undefined && !nodes.has(fn.transition_to)) {
        issues.push({
          path: [...path, 'transition_to'],
          message: `${where}: function "${fn.name}" transitions to "${fn.transition_to}", which is not a node of the flow`,
        });
      }
      const on = fn.transition_on;
      for (const [value, node] of Object.entries(on?.cases ?? {})) {
        if (!nodes.has(node)) {
          issues.push({
            path: [...path, 'transition_on', 'cases', value],
            message: `${where}: function "${fn.name}" transitions to "${node}", which is not a node of the flow`,
          });
        }
      }
      if (on?.default !== undefined && !nodes.has(on.default)) {
        issues.push({
          path: [...path, 'transition_on', 'default'],
          message: `${where}: function "${fn.name}" transitions to "${on.default}", which is not a node of the flow`,
        });
      }
      const compiled = compileToolSchema(fn.parameters);
      if (compiled.kind === 'invalid') {
        const listed = compiled.issues.map((x) => `${formatPath(x.path)}: ${x.message}`).join('; ');
        issues.push({
          path: [...path, 'parameters'],
          message: `${where}: function "${fn.name}" has an invalid parameters schema: ${listed}`,
        });
      }
      if (fn.tool !== undefined && opts.tools !== undefined && !opts.tools.includes(fn.tool)) {
        issues.push({
          path: [...path, 'tool'],
          message: `${where}: function "${fn.name}" runs tool "${fn.tool}", which is not one of the assistant's tools (${opts.tools.length === 0 ? 'it has none' : opts.tools.join(', ')})`,
        });
      }
    });
    return names;
  };
  for (const n of checkFunctions(flow.global_functions, ['global_functions'], 'global', new Set()))
    globals.add(n);
  for (const [nodeName, node] of nodes) {
    checkFunctions(node.functions, ['nodes', nodeName, 'functions'], `node "${nodeName}"`, globals);
  }
  if (nodes.has(flow.initial_node)) {
    for (const unreachable of unreachableNodes(flow)) {
      issues.push({
        path: ['nodes', unreachable],
        message: `node "${unreachable}" is unreachable from the initial node "${flow.initial_node}"`,
      });
    }
  }
  return issues;
}

/** The nodes no chain of transitions leads to from the initial node (global functions lead from any). */
function unreachableNodes(flow: FlowDefinition): string[] {
  const fromGlobals = flow.global_functions.flatMap(transitionTargets);
  const seen = new Set<string>([flow.initial_node]);
  const todo = [flow.initial_node, ...fromGlobals];
  for (const n of fromGlobals) seen.add(n);
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    for (const target of (flow.nodes[next]?.functions ?? []).flatMap(transitionTargets)) {
      if (seen.has(target)) continue;
      seen.add(target);
      todo.push(target);
    }
  }
  return Object.keys(flow.nodes).filter((n) => !seen.has(n));
}

/**
 * The flow schema: the shape, then {@link flowIssues} (without the tool check, which
 * needs the assistant's tools — see {@link flowToolIssues}).
 */
export const flowSchema = flowShapeSchema.superRefine((flow, ctx) => {
  for (const issue of flowIssues(flow)) {
    ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
  }
});

/** The problems of a flow's `tool` names against the assistant's tools only. */
export function flowToolIssues(flow: FlowDefinition, tools: readonly string[]): FlowIssue[] {
  return flowIssues(flow, { tools }).filter((i) => i.path.at(-1) === 'tool');
}

/**
 * Parses and checks a flow; `tools` as in {@link flowIssues}.
 *
 * @example
 * const r = parseFlow(json, { tools: ['lookup_order'] });
 * if (r.kind === 'invalid') for (const i of r.issues) console.log(i.path.join('.'), i.message);
 */
export function parseFlow(
  value: unknown,
  opts: { readonly tools?: readonly string[] } = {},
):
  | { readonly kind: 'valid'; readonly flow: FlowDefinition }
  | { readonly kind: 'invalid'; readonly issues: readonly FlowIssue[] } {
  const shaped = flowShapeSchema.safeParse(value);
  if (!shaped.success) {
    return {
      kind: 'invalid',
      issues: shaped.error.issues.map((i) => ({
        path: i.path.map((p) => (typeof p === 'number' ? p : String(p))),
        message: i.message,
      })),
    };
  }
  const issues = flowIssues(shaped.data, opts);
  return issues.length > 0 ? { kind: 'invalid', issues } : { kind: 'valid', flow: shaped.data };
}
