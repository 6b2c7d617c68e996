/**
 * Checks on `deploy/`: every `PRX_VOICE_*` variable the Dockerfile, compose file and Helm
 * chart name is a real configuration key with a valid value, the chart's config.yaml
 * validates, probes hit real routes of a running server on the configured port, the
 * Dockerfile copies files that exist, and stop timeouts outlast the server's drain.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_PATH_VAR, ENV_PREFIX, defaultConfig, loadConfig } from '@prx-voice/core';
import type { Config, Environment } from '@prx-voice/core';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { startServer } from './server.js';
import type { RunningServer } from './server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CHART = 'deploy/helm/prx-voice';
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const RUNTIME = { hostname: 'deploy-test', pid: 1 };
const DEFAULTS = defaultConfig({ runtime: RUNTIME });
const STORES: Environment = {
  DATABASE_URL: 'postgres://prx:secret@db.example.com:5432/prx',
  REDIS_URL: 'redis://cache.example.com:6379',
};
/** Values for keys without a default, used where a deploy file gives no literal value. */
const SAMPLES: Record<string, string | undefined> = {
  'auth.bootstrap_api_key': `pk_${'s'.repeat(45)}`,
  'server.public_url': 'https://voice.example.com',
  'deploy.instance_id': 'prx-voice-7d9f8b6c5d-x2x4z',
};

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
function record(v: unknown, what: string): Json {
  if (!isRecord(v)) throw new Error(`${what}: expected a mapping`);
  return v;
}
const valueAt = (root: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), root);
const keyPath = (name: string): string[] => name.slice(ENV_PREFIX.length).toLowerCase().split('__');

/** A valid value for an override variable: a sample, else the key's default when it is a scalar. */
function sampleFor(name: string): string {
  const fallback = valueAt(DEFAULTS, keyPath(name));
  const scalar = ['string', 'number', 'boolean'].includes(typeof fallback);
  return SAMPLES[keyPath(name).join('.')] ?? (scalar ? String(fallback) : 'x');
}

/** The real loader, seeing only `env` and at most one config file. */
function load(env: Environment, file?: { path: string; text: string }): Config {
  return loadConfig({
    env,
    cwd: ROOT,
    runtime: RUNTIME,
    fileExists: (p) => p === file?.path,
    readFile: (p) => {
      if (p !== file?.path) throw Object.assign(new Error(p), { code: 'ENOENT' });
      return file.text;
    },
  });
}

// --- Dockerfile ----------------------------------------------------------------------------
interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly stage: number;
}
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let [stage, pending] = [-1, ''];
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    pending += line.replace(/\\\s*$/, ' ');
    if (/\\\s*$/.test(line) || pending.trim() === '') continue;
    const [, keyword = '', args = ''] = /^\s*([A-Za-z]+)\s+(.*)$/.exec(pending) ?? [];
    pending = '';
    if (keyword.toUpperCase() === 'FROM') stage++;
    out.push({ keyword: keyword.toUpperCase(), args: args.trim(), stage });
  }
  return out;
}
function envOf(instructions: readonly Instruction[], stage?: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of instructions)
    if (i.keyword === 'ENV' && (stage === undefined || i.stage === stage))
      for (const [, name = '', value = ''] of i.args.matchAll(/(\w+)=("[^"]*"|\S*)/g))
        env[name] = value.replace(/^"(.*)"$/, '$1');
  return env;
}
const jsonArgs = (args: string): string[] =>
  JSON.parse(/(\[.*\])\s*$/.exec(args)?.[1] ?? '[]') as string[];

/** Whether `.dockerignore` keeps `path` out of the build context: the last matching pattern wins. */
function dockerignored(path: string, patterns: readonly string[]): boolean {
  const glob = (p: string): RegExp =>
    new RegExp(
      `^${p
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(
          /\*\*\/?|\*|\?/g,
          (t) => ({ '*': '[^/]*', '?': '[^/]', '**': '.*' })[t] ?? '(?:.*/)?',
        )}$`,
    );
  const prefixes = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const re = glob(posix.normalize(raw.replace(/^!/, '')).replace(/^\/+/, ''));
    if (prefixes.some((p) => re.test(p))) ignored = !raw.startsWith('!');
  }
  return ignored;
}

