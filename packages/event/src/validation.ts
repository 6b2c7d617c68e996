/** Turning validation problems into `VALIDATION_FAILED` errors that say what is wrong. */
import type { z } from 'zod';
import { VoiceError } from '@prx-voice/types';
import type { ValidationIssue } from '@prx-voice/types';

/** The issues of a zod error, their paths prefixed by `prefix` (e.g. `data`). */
export function zodIssues(error: Pick<z.ZodError, 'issues'>, prefix?: string): ValidationIssue[] {
  return error.issues.map((issue) => {
    const inner = issue.path.map(String).join('.');
    const path = prefix === undefined ? inner : inner === '' ? prefix : `${prefix}.${inner}`;
    return { path: path === '' ? '(root)' : path, message: issue.message };
  });
}

/** A `VALIDATION_FAILED` error whose message lists every issue, prefixed by `what`. */
export function validationError(
  what: string,
  issues: readonly ValidationIssue[],
  details: Readonly<Record<string, unknown>> = {},
  cause?: unknown,
): VoiceError {
  const text = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return new VoiceError('VALIDATION_FAILED', {
    message: `${what}: ${text}`,
    details: { ...details, issues },
    ...(cause === undefined ? {} : { cause }),
  });
}
