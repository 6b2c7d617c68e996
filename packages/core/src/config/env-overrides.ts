/**
 * Environment overrides: `PRX_VOICE_<SECTION>__<KEY>[__<KEY>…]` sets the
 * lower-cased snake_case key path, coerced to what the schema expects there.
 * `DATABASE_URL` and `REDIS_URL` fill `storage.database_url` / `storage.redis_url`.
 */
import type { z } from 'zod';
import { unknownKeyMessage } from './config-issue.js';
import type { PendingIssue } from './config-issue.js';
import { leafKind, lookupSchema } from './schema-walk.js';
import type { LeafKind } from './schema-walk.js';
import type { SourceMap } from './source-map.js';

/** Prefix of override variables. */
export const ENV_PREFIX = 'PRX_VOICE_';
/** The variable naming the config file; not an override. */
export const CONFIG_PATH_VAR = 'PRX_VOICE_CONFIG';

/** Environment variables as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Reads an environment string as `kind`. A string that does not fit is returned
 * unchanged so validation reports it with the expected type.
 */
export function coerceEnvValue(text: string, kind: LeafKind): unknown {
  const trimmed = text.trim();
  switch (kind) {
    case 'number':
      return NUMBER.test(trimmed) ? Number(trimmed) : text;
    case 'boolean': {
      const lower = trimmed.toLowerCase();
      if (lower === 'true' || lower === '1') return true;
      if (lower === 'false' || lower === '0') return false;
      return text;
    }
    case 'list': {
      if (trimmed.startsWith('[')) {
        const parsed = parseJson(trimmed);
        return Array.isArray(parsed) ? parsed : text;
      }
      return trimmed
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    }
    case 'mapping': {
      const parsed = parseJson(trimmed);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? parsed
        : text;
    }
    case 'string':
      return text;
  }
}

/** Sets `value` at `path`, creating (or replacing non-mapping) parents. */
function setAt(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let current = root;
  for (const segment of path.slice(0, -1)) {
    const next = current[segment];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) {
      current = next as Record<string, unknown>;
    } else {
      const created: Record<string, unknown> = {};
      current[segment] = created;
      current = created;
    }
  }
  const last = path[path.length - 1];
  if (last !== undefined) current[last] = value;
}

interface Override {
  readonly name: string;
  readonly path: readonly string[];
  readonly text: string;
}

function collectOverrides(env: Environment): Override[] {
  const overrides: Override[] = [];
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || name === CONFIG_PATH_VAR) continue;
    if (text === undefined || text === '') continue;
    const path = name.slice(ENV_PREFIX.length).toLowerCase().split('__');
    overrides.push({ name, path, text });
  }
  // Shallow paths first so `PRX_VOICE_SERVER__TLS='{…}'` can be refined by `…__TLS__CERT_FILE`.
  return overrides.sort((a, b) => a.path.length - b.path.length || a.name.localeCompare(b.name));
}

/**
 * Applies the environment to `raw` in place, recording each value's variable in
 * `sources`. Returns the variables that name no known key.
 */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: Environment,
  schema: z.ZodType,
  sources: SourceMap,
): PendingIssue[] {
  const issues: PendingIssue[] = [];
  const urls: ReadonlyArray<readonly [string, string]> = [
    ['DATABASE_URL', 'database_url'],
    ['REDIS_URL', 'redis_url'],
  ];
  for (const [name, key] of urls) {
    const text = env[name];
    if (text !== undefined && text !== '') {
      setAt(raw, ['storage', key], text);
      sources.set(['storage', key], name);
    }
  }
  for (const { name, path, text } of collectOverrides(env)) {
    if (path.some((segment) => segment === '')) {
      issues.push({
        path,
        value: text,
        source: name,
        expected: `unknown key: expected ${ENV_PREFIX}<SECTION>__<KEY> with "__" between non-empty key names`,
      });
      continue;
    }
    const lookup = lookupSchema(schema, path);
    if (lookup.kind === 'unknown') {
      const bad = path[lookup.depth] ?? '';
      issues.push({
        path,
        value: text,
        source: name,
        expected: unknownKeyMessage(bad, lookup.known),
      });
      continue;
    }
    setAt(raw, path, coerceEnvValue(text, leafKind(lookup.schema)));
    sources.set(path, name);
  }
  return issues;
}