// --- compose -------------------------------------------------------------------------------
type Lookup = (name: string) => string | undefined;
/** Compose interpolation in the forms allowed here: `${NAME}`, `${NAME:-default}`, `${NAME:?message}`. */
function interpolate(text: string, lookup: Lookup): string {
  const out = text.replace(
    /\$\{(\w+)(?::([-?])([^}]*))?\}/g,
    (_, name: string, op?: string, arg?: string) => {
      const value = lookup(name);
      if (value !== undefined && value !== '') return value;
      if (op === '?') throw new Error(`compose: ${name} is required: ${arg ?? ''}`);
      return op === '-' ? (arg ?? '') : '';
    },
  );
  if (out.includes('$')) throw new Error(`compose: unsupported interpolation in ${text}`);
  return out;
}
/** A service's environment; `literalOnly` skips values the host must supply. */
function composeEnv(service: Json, lookup: Lookup, literalOnly = false): Environment {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(record(service['environment'], 'environment'))) {
    if (value === null) continue;
    try {
      env[name] = interpolate(typeof value === 'string' ? value : JSON.stringify(value), lookup);
    } catch (err) {
      if (!literalOnly) throw err;
    }
  }
  return env;
}
const seconds = (d: string): number =>
  60 * Number(/(\d+)m/.exec(d)?.[1] ?? 0) + Number(/(\d+)s/.exec(d)?.[1] ?? 0);
/** The container side of `EXPOSE 8080/tcp` or of a compose `host:container` mapping. */
const portOf = (spec: string): number => Number(/(\d+)(?:\/tcp)?$/.exec(spec)?.[1]);

// --- the files -----------------------------------------------------------------------------
const dockerfile = parseDockerfile(read('deploy/Dockerfile'));
const finalStage = Math.max(...dockerfile.map((i) => i.stage));
const final = dockerfile.filter((i) => i.stage === finalStage);
const imageEnv = envOf(dockerfile, finalStage);
const services = record(
  record(parseYaml(read('deploy/compose.yaml')), 'compose')['services'],
  'services',
);
const server = record(services['prx-voice'], 'services.prx-voice');
const values = record(parseYaml(read(`${CHART}/values.yaml`)), 'values.yaml');
const pkg = record(JSON.parse(read('apps/server/package.json')), 'apps/server/package.json');
const templates = Object.fromEntries(
  readdirSync(join(ROOT, CHART, 'templates')).map((f) => [f, read(`${CHART}/templates/${f}`)]),
);
const deployment = templates['deployment.yaml'] ?? '';
const helpers = templates['_helpers.tpl'] ?? '';
/** The chart's env, literal values where given, without DATABASE_URL / REDIS_URL (only set with their Secrets). */
const chartEnv: Record<string, string> = {};
for (const [, name = '', value] of deployment.matchAll(
  /- name: ([A-Z][A-Z0-9_]*)\n(?:\s+value: (\S+))?/g,
))
  if (!(name in STORES)) chartEnv[name] = value ?? sampleFor(name);

