import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VoiceError } from '@prx-voice/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigIssue } from './config-issue.js';
import { loadConfig } from './load-config.js';
import type { LoadConfigOptions } from './load-config.js';

const runtime = { hostname: 'test', pid: 1 };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'prx-voice-core-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function load(options: LoadConfigOptions = {}) {
  return loadConfig({ env: {}, cwd: dir, runtime, ...options });
}

function failure(options: LoadConfigOptions): VoiceError {
  try {
    load(options);
  } catch (error) {
    if (VoiceError.is(error)) return error;
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

function issuesOf(error: VoiceError): ConfigIssue[] {
  return error.details['issues'] as ConfigIssue[];
}

describe('choosing the file', () => {
  it('uses built-in defaults when there is no file', () => {
    expect(load().server.port).toBe(8080);
  });

  it('uses ./config.yaml when present', () => {
    write('config.yaml', 'server:\n  port: 7000\n');
    expect(load().server.port).toBe(7000);
  });

  it('prefers PRX_VOICE_CONFIG over ./config.yaml, resolving it against cwd', () => {
    write('config.yaml', 'server:\n  port: 7000\n');
    mkdirSync(join(dir, 'etc'));
    write('etc/voice.yaml', 'server:\n  port: 7001\n');
    expect(load({ env: { PRX_VOICE_CONFIG: 'etc/voice.yaml' } }).server.port).toBe(7001);
  });

  it('prefers the path option over PRX_VOICE_CONFIG', () => {
    const a = write('a.yaml', 'server:\n  port: 7002\n');
    write('b.yaml', 'server:\n  port: 7003\n');
    expect(load({ path: a, env: { PRX_VOICE_CONFIG: 'b.yaml' } }).server.port).toBe(7002);
  });

  it('fails when an explicitly named file does not exist', () => {
    const fromOption = failure({ path: 'missing.yaml' });
    expect(fromOption.code).toBe('CONFIG_INVALID');
    expect(fromOption.message).toBe(
      `Invalid configuration: config file ${join(dir, 'missing.yaml')} (from the path option) does not exist`,
    );
    const fromEnv = failure({ env: { PRX_VOICE_CONFIG: 'gone.yaml' } });
    expect(fromEnv.message).toContain('(from PRX_VOICE_CONFIG) does not exist');
  });

  it('fails when the file cannot be read', () => {
    mkdirSync(join(dir, 'a-directory.yaml'));
    expect(failure({ path: 'a-directory.yaml' }).message).toMatch(/cannot be read \(EISDIR\)/);
  });

  it('reads through injected file access', () => {
    const read: string[] = [];
    const config = loadConfig({
      env: {},
      cwd: '/srv/voice',
      runtime,
      fileExists: (path) => path === '/srv/voice/config.yaml',
      readFile: (path) => {
        read.push(path);
        return 'logging:\n  level: warn\n';
      },
    });
    expect(read).toEqual(['/srv/voice/config.yaml']);
    expect(config.logging.level).toBe('warn');
  });
});

describe('parsing the file', () => {
  it('treats an empty file or empty sections as defaults', () => {
    write('config.yaml', '# nothing yet\nserver:\n');
    expect(load().server.port).toBe(8080);
  });

  it('reports YAML syntax errors with line and column, without echoing the text', () => {
    write('config.yaml', 'server:\n  port: 8080\nauth:\n  bootstrap_api_key: "pk_secret\n');
    const error = failure({});
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(
      /^Invalid configuration: config\.yaml is not valid YAML:\n {2}- config\.yaml:\d+:\d+: /,
    );
    expect(error.message).not.toContain('pk_secret');
    const yamlErrors = error.details['yaml_errors'] as Array<{
      line: number;
      column: number;
      code: string;
    }>;
    expect(yamlErrors[0]?.code).toBe('MISSING_CHAR');
    expect(yamlErrors[0]?.line).toBeGreaterThanOrEqual(4);
  });

  it('refuses duplicate keys, several documents and unresolved aliases', () => {
    write('dup.yaml', 'server:\n  port: 1\n  port: 2\n');
    expect(failure({ path: 'dup.yaml' }).message).toContain(
      'dup.yaml:3:3: Map keys must be unique',
    );
    write('multi.yaml', 'server: {}\n---\nsession: {}\n');
    expect(failure({ path: 'multi.yaml' }).message).toContain('multiple documents');
    write('alias.yaml', 'server: *nowhere\n');
    expect(failure({ path: 'alias.yaml' }).message).toContain('alias.yaml: Unresolved alias');
  });

  it('refuses a file whose top level is not a mapping', () => {
    write('config.yaml', '- server\n- session\n');
    expect(issuesOf(failure({}))).toEqual([
      {
        key: '(root)',
        value: '["server","session"]',
        source: 'config.yaml',
        expected: 'expected a mapping of sections (server, session, …)',
      },
    ]);
  });

  it('names the file and line of each bad value and unknown key', () => {
    write(
      'config.yaml',
      [
        'server:',
        '  port: 99999',
        '  hots: example',
        'session:',
        '  timeouts:',
        '    listening_s: 5',
        'loging:',
        '  level: info',
        '',
      ].join('\n'),
    );
    const error = failure({});
    expect(issuesOf(error)).toEqual([
      {
        key: 'server.port',
        value: '99999',
        source: 'config.yaml:2',
        expected: 'expected an integer from 0 to 65535',
      },
      {
        key: 'server.hots',
        value: '"example"',
        source: 'config.yaml:3',
        expected: expect.stringContaining('unknown key "hots" (did you mean "host"?)') as string,
      },
      {
        key: 'session.timeouts.listening_s',
        value: '5',
        source: 'config.yaml:6',
        expected: 'expected a number from 10 to 120',
      },
      {
        key: 'loging',
        value: '{"level":"info"}',
        source: 'config.yaml:7',
        expected: expect.stringContaining(
          'unknown key "loging" (did you mean "logging"?)',
        ) as string,
      },
    ]);
    expect(error.message).toContain(
      'session.timeouts.listening_s = 5 (from config.yaml:6): expected a number from 10 to 120',
    );
  });

  it('lets the environment override the file and names the variable as the source', () => {
    write('config.yaml', 'session:\n  timeouts:\n    listening_s: 40\n    asr_s: 1\n');
    const error = failure({ env: { PRX_VOICE_SESSION__TIMEOUTS__LISTENING_S: '500' } });
    expect(issuesOf(error).map((issue) => `${issue.key} ${issue.source}`)).toEqual([
      'session.timeouts.listening_s PRX_VOICE_SESSION__TIMEOUTS__LISTENING_S',
      'session.timeouts.asr_s config.yaml:4',
    ]);
    expect(
      load({
        env: {
          PRX_VOICE_SESSION__TIMEOUTS__LISTENING_S: '50',
          PRX_VOICE_SESSION__TIMEOUTS__ASR_S: '6',
        },
      }).session.timeouts,
    ).toMatchObject({
      listening_s: 50,
      asr_s: 6,
    });
  });

  it('lets DATABASE_URL override the file', () => {
    write('config.yaml', 'storage:\n  database_url: postgres://from-file/app\n');
    expect(load({ env: { DATABASE_URL: 'postgres://from-env/app' } }).storage.database_url).toBe(
      'postgres://from-env/app',
    );
  });
});

describe('TLS files', () => {
  it('accepts existing files, relative to cwd', () => {
    write('cert.pem', 'cert');
    write('key.pem', 'key');
    write('config.yaml', 'server:\n  tls:\n    cert_file: cert.pem\n    key_file: key.pem\n');
    expect(load().server.tls).toEqual({ cert_file: 'cert.pem', key_file: 'key.pem' });
  });

  it('reports each missing file with where it was looked for', () => {
    write('cert.pem', 'cert');
    write(
      'config.yaml',
      'server:\n  tls:\n    cert_file: cert.pem\n    key_file: missing-key.pem\n',
    );
    expect(issuesOf(failure({}))).toEqual([
      {
        key: 'server.tls.key_file',
        value: '"missing-key.pem"',
        source: 'config.yaml:4',
        expected: `expected an existing file (looked for ${join(dir, 'missing-key.pem')})`,
      },
    ]);
  });

  it('reports missing files together with schema problems', () => {
    const error = failure({
      env: { PRX_VOICE_SERVER__TLS__CERT_FILE: '/no/such/cert.pem', PRX_VOICE_SERVER__PORT: '-1' },
    });
    expect(issuesOf(error).map((issue) => issue.key)).toEqual([
      'server.port',
      'server.tls.key_file',
      'server.tls.cert_file',
    ]);
  });
});
