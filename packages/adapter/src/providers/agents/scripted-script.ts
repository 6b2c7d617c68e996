/**
 * The script of the `scripted` agent: intents matched against what the user
 * said (case-insensitive substrings or `/regular expressions/`), their
 * replies and optional tool calls, with `{placeholder}` filling — validated
 * once, when the agent is created.
 */
import { z } from 'zod';
import { VoiceError } from '@prx-voice/types';

const REGEX_LITERAL = /^\/(.+)\/([a-z]*)$/s;
const PLACEHOLDER = /\{([A-Za-z_][\w.]*)\}/g;
const GROUP_NAME = /\(\?<([A-Za-z_$][\w$]*)>/g;
/** Flags a pattern may carry; `i` is always added, `g` and `y` would make matching stateful. */
const ALLOWED_FLAGS = /^[imsu]*$/;

/** A pattern compiled: a regular expression, or a lower-cased substring. */
type CompiledPattern =
  | { readonly kind: 'regex'; readonly regex: RegExp }
  | { readonly kind: 'substring'; readonly text: string };

function compilePattern(pattern: string): CompiledPattern | { readonly error: string } {
  const literal = REGEX_LITERAL.exec(pattern);
  if (literal === null) return { kind: 'substring', text: pattern.toLowerCase() };
  const [, source = '', flags = ''] = literal;
  if (!ALLOWED_FLAGS.test(flags))
    return { error: `flags '${flags}' are not allowed (only i, m, s, u)` };
  try {
    return { kind: 'regex', regex: new RegExp(source, flags.includes('i') ? flags : `${flags}i`) };
  } catch (error) {
    return { error: `invalid regular expression ${pattern}: ${(error as Error).message}` };
  }
}

function placeholdersOf(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '');
}

function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(stringsIn);
  return [];
}

const patternSchema = z
  .string()
  .min(1)
  .superRefine((pattern, ctx) => {
    const compiled = compilePattern(pattern);
    if ('error' in compiled) ctx.addIssue({ code: 'custom', message: compiled.error });
  });

const intentSchema = z
  .object({
    name: z.string().min(1),
    /** Case-insensitive substrings of the user's words, or `/regex/flags` (named groups become placeholders). */
    patterns: z.array(patternSchema).min(1),
    /** What to say; `{text}`, named groups, and after a tool `{result}` or `{result.field}`. */
    reply: z.string().min(1),
    /** A tool to call first; string arguments may use `{text}` and named groups. */
    tool: z
      .object({ name: z.string().min(1), arguments: z.record(z.string(), z.unknown()).default({}) })
      .optional(),
  })
  .superRefine((intent, ctx) => {
    const groups = new Set(
      intent.patterns.flatMap((p) => [...p.matchAll(GROUP_NAME)].map((m) => m[1] ?? '')),
    );
    const check = (text: string, path: (string | number)[], allowResult: boolean): void => {
      for (const name of placeholdersOf(text)) {
        const isResult = name === 'result' || name.startsWith('result.');
        if (name === 'text' || groups.has(name) || (allowResult && isResult)) continue;
        const hint = isResult ? ' ({result} needs a tool, and only replies can use it)' : '';
        ctx.addIssue({ code: 'custom', path, message: `unknown placeholder {${name}}${hint}` });
      }
    };
    check(intent.reply, ['reply'], intent.tool !== undefined);
    for (const text of stringsIn(intent.tool?.arguments)) check(text, ['tool', 'arguments'], false);
  });

/** The script of the `scripted` agent (what its configuration holds). */
export const scriptedAgentScriptSchema = z
  .object({
    intents: z.array(intentSchema).default([]),
    /** What to say when no intent matches; may use `{text}`. */
    fallback: z.string().min(1),
  })
  .superRefine((script, ctx) => {
    for (const name of placeholdersOf(script.fallback)) {
      if (name !== 'text') {
        ctx.addIssue({
          code: 'custom',
          path: ['fallback'],
          message: `unknown placeholder {${name}}`,
        });
      }
    }
    const seen = new Set<string>();
    script.intents.forEach((intent, index) => {
      if (seen.has(intent.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['intents', index, 'name'],
          message: `duplicate intent '${intent.name}'`,
        });
      }
      seen.add(intent.name);
    });
  });

