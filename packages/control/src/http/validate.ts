/**
 * Edge validation with zod: JSON bodies, query strings and path parameters.
 * A schema failure is `VALIDATION_FAILED` with `{ location, issues: [{ path, message }] }`;
 * a body that is not JSON is `MALFORMED_JSON`, a non-JSON content type
 * `UNSUPPORTED_MEDIA_TYPE`.
 */
import type { z } from 'zod';
import { VoiceError } from '@prx-voice/types';
import type { ValidationIssue } from '@prx-voice/types';
import type { ControlContext } from './context.js';

/** Where a validated value came from. */
export type InputLocation = 'body' | 'query' | 'path';

/** The issues of a zod error, in the API's form (the path is empty for the whole value). */
export function issuesOf(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map((p) => String(p)).join('.'),
    message: issue.message,
  }));
}

/** The `VALIDATION_FAILED` error of a zod failure. */
export function validationError(location: InputLocation, error: z.ZodError): VoiceError {
  const issues = issuesOf(error);
  const first = issues[0];
  const where = first === undefined || first.path === '' ? location : `${location}.${first.path}`;
  return new VoiceError('VALIDATION_FAILED', {
    message: `Invalid ${where}: ${first?.message ?? 'invalid value'}`,
    details: { location, issues },
  });
}

/** Parses a value with a schema; a failure is `VALIDATION_FAILED` naming the location. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  location: InputLocation,
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(location, result.error);
  return result.data;
}

/** Whether a content type is JSON (`application/json` or `application/*+json`). */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const type = (value.split(';')[0] ?? '').trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * The request body as JSON, before any schema: `undefined` for an empty body
 * (the schema decides whether that is allowed), else it must be UTF-8 JSON sent
 * as `application/json`.
 */
export async function readJson(c: ControlContext): Promise<unknown> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength === 0) return undefined;
  if (!isJsonContentType(c.req.header('content-type'))) {
    throw new VoiceError('UNSUPPORTED_MEDIA_TYPE', {
      message: 'The body must be JSON sent as application/json.',
      details: { expected: 'application/json', received: c.req.header('content-type') ?? null },
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new VoiceError('MALFORMED_JSON', { message: 'The body is not valid UTF-8.' });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new VoiceError('MALFORMED_JSON', {
      details: { reason: err instanceof Error ? err.message : 'unparsable' },
    });
  }
}

/** The JSON body validated by `schema`. */
export async function parseJsonBody<S extends z.ZodType>(
  c: ControlContext,
  schema: S,
): Promise<z.output<S>> {
  return parseWith(schema, await readJson(c), 'body');
}

/** The query string validated by `schema`: a key given once is a string, repeated an array of strings. */
export function parseQuery<S extends z.ZodType>(c: ControlContext, schema: S): z.output<S> {
  const raw: Record<string, string | string[]> = {};
  for (const [key, values] of Object.entries(c.req.queries())) {
    raw[key] = values.length === 1 ? (values[0] ?? '') : values;
  }
  return parseWith(schema, raw, 'query');
}

/** The path parameters of the matched route validated by `schema`. */
export function parseParams<S extends z.ZodType>(c: ControlContext, schema: S): z.output<S> {
  return parseWith(schema, c.req.param(), 'path');
}
