/** Payload schemas of the `prx.voice.governance.*` events. */
import { z } from 'zod';
import { nonEmptySchema } from './common.js';

const quantity = z.number().nonnegative();
const snakeName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a lower_snake_case name');

/** A quota's state: `used` of `limit` (`null`: unlimited) in `unit`, over its window. */
const quotaShape = {
  /** Quota name, e.g. `session_minutes`, `concurrent_sessions`, `agent_tokens`. */
  quota: snakeName,
  used: quantity,
  limit: quantity.nullable(),
  /** e.g. `minutes`, `sessions`, `tokens`. */
  unit: nonEmptySchema,
  /** The period it counts over, e.g. `month`, `day`, or `instant` for concurrency. */
  window: nonEmptySchema,
};

/** `governance.quota_consumed`: the session used some of a tenant quota. */
export const quotaConsumedSchema = z.object({
  ...quotaShape,
  /** How much this step consumed. */
  consumed: quantity,
});

/** What exceeding a quota did. */
export const QUOTA_ACTIONS = ['warn', 'deny', 'end_session'] as const;

/** `governance.quota_exceeded`: a quota ran out. */
export const quotaExceededSchema = z.object({
  ...quotaShape,
  action: z.enum(QUOTA_ACTIONS),
});

/** `governance.usage_recorded`: usage was metered into the ledger (idempotently, by key). */
export const usageRecordedSchema = z.object({
  /** Meter name, e.g. `asr_audio_ms`, `agent_prompt_tokens`, `tts_characters`, `session_seconds`. */
  meter: snakeName,
  /** A whole number of `unit`s. */
  quantity: z.number().int().nonnegative(),
  unit: nonEmptySchema,
  provider: nonEmptySchema.optional(),
  /** The meter event's idempotency key. */
  idempotency_key: nonEmptySchema,
});

/** The signals the degradation controller moves on. */
export const DEGRADATION_SIGNALS = [
  'eventLoopLagMs',
  'load',
  'heap',
  'providerErrorRate',
  'burnRate',
] as const;

const levelSchema = z.number().int().min(0).max(4);

/** `governance.degradation_changed`: the instance running the session changed its degradation level. */
export const degradationChangedSchema = z.object({
  from: levelSchema,
  to: levelSchema,
  /** The signal that set the new level (on the way down: the highest one left), and its value. */
  signal: z.enum(DEGRADATION_SIGNALS).optional(),
  value: z.number().optional(),
});

/** The `governance` family: type → data schema. */
export const GOVERNANCE_DATA_SCHEMAS = {
  'prx.voice.governance.quota_consumed': quotaConsumedSchema,
  'prx.voice.governance.quota_exceeded': quotaExceededSchema,
  'prx.voice.governance.usage_recorded': usageRecordedSchema,
  'prx.voice.governance.degradation_changed': degradationChangedSchema,
} as const;
