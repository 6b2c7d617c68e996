/**
 * `loadConfig`: finds and parses `config.yaml`, applies environment overrides,
 * validates, and checks that configured files exist.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { VoiceError } from '@prx-voice/types';
import { configSchema } from './config-schema.js';
import type { Config } from './config-schema.js';
import { valueAt } from './config-issue.js';
import type { PendingIssue } from './config-issue.js';
import { applyEnvOverrides, CONFIG_PATH_VAR } from './env-overrides.js';
import type { Environment } from './env-overrides.js';
import type { InstanceRuntime } from './instance-id.js';
import { SourceMap } from './source-map.js';
import { validateConfig } from './validate-config.js';
import { parseYamlConfig } from './yaml-source.js';

/** Options of {@link loadConfig}; everything defaults to the real process. */
export interface LoadConfigOptions {
  /** Environment variables (default `process.env`). */
  readonly env?: Environment;
  /** Directory relative paths resolve against (default `process.cwd()`). */
  readonly cwd?: string;
  /** Config file; wins over `PRX_VOICE_CONFIG`. Must exist. */
  readonly path?: string;
  /** Reads a file as UTF-8 text (default `fs.readFileSync`); throws when it cannot. */
  readonly readFile?: (path: string) => string;
  /** Whether a regular file exists (default: `fs.statSync(path).isFile()`). */
  readonly fileExists?: (path: string) => boolean;
  /** Host facts for the default `deploy.instance_id`. */
  readonly runtime?: InstanceRuntime;
}

interface ConfigFile {
  readonly path: string;
  readonly label: string;
  /** How it was chosen: the `path` option, `PRX_VOICE_CONFIG`, or found in the working directory. */
  readonly origin: string;
  readonly explicit: boolean;
}

function defaultFileExists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function labelFor(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

function chooseFile(
  options: LoadConfigOptions,
  env: Environment,
  cwd: string,
  exists: (path: string) => boolean,
): ConfigFile | undefined {
  const fromEnv = env[CONFIG_PATH_VAR];
  const named =
    options.path !== undefined
      ? { given: options.path, origin: 'the path option' }
      : fromEnv !== undefined && fromEnv !== ''
        ? { given: fromEnv, origin: CONFIG_PATH_VAR }
        : undefined;
  if (named !== undefined) {
    const path = resolve(cwd, named.given);
    return { path, label: labelFor(path, cwd), origin: named.origin, explicit: true };
  }
  const path = resolve(cwd, 'config.yaml');
  return exists(path)
    ? { path, label: labelFor(path, cwd), origin: 'the working directory', explicit: false }
    : undefined;
}

function readConfigFile(file: ConfigFile, read: (path: string) => string): string {
  try {
    return read(file.path);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const reason =
      code === 'ENOENT'
        ? 'does not exist'
        : `cannot be read (${typeof code === 'string' ? code : 'error'})`;
    throw new VoiceError('CONFIG_INVALID', {
      message: `Invalid configuration: config file ${file.path} (from ${file.origin}) ${reason}`,
      details: { file: file.path, origin: file.origin, reason },
      cause: error,
    });
  }
}

function tlsFileIssues(
  raw: unknown,
  cwd: string,
  exists: (path: string) => boolean,
): PendingIssue[] {
  const issues: PendingIssue[] = [];
  for (const key of ['cert_file', 'key_file']) {
    const path = ['server', 'tls', key];
    const value = valueAt(raw, path);
    if (typeof value !== 'string' || value === '') continue;
    const absolute = resolve(cwd, value);
    if (!exists(absolute))
      issues.push({ path, value, expected: `expected an existing file (looked for ${absolute})` });
  }
  return issues;
}

/**
 * Loads the configuration: the file from `path`, else `PRX_VOICE_CONFIG`, else
 * `./config.yaml` when present, else defaults; then `PRX_VOICE_<SECTION>__<KEY>`
 * overrides, `DATABASE_URL` and `REDIS_URL`. Relative paths resolve against `cwd`.
 *
 * @throws VoiceError `CONFIG_INVALID`: a named file is missing, the YAML is malformed
 * (with line and column), or values are invalid (every problem listed, secrets masked).
 * @example
 * const config = loadConfig(); // process.env, process.cwd()
 * const test = loadConfig({ env: { PRX_VOICE_SERVER__PORT: '0' }, cwd: tmpDir });
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const exists = options.fileExists ?? defaultFileExists;
  const read = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const file = chooseFile(options, env, cwd, exists);

  const sources = new SourceMap();
  const earlier: PendingIssue[] = [];
  let raw: Record<string, unknown> = {};
  if (file !== undefined) {
    const parsed = parseYamlConfig(readConfigFile(file, read), file.label, sources);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      raw = parsed as Record<string, unknown>;
    } else if (parsed !== null && parsed !== undefined) {
      earlier.push({
        path: [],
        value: parsed,
        source: file.label,
        expected: 'expected a mapping of sections (server, session, …)',
      });
    }
  }
  earlier.push(...applyEnvOverrides(raw, env, configSchema, sources));
  return validateConfig(raw, {
    sources,
    runtime: options.runtime,
    earlier,
    check: (merged) => tlsFileIssues(merged, cwd, exists),
  });
}