describe('deploy: PRX_VOICE_* variables', () => {
  const files = [
    'Dockerfile',
    'compose.yaml',
    '.env.example',
    'README.md',
    'helm/prx-voice/values.yaml',
  ]
    .map((f) => `deploy/${f}`)
    .concat(Object.keys(templates).map((f) => `${CHART}/templates/${f}`));
  const names = new Set(files.flatMap((f) => read(f).match(/\bPRX_VOICE_[A-Z0-9_]+/g) ?? []));
  names.delete(CONFIG_PATH_VAR);
  const literal: Environment = {
    ...envOf(dockerfile),
    ...composeEnv(server, () => undefined, true),
  };

  it('each names a real configuration key, and a valid value reaches that key', () => {
    expect(names.size).toBeGreaterThan(5);
    for (const name of names) {
      const value =
        literal[name] === undefined || literal[name] === '' ? sampleFor(name) : literal[name];
      let config: Config;
      try {
        config = load({ ...STORES, [name]: value });
      } catch (err) {
        throw new Error(`${name}=${value} (named in deploy/): ${String(err)}`, { cause: err });
      }
      expect(valueAt(config, keyPath(name)), name).toBeDefined();
    }
    // The same check refuses a misspelt key and a section given a scalar.
    expect(() => load({ PRX_VOICE_SERVER__PROT: '8080' })).toThrow(/unknown key/);
    expect(() => load({ PRX_VOICE_SERVER: '8080' })).toThrow(/server/);
  });

  it('the image and compose env load together; the .env.example placeholder is refused', () => {
    expect(load({ ...STORES, ...imageEnv }).storage.data_dir).toBe(
      imageEnv['PRX_VOICE_STORAGE__DATA_DIR'],
    );
    const host = (name: string): string | undefined =>
      name.startsWith(ENV_PREFIX) ? sampleFor(name) : undefined;
    expect(load({ ...imageEnv, ...composeEnv(server, host) }).deploy.profile).toBe('production');
    const placeholder = /^PRX_VOICE_AUTH__BOOTSTRAP_API_KEY=(.*)$/m.exec(
      read('deploy/.env.example'),
    )?.[1];
    expect(placeholder).toBeDefined();
    expect(() => load({ ...STORES, PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: placeholder })).toThrow(
      /bootstrap_api_key/,
    );
  });
});

describe('deploy: compose.yaml', () => {
  const key = 'PRX_VOICE_AUTH__BOOTSTRAP_API_KEY';
  const config = (): Config =>
    load({ ...imageEnv, ...composeEnv(server, (n) => (n === key ? sampleFor(n) : undefined)) });

  it('never bakes in a bootstrap key: it must come from the host', () => {
    expect(() => composeEnv(server, () => undefined)).toThrow(new RegExp(`${key} is required`));
    expect(config().auth.bootstrap_api_key).toBe(sampleFor(key));
  });

  it('starts the server after healthy PostgreSQL and Redis, which it uses', () => {
    for (const dep of ['postgres', 'redis']) {
      expect(valueAt(server, ['depends_on', dep, 'condition'])).toBe('service_healthy');
      expect(valueAt(services, [dep, 'healthcheck'])).toBeDefined();
    }
    const { storage } = config();
    expect(new URL(storage.database_url ?? '').hostname).toBe('postgres');
    expect(new URL(storage.redis_url ?? '').hostname).toBe('redis');
  });

  it('publishes the port the server listens on and outwaits its drain', () => {
    const listen = config().server;
    expect(
      (server['ports'] as string[]).map((p) => portOf(interpolate(p, () => undefined))),
    ).toEqual([listen.port]);
    expect(seconds(String(server['stop_grace_period']))).toBeGreaterThan(
      listen.shutdown_timeout_ms / 1000,
    );
  });
});

