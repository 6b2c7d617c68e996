/** Validation of per-session provider options at the provider's edge. */
import type { z } from 'zod';
import { providerError } from '../interfaces.js';
import type { OptionsValidator } from '../interfaces.js';

/**
 * Parses `options` with `schema`; throws `VALIDATION_FAILED` (no retry, no
 * fallback) naming the provider, the option and what was expected.
 */
export function parseProviderOptions<S extends z.ZodType>(
  schema: S,
  options: unknown,
  provider: string,
): z.output<S> {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const first = issues[0];
  return fail(
    provider,
    first === undefined ? 'invalid' : `${first.path}: ${first.message}`,
    issues,
  );
}

/** A provider's `validateOptions`: {@link parseProviderOptions} with its schema, the result dropped. */
export function optionsValidator(schema: z.ZodType, provider: string): OptionsValidator {
  return (options) => {
    parseProviderOptions(schema, options, provider);
  };
}

function fail(provider: string, summary: string, issues: unknown): never {
  throw providerError('VALIDATION_FAILED', {
    provider,
    message: `Invalid options for provider '${provider}': ${summary}`,
    fallback: false,
    retryable: false,
    details: { issues },
  });
}
