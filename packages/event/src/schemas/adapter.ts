/** Payload schemas of the `prx.voice.adapter.*` events. */
import { z } from 'zod';
import { adapterKindSchema, errorCodeSchema, msSchema, nonEmptySchema } from './common.js';

/** The lifecycle states of a provider adapter. */
export const ADAPTER_STATES = ['connecting', 'ready', 'degraded', 'failed', 'closed'] as const;

/** `adapter.state_changed`: a provider connection moved between lifecycle states. */
export const adapterStateChangedSchema = z.object({
  kind: adapterKindSchema,
  provider: nonEmptySchema,
  from: z.enum(ADAPTER_STATES),
  to: z.enum(ADAPTER_STATES),
});

/** `adapter.health_check`: the result of probing a provider. */
export const adapterHealthCheckSchema = z.object({
  kind: adapterKindSchema,
  provider: nonEmptySchema,
  healthy: z.boolean(),
  /** Round trip of the probe; `null` when it did not answer. */
  latency_ms: msSchema.nullable(),
  detail: z.string().optional(),
});

/** `adapter.fallback`: a provider was replaced by the next one of its chain. */
export const adapterFallbackSchema = z.object({
  kind: adapterKindSchema,
  /** Provider given up. */
  from: nonEmptySchema,
  /** Provider used instead. */
  to: nonEmptySchema,
  /** Why, e.g. `timeout`, `circuit_open`, `error`. */
  reason: nonEmptySchema,
  /** The error that caused it, when there was one. */
  code: errorCodeSchema.optional(),
});

/** The `adapter` family: type → data schema. */
export const ADAPTER_DATA_SCHEMAS = {
  'prx.voice.adapter.state_changed': adapterStateChangedSchema,
  'prx.voice.adapter.health_check': adapterHealthCheckSchema,
  'prx.voice.adapter.fallback': adapterFallbackSchema,
} as const;
