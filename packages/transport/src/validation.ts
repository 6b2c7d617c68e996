/** Turning zod issues into VoiceErrors that name the field, for frames and messages. */
import type { z } from 'zod';
import { VoiceError } from '@prx-voice/types';

/** One problem with a frame: where (dotted path, `(root)` for the whole frame) and what. */
export interface FrameIssue {
  readonly path: string;
  readonly message: string;
  /** The allowed values, when the schema knows them. */
  readonly allowed?: readonly unknown[];
}

/** The issues of a zod error, paths prefixed by `prefix` when given. */
export function frameIssues(error: z.ZodError, prefix?: string): FrameIssue[] {
  return error.issues.map((issue) => {
    const inner = issue.path.map(String).join('.');
    const joined = prefix === undefined ? inner : inner === '' ? prefix : `${prefix}.${inner}`;
    const path = joined === '' ? '(root)' : joined;
    const allowed = allowedOf(issue);
    return allowed === undefined
      ? { path, message: issue.message }
      : { path, message: issue.message, allowed };
  });
}

function allowedOf(issue: z.core.$ZodIssue): readonly unknown[] | undefined {
  if (issue.code === 'invalid_value') return issue.values;
  if (issue.code === 'custom') {
    const allowed = (issue.params as { allowed?: unknown } | undefined)?.allowed;
    if (Array.isArray(allowed)) return allowed as unknown[];
  }
  return undefined;
}

/**
 * A `VALIDATION_FAILED` error: the message lists every issue after `what`, the
 * details carry the first issue's `field` (and `allowed` values) and all issues.
 */
export function frameValidationError(
  what: string,
  issues: readonly FrameIssue[],
  details: Readonly<Record<string, unknown>> = {},
): VoiceError {
  const first = issues[0];
  const text = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return new VoiceError('VALIDATION_FAILED', {
    message: `${what}: ${text}`,
    details: {
      ...details,
      ...(first === undefined ? {} : { field: first.path }),
      ...(first?.allowed === undefined ? {} : { allowed: first.allowed }),
      issues,
    },
  });
}
