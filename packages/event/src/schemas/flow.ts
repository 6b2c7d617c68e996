/** Payload schemas of the `prx.voice.flow.*` events (a conversation flow's nodes). */
import { z } from 'zod';
import { nonEmptySchema } from './common.js';

/** Why a flow moved: it started, or a function's result chose the next node. */
export const FLOW_TRANSITION_REASONS = ['start', 'transition_to', 'transition_on'] as const;

/** `flow.node_exited`: the flow left `node` for `to`, in the same step as it entered `to`. */
export const nodeExitedSchema = z.object({
  node: nonEmptySchema,
  to: nonEmptySchema,
  reason: z.enum(FLOW_TRANSITION_REASONS),
  /** The function whose result chose the transition. */
  function: nonEmptySchema.optional(),
});

/** `flow.node_entered`: the flow entered `node` (`from` null: the flow's initial node). */
export const nodeEnteredSchema = z.object({
  node: nonEmptySchema,
  from: nonEmptySchema.nullable(),
  reason: z.enum(FLOW_TRANSITION_REASONS),
  function: nonEmptySchema.optional(),
});

/** The `flow` family: type → data schema. */
export const FLOW_DATA_SCHEMAS = {
  'prx.voice.flow.node_entered': nodeEnteredSchema,
  'prx.voice.flow.node_exited': nodeExitedSchema,
} as const;