/** A script as written in configuration. */
export type ScriptedAgentScript = z.input<typeof scriptedAgentScriptSchema>;

/** One validated intent, its patterns compiled. */
export interface ScriptedIntent {
  readonly name: string;
  readonly patterns: readonly CompiledPattern[];
  readonly reply: string;
  readonly tool?: { readonly name: string; readonly arguments: Readonly<Record<string, unknown>> };
}

/** A validated script. */
export interface CompiledScript {
  readonly intents: readonly ScriptedIntent[];
  readonly fallback: string;
}

/**
 * Validates and compiles a script.
 *
 * @throws VoiceError `CONFIG_INVALID` naming the first problem (e.g. `intents.0.patterns.1: invalid regular expression …`).
 */
export function compileScript(script: unknown): CompiledScript {
  const parsed = scriptedAgentScriptSchema.safeParse(script);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    }));
    const first = issues[0];
    throw new VoiceError('CONFIG_INVALID', {
      message: `Invalid script for the scripted agent: ${first === undefined ? 'invalid' : `${first.path === '' ? '' : `${first.path}: `}${first.message}`}`,
      details: { provider: 'scripted', issues },
    });
  }
  return {
    fallback: parsed.data.fallback,
    intents: parsed.data.intents.map((intent) => ({
      name: intent.name,
      reply: intent.reply,
      patterns: intent.patterns.map((pattern) => compilePattern(pattern) as CompiledPattern),
      ...(intent.tool === undefined ? {} : { tool: intent.tool }),
    })),
  };
}

/** The intent that matched, with the values its placeholders take. */
export interface IntentMatch {
  readonly intent: ScriptedIntent;
  readonly values: Readonly<Record<string, string>>;
}

/** The first intent (in script order) one of whose patterns matches `text`. */
export function matchIntent(script: CompiledScript, text: string): IntentMatch | undefined {
  const lower = text.toLowerCase();
  for (const intent of script.intents) {
    for (const pattern of intent.patterns) {
      if (pattern.kind === 'substring') {
        if (lower.includes(pattern.text)) return { intent, values: { text } };
        continue;
      }
      const match = pattern.regex.exec(text);
      if (match !== null) {
        // A group that did not take part in the match is undefined, whatever the lib types say.
        const entries = Object.entries(match.groups ?? {}) as [string, string | undefined][];
        const groups = Object.fromEntries(entries.map(([name, value]) => [name, value ?? '']));
        return { intent, values: { ...groups, text } };
      }
    }
  }
  return undefined;
}

function lookup(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Fills the placeholders of `template`: named values, `{result}` (the tool
 * result as it came) and `{result.a.b}` (a field of it, when it is JSON).
 * A placeholder with no value becomes empty.
 */
export function fillTemplate(
  template: string,
  values: Readonly<Record<string, string>>,
  result?: string,
): string {
  return template.replace(PLACEHOLDER, (_whole, name: string) => {
    if (name === 'result') return result ?? '';
    if (name.startsWith('result.')) {
      if (result === undefined) return '';
      let json: unknown;
      try {
        json = JSON.parse(result);
      } catch {
        return '';
      }
      return asText(lookup(json, name.split('.').slice(1)));
    }
    return values[name] ?? '';
  });
}

/** A tool's arguments with the placeholders of their strings filled. */
export function fillArguments(value: unknown, values: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') return fillTemplate(value, values);
  if (Array.isArray(value)) return value.map((item) => fillArguments(item, values));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, fillArguments(item, values)]),
    );
  }
  return value;
}