describe('deploy: Dockerfile', () => {
  const ignore = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('copies only sources that exist and are in the build context', () => {
    const copies = dockerfile.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from'));
    expect(copies.length).toBeGreaterThan(1);
    for (const copy of copies) {
      const args = copy.args.startsWith('[') ? jsonArgs(copy.args) : copy.args.split(/\s+/);
      for (const src of args.filter((a) => !a.startsWith('--')).slice(0, -1)) {
        expect(existsSync(join(ROOT, src)), `COPY ${src}`).toBe(true);
        if (src !== '.')
          expect(dockerignored(posix.normalize(src), ignore), `${src} ignored`).toBe(false);
      }
    }
    expect(dockerignored('apps/server/node_modules/x', ignore)).toBe(true);
    expect(dockerignored('deploy/compose.yaml', ignore)).toBe(true);
  });

  it('runs the server binary that pnpm deploy gathered', () => {
    const bin = posix.normalize(String(valueAt(pkg, ['bin', 'prx-voice'])));
    expect(
      // The bundle `pnpm build` makes of the entry (scripts/bundle.mjs).
      existsSync(join(ROOT, 'apps/server', bin.replace(/^dist\/bundle\/(.*)\.js$/, 'src/$1.ts'))),
    ).toBe(true);
    const workdir = final.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args ?? '/';
    const entry = jsonArgs(final.find((i) => i.keyword === 'ENTRYPOINT')?.args ?? '');
    expect(entry[0]).toBe('node');
    expect(posix.relative(workdir, entry[1] ?? '')).toBe(bin);
    const deploy = dockerfile.find(
      (i) => i.keyword === 'RUN' && / deploy --prod /.test(i.args),
    )?.args;
    expect(deploy).toContain(`--filter ${String(pkg['name'])} deploy`);
    const out = / deploy --prod (\S+)/.exec(deploy ?? '')?.[1] ?? '?';
    expect(
      final.some((i) => i.keyword === 'COPY' && i.args === `--from=build ${out} ${workdir}`),
    ).toBe(true);
  });

  it('exposes the port the server listens on', () => {
    const port = load({ ...STORES, ...imageEnv }).server.port;
    expect(
      final.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/).map(portOf)),
    ).toEqual([port]);
    const healthcheckDefault = /PRX_VOICE_SERVER__PORT \?\? '(\d+)'/.exec(
      read('deploy/healthcheck.mjs'),
    )?.[1];
    expect(healthcheckDefault).toBe(String(DEFAULTS.server.port));
  });
});

