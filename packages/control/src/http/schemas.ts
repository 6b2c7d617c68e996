/** zod building blocks shared by route schemas: IDs, timestamps, the envelope and the error body. */
import { z } from 'zod';
import { ERROR_CODE_LIST, ID_PREFIXES, idProblem, parseId } from '@prx-voice/types';
import type { Id, IdKind } from '@prx-voice/types';

/** A well-formed ID of one kind, canonicalized (branded on output). */
export function idSchema<K extends IdKind>(kind: K) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = idProblem(kind, value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .transform((value): Id<K> => parseId(kind, value))
    .meta({
      description: `A ${kind} ID (${ID_PREFIXES[kind]}_…).`,
      example: `${ID_PREFIXES[kind]}_01jgz5r3p8x4k2m6n7q9s0t1v2`,
    });
}

/** An ISO 8601 UTC timestamp string. */
export const timestampSchema = z.iso.datetime();

/** The `error` object of a failed envelope. */
export const errorBodySchema = z
  .object({
    code: z.enum(ERROR_CODE_LIST as [string, ...string[]]),
    message: z.string(),
    retryable: z.boolean(),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ description: 'An error from the registry of @prx-voice/types.' });

/** The envelope of a failed response. */
export const errorEnvelopeSchema = z
  .object({
    request_id: z.string(),
    timestamp: timestampSchema,
    data: z.null(),
    error: errorBodySchema,
  })
  .meta({ description: 'The envelope of every error response.' });

/** The envelope of a successful response carrying `data`. */
export function okEnvelopeSchema<T extends z.ZodType>(data: T) {
  return z.object({
    request_id: z.string(),
    timestamp: timestampSchema,
    data,
    error: z.null(),
  });
}
