/** Turns zod issues into configuration issues with "expected …" wording. */
import type { z } from 'zod';
import { unknownKeyMessage, valueAt } from './config-issue.js';
import type { PendingIssue } from './config-issue.js';
import { knownKeys, lookupSchema } from './schema-walk.js';

const TYPE_WORDS: Readonly<Record<string, string>> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

function describeType(expected: string): string {
  return TYPE_WORDS[expected] ?? expected;
}

function bound(value: number | bigint, inclusive: boolean | undefined, below: boolean): string {
  const op = below ? (inclusive === false ? '>' : '>=') : inclusive === false ? '<' : '<=';
  return `${op} ${value.toString()}`;
}

function sizeWord(origin: string): string {
  if (origin === 'string') return 'characters';
  if (origin === 'array' || origin === 'set') return 'items';
  return '';
}

/**
 * Error map used for every config parse: wording for issues whose schema set no
 * message of its own (those win, zod applies them first).
 */
export const describeIssue: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') {
    const what = describeType(issue.expected);
    return issue.input === undefined ? `expected ${what} (required)` : `expected ${what}`;
  }
  if (issue.code === 'too_small' || issue.code === 'too_big') {
    const below = issue.code === 'too_small';
    const limit = below ? issue.minimum : issue.maximum;
    const unit = sizeWord(issue.origin);
    if (unit === '') return `expected a number ${bound(limit, issue.inclusive, below)}`;
    return `expected ${below ? 'at least' : 'at most'} ${limit.toString()} ${unit}`;
  }
  if (issue.code === 'invalid_value') {
    return `expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
  }
  if (issue.code === 'invalid_format') {
    return issue.format === 'regex' && issue.pattern !== undefined
      ? `expected a string matching ${issue.pattern}`
      : `expected a valid ${issue.format}`;
  }
  return undefined;
};

/** Converts a failed parse's issues; unknown keys become one issue each, naming the known keys. */
export function pendingFromZod(error: z.ZodError, raw: unknown, schema: z.ZodType): PendingIssue[] {
  const pending: PendingIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const lookup = lookupSchema(schema, issue.path.map(String));
      const known = lookup.kind === 'found' ? knownKeys(lookup.schema) : [];
      for (const name of issue.keys) {
        const path = [...issue.path, name];
        pending.push({ path, value: valueAt(raw, path), expected: unknownKeyMessage(name, known) });
      }
    } else if (issue.code === 'invalid_key') {
      const reason = issue.issues[0]?.message ?? 'expected a valid name';
      const name = String(issue.path[issue.path.length - 1]);
      pending.push({
        path: issue.path,
        value: valueAt(raw, issue.path),
        expected: `invalid name "${name}": ${reason}`,
      });
    } else {
      pending.push({ path: issue.path, value: valueAt(raw, issue.path), expected: issue.message });
    }
  }
  return pending;
}
