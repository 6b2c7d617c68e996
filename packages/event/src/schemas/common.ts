/**
 * Building blocks shared by the per-family payload schemas: branded IDs,
 * durations, the error registry, JSON values.
 */
import { z } from 'zod';
import {
  ADAPTER_KINDS,
  ERROR_CODE_LIST,
  SESSION_STATES,
  idProblem,
  isErrorCode,
  isId,
} from '@prx-voice/types';
import type { ErrorCode, Id, IdKind } from '@prx-voice/types';

/** A schema for a well-formed ID of one kind (`seg_…`, `turn_…`, …), typed as the branded ID. */
export function idSchema<K extends IdKind>(kind: K): z.ZodType<Id<K>> {
  return z.custom<Id<K>>((value) => isId(kind, value), {
    error: (issue) => idProblem(kind, issue.input) ?? `expected a ${kind} ID`,
  });
}

/** A non-negative duration or offset in milliseconds (fractions allowed). */
export const msSchema = z.number().nonnegative();

/** A non-negative whole number. */
export const countSchema = z.number().int().nonnegative();

/** A probability or confidence in [0, 1]. */
export const unitIntervalSchema = z.number().min(0).max(1);

/** A non-empty string. */
export const nonEmptySchema = z.string().min(1);

/** One of the registry's error codes. */
export const errorCodeSchema = z.custom<ErrorCode>((value) => isErrorCode(value), {
  error: (issue) =>
    `expected an error code of the registry (${ERROR_CODE_LIST.slice(0, 3).join(', ')}, …), got ${JSON.stringify(issue.input)}`,
});

/** A session state by its FSM name. */
export const sessionStateSchema = z.enum(SESSION_STATES);

/** An adapter kind: asr, agent, tts or vad. */
export const adapterKindSchema = z.enum(ADAPTER_KINDS);

/** Any JSON value. */
export const jsonSchema = z.json();

/** The error body shared by `session.error` and the adapters' error events. */
export const errorBodyShape = {
  /** Registry code. */
  code: errorCodeSchema,
  /** Human-readable message, already free of secrets. */
  message: z.string(),
  /** Whether retrying (or the session carrying on) may succeed. */
  retryable: z.boolean(),
};

/** Payload of `asr.error`, `agent.error` and `tts.error`: a provider's failure. */
export const providerErrorSchema = z.object({
  ...errorBodyShape,
  /** Provider id, e.g. `mock`, `deepgram`. */
  provider: nonEmptySchema,
  /** Whether a fallback provider will be tried. */
  fallback: z.boolean().optional(),
});

/** Data of a provider error event. */
export type ProviderErrorData = z.infer<typeof providerErrorSchema>;
