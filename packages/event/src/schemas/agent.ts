/** Payload schemas of the `prx.voice.agent.*` events. */
import { z } from 'zod';
import {
  countSchema,
  errorCodeSchema,
  jsonSchema,
  msSchema,
  nonEmptySchema,
  providerErrorSchema,
} from './common.js';

/** `agent.thinking_started`: an agent run (or its continuation after tool results) began. */
export const thinkingStartedSchema = z.object({
  provider: nonEmptySchema,
  model: nonEmptySchema.optional(),
  /** 0 for the first request of the run, n after the n-th round of tool results. */
  round: countSchema,
});

/** `agent.token_stream`: a piece of the answer as it streams. */
export const tokenStreamSchema = z.object({
  text: z.string(),
});

/** `agent.tool_call`: the agent asked for a tool. */
export const toolCallSchema = z.object({
  /** The call's id, as the provider gave it, echoed by the result. */
  call_id: nonEmptySchema,
  name: nonEmptySchema,
  /** Parsed JSON arguments. */
  arguments: z.record(z.string(), jsonSchema),
});

const toolResultBase = {
  call_id: nonEmptySchema,
  name: nonEmptySchema,
  duration_ms: msSchema,
};

/** `agent.tool_result`: a tool call finished, with its result or its error. */
export const toolResultSchema = z.discriminatedUnion('ok', [
  z.object({ ...toolResultBase, ok: z.literal(true), result: jsonSchema.optional() }),
  z.object({
    ...toolResultBase,
    ok: z.literal(false),
    /** e.g. `TOOL_FAILED`, `TOOL_TIMEOUT`. */
    error: z.object({ code: errorCodeSchema, message: z.string() }),
  }),
]);

/** Why an agent response ended. */
export const FINISH_REASONS = ['stop', 'length', 'cancelled', 'max_tool_rounds'] as const;

/** `agent.response_complete`: the run finished; the full text it generated and the usage reported. */
export const responseCompleteSchema = z.object({
  text: z.string(),
  finish_reason: z.enum(FINISH_REASONS),
  /** Rounds of tool calls the run went through. */
  tool_rounds: countSchema,
  /** Token counts as the provider reported them. */
  usage: z.object({ input_tokens: countSchema, output_tokens: countSchema }).optional(),
});

/** The `agent` family: type → data schema. */
export const AGENT_DATA_SCHEMAS = {
  'prx.voice.agent.thinking_started': thinkingStartedSchema,
  'prx.voice.agent.token_stream': tokenStreamSchema,
  'prx.voice.agent.tool_call': toolCallSchema,
  'prx.voice.agent.tool_result': toolResultSchema,
  'prx.voice.agent.response_complete': responseCompleteSchema,
  'prx.voice.agent.error': providerErrorSchema,
} as const;