describe('deploy: Helm chart', () => {
  const configText = stringifyYaml(values['config'] ?? {});
  const mount = /- name: config\s+mountPath: (\S+)/.exec(deployment)?.[1] ?? '?';
  const configPath = chartEnv[CONFIG_PATH_VAR] ?? '?';
  const env = { ...imageEnv, ...chartEnv };
  const loadChart = (extra: Environment = {}, text = configText): Config =>
    load({ ...env, ...extra }, { path: configPath, text });
  const dig = (key: string): number =>
    Number(new RegExp(`dig "server" "${key}" (\\d+)`).exec(helpers)?.[1]);

  it('renders values.config as the config.yaml that PRX_VOICE_CONFIG names, and it validates', () => {
    expect(templates['configmap.yaml']).toMatch(
      /config\.yaml: \|\n\s+\{\{- toYaml \(\.Values\.config /,
    );
    expect(configPath).toBe(posix.join(mount, 'config.yaml'));
    expect(loadChart().deploy.instance_id).toBe(chartEnv['PRX_VOICE_DEPLOY__INSTANCE_ID']);
    const production = configText.replace('profile: embedded', 'profile: production');
    expect(production).not.toBe(configText);
    expect(loadChart({ ...STORES }, production).deploy.profile).toBe('production');
    expect(() => loadChart({}, production)).toThrow(/database_url/);
  });

  it('sets no config key that an environment variable would override', () => {
    const leaves = (node: unknown, path: string[]): string[][] =>
      isRecord(node) && Object.keys(node).length > 0
        ? Object.entries(node).flatMap(([k, v]) => leaves(v, [...path, k]))
        : [path];
    const envPaths = Object.keys(env)
      .filter((n) => n.startsWith(ENV_PREFIX) && n !== CONFIG_PATH_VAR)
      .map((n) => keyPath(n).join('.'));
    for (const leaf of leaves(values['config'], []))
      for (const path of envPaths)
        expect(`${leaf.join('.')}.`.startsWith(`${path}.`), `${leaf.join('.')} is overridden`).toBe(
          false,
        );
  });

  it('listens where the container port and probes point, and outwaits the drain', () => {
    expect(dig('port')).toBe(DEFAULTS.server.port);
    expect(dig('shutdown_timeout_ms')).toBe(DEFAULTS.server.shutdown_timeout_ms);
    expect(deployment).toMatch(/containerPort: \{\{ include "prx-voice\.port" \. \}\}/);
    const config = loadChart();
    expect(config.server.port).toBe(valueAt(values, ['config', 'server', 'port']) ?? dig('port'));
    const drain =
      Number(values['preStopSleepSeconds']) + Math.ceil(config.server.shutdown_timeout_ms / 1000);
    expect(Number(values['terminationGracePeriodSeconds'])).toBeGreaterThan(drain);
  });

  it('refers only to values that values.yaml defines', () => {
    for (const [file, text] of Object.entries(templates))
      for (const [, ref = ''] of text.matchAll(/\.Values((?:\.\w+)+)/g)) {
        const path = ref.slice(1).split('.');
        const parent = valueAt(values, path.slice(0, -1));
        expect(isRecord(parent) && path.at(-1)! in parent, `${file}: .Values${ref}`).toBe(true);
      }
  });

  it('ships the server version and refuses several replicas without PostgreSQL and Redis', () => {
    expect(valueAt(parseYaml(read(`${CHART}/Chart.yaml`)), ['appVersion'])).toBe(pkg['version']);
    expect(helpers).toMatch(
      /multiReplica[\s\S]*fail "prx-voice: more than one replica needs PostgreSQL and Redis/,
    );
    expect(deployment.startsWith('{{- include "prx-voice.validate" . }}')).toBe(true);
  });
});

describe('deploy: probes hit real routes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prx-deploy-'));
  let running: RunningServer;
  const routes = (args: readonly string[]): string[] => args.filter((a) => /^\/[^.]*$/.test(a));
  const probes = {
    Dockerfile: routes(jsonArgs(final.find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '')),
    compose: routes((valueAt(server, ['healthcheck', 'test']) as string[] | undefined) ?? []),
    chart: Object.values(templates).flatMap((t) =>
      [...t.matchAll(/(?<![A-Za-z])path: (\/\S*)/g)].map((m) => m[1] ?? ''),
    ),
  };

  beforeAll(async () => {
    const env = {
      PRX_VOICE_SERVER__PORT: '0',
      PRX_VOICE_SERVER__HOST: '127.0.0.1',
      PRX_VOICE_STORAGE__DATA_DIR: 'data',
    };
    running = await startServer({ load: { cwd: dir, env }, log: () => undefined });
  }, 120_000);
  afterAll(async () => {
    await running.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 200 on every probe and scrape path of the deploy files', async () => {
    for (const [source, paths] of Object.entries(probes)) {
      expect(paths.length, source).toBeGreaterThan(0);
      for (const path of paths)
        expect((await fetch(`${running.url}${path}`)).status, `${source} ${path}`).toBe(200);
    }
    expect(deployment).toMatch(/readinessProbe:\s+httpGet:\s+path: \/health\/ready/);
  });

  it('the image health check script passes on a real route and fails on another', async () => {
    const run = (path: string): Promise<number> =>
      new Promise((done) => {
        const env = { PRX_VOICE_SERVER__PORT: new URL(running.url).port };
        execFile(
          process.execPath,
          [join(ROOT, 'deploy/healthcheck.mjs'), path],
          { env, timeout: 10_000 },
          (err) => done(err === null ? 0 : typeof err.code === 'number' ? err.code : -1),
        );
      });
    expect(await run(probes.Dockerfile[0] ?? '?')).toBe(0);
    expect(await run('/health/nowhere')).toBe(1);
  });
});
