/**
 * Small zod building blocks shared by the configuration sections, each with an
 * operator-facing "expected …" message so errors read the same everywhere.
 */
import { z } from 'zod';

/** A finite number in `[min, max]`; the message names the range. */
export function numberIn(min: number, max: number): z.ZodNumber {
  const error = `expected a number from ${min} to ${max}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
}

/** An integer in `[min, max]`; the message names the range. */
export function integerIn(min: number, max: number): z.ZodNumber {
  const error = `expected an integer from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A boolean (YAML `true`/`false`; env `true`/`false`/`1`/`0`). */
export function flag(): z.ZodBoolean {
  return z.boolean({ error: 'expected true or false' });
}

/** A non-empty string. */
export function nonEmptyString(what = 'a non-empty string'): z.ZodString {
  return z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });
}

/** Whether `value` parses as a URL with one of `protocols` (without the colon) and a host. */
export function isUrlWith(value: string, protocols: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return protocols.includes(url.protocol.slice(0, -1)) && url.hostname !== '';
}

/** A URL string whose scheme is one of `protocols`; `example` shows the shape in the message. */
export function urlString(protocols: readonly string[], example: string): z.ZodString {
  const error = `expected a ${protocols.join(' or ')} URL such as ${example}`;
  return z.string({ error }).refine((value) => isUrlWith(value, protocols), { error, abort: true });
}

/**
 * Names used as record keys (providers, feature flags): lower-case, because
 * environment overrides lower-case every path segment.
 */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

/** A lower-case name usable as a record key and in environment variable names. */
export function recordName(what: string): z.ZodString {
  const error = `expected a ${what} name of lower-case letters, digits, "_" and "-"`;
  return z.string({ error }).regex(NAME_PATTERN, { error });
}

/** A free-form options record (provider credentials, base URLs, tuning knobs). */
export function optionsRecord(): z.ZodDefault<z.ZodRecord<z.ZodString, z.ZodUnknown>> {
  return z
    .record(z.string(), z.unknown(), { error: 'expected a mapping of option names to values' })
    .default({});
}
