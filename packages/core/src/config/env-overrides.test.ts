import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from './config-issue.js';
import { coerceEnvValue } from './env-overrides.js';
import type { Environment } from './env-overrides.js';
import { loadConfig } from './load-config.js';

const runtime = { hostname: 'test', pid: 1 };
const noFiles = { cwd: '/nonexistent-prx-voice', fileExists: () => false, runtime } as const;

function load(env: Environment) {
  return loadConfig({ ...noFiles, env });
}

function issuesFor(env: Environment): ConfigIssue[] {
  try {
    load(env);
  } catch (error) {
    if (VoiceError.is(error) && error.code === 'CONFIG_INVALID')
      return error.details['issues'] as ConfigIssue[];
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('coerceEnvValue', () => {
  it('reads numbers strictly and leaves anything else for validation to report', () => {
    expect(coerceEnvValue(' 45 ', 'number')).toBe(45);
    expect(coerceEnvValue('0.25', 'number')).toBe(0.25);
    expect(coerceEnvValue('-1e3', 'number')).toBe(-1000);
    expect(coerceEnvValue('0x10', 'number')).toBe('0x10');
    expect(coerceEnvValue('12abc', 'number')).toBe('12abc');
  });

  it('reads booleans as true/false/1/0 in any case', () => {
    expect(coerceEnvValue('TRUE', 'boolean')).toBe(true);
    expect(coerceEnvValue('1', 'boolean')).toBe(true);
    expect(coerceEnvValue('false', 'boolean')).toBe(false);
    expect(coerceEnvValue('0', 'boolean')).toBe(false);
    expect(coerceEnvValue('yes', 'boolean')).toBe('yes');
  });

  it('reads lists from commas or a JSON array', () => {
    expect(coerceEnvValue('deepgram, openai,,', 'list')).toEqual(['deepgram', 'openai']);
    expect(coerceEnvValue('["a,b", "c"]', 'list')).toEqual(['a,b', 'c']);
    expect(coerceEnvValue('[broken', 'list')).toBe('[broken');
  });

  it('reads mappings from JSON objects only', () => {
    expect(coerceEnvValue('{"api_key":"x"}', 'mapping')).toEqual({ api_key: 'x' });
    expect(coerceEnvValue('[1]', 'mapping')).toBe('[1]');
    expect(coerceEnvValue('{oops', 'mapping')).toBe('{oops');
  });

  it('keeps strings as they are', () => {
    expect(coerceEnvValue(' 123456 ', 'string')).toBe(' 123456 ');
  });
});

describe('environment overrides', () => {
  it('sets nested keys with the type the schema expects', () => {
    const config = load({
      PRX_VOICE_SERVER__PORT: '9090',
      PRX_VOICE_SESSION__TIMEOUTS__LISTENING_S: '45',
      PRX_VOICE_SESSION__INTERRUPT_ENABLED: 'false',
      PRX_VOICE_ADAPTERS__ASR__FALLBACKS: 'deepgram,openai',
      PRX_VOICE_ADAPTERS__TTS__OPTIONS: '{"voice":"alloy","speed":1.1}',
      PRX_VOICE_LOGGING__LEVEL: 'debug',
    });
    expect(config.server.port).toBe(9090);
    expect(config.session.timeouts.listening_s).toBe(45);
    expect(config.session.interrupt_enabled).toBe(false);
    expect(config.adapters.asr.fallbacks).toEqual(['deepgram', 'openai']);
    expect(config.adapters.tts.options).toEqual({ voice: 'alloy', speed: 1.1 });
    expect(config.logging.level).toBe('debug');
  });

  it('keeps numeric-looking secrets as strings', () => {
    const config = load({
      PRX_VOICE_ADAPTERS__PROVIDERS__DEEPGRAM__API_KEY: '00123456',
      PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: `pk_${'1'.repeat(40)}`,
    });
    expect(config.adapters.providers['deepgram']).toEqual({ api_key: '00123456' });
    expect(config.auth.bootstrap_api_key).toBe(`pk_${'1'.repeat(40)}`);
  });

  it('reaches into records: feature flags and provider settings', () => {
    const config = load({
      PRX_VOICE_FEATURES__SEMANTIC_VAD__ENABLED: '1',
      PRX_VOICE_FEATURES__SEMANTIC_VAD__PERCENTAGE: '25',
      PRX_VOICE_FEATURES__SEMANTIC_VAD__TENANTS: 'acme,globex',
      PRX_VOICE_FEATURES__BETA: '{"enabled":false}',
    });
    expect(config.features).toEqual({
      semantic_vad: { enabled: true, percentage: 25, tenants: ['acme', 'globex'] },
      beta: { enabled: false },
    });
  });

  it('applies a whole mapping first and then its finer keys', () => {
    const config = load({
      PRX_VOICE_LIMITS__RATE_LIMIT__PER_TENANT__BURST: '7',
      PRX_VOICE_LIMITS__RATE_LIMIT: '{"per_tenant":{"requests_per_second":3}}',
    });
    expect(config.limits.rate_limit.per_tenant).toEqual({ requests_per_second: 3, burst: 7 });
  });

  it('ignores empty values, other prefixes and PRX_VOICE_CONFIG', () => {
    const config = load({
      PRX_VOICE_SERVER__PORT: '',
      PRX_VOICE_CONFIG: '',
      PORT: '1',
      prx_voice_server__port: '2',
    });
    expect(config.server.port).toBe(8080);
  });

  it('reports an unknown variable by name, with a suggestion, and every other problem too', () => {
    const issues = issuesFor({
      PRX_VOICE_SERVER__PROT: '8080',
      PRX_VOICE_SESION__MAX_TURNS: '3',
      PRX_VOICE_SERVER__PORT__X: '1',
      PRX_VOICE_SERVER____PORT: '1',
      PRX_VOICE_SESSION__TIMEOUTS__LISTENING_S: '5',
    });
    expect(issues).toHaveLength(5);
    expect(issues).toContainEqual({
      key: 'server.prot',
      value: '"8080"',
      source: 'PRX_VOICE_SERVER__PROT',
      expected: expect.stringContaining('unknown key "prot" (did you mean "port"?)') as string,
    });
    expect(
      issues.find((issue) => issue.source === 'PRX_VOICE_SESION__MAX_TURNS')?.expected,
    ).toContain('did you mean "session"?');
    expect(
      issues.find((issue) => issue.source === 'PRX_VOICE_SERVER__PORT__X')?.expected,
    ).toContain('not a mapping');
    expect(issues.find((issue) => issue.source === 'PRX_VOICE_SERVER____PORT')?.expected).toContain(
      'non-empty key names',
    );
    expect(issues).toContainEqual({
      key: 'session.timeouts.listening_s',
      value: '5',
      source: 'PRX_VOICE_SESSION__TIMEOUTS__LISTENING_S',
      expected: 'expected a number from 10 to 120',
    });
  });

  it('reports an uncoercible value with the raw string', () => {
    const issues = issuesFor({
      PRX_VOICE_SERVER__PORT: 'eighty',
      PRX_VOICE_SERVER__CORS__ALLOW_CREDENTIALS: 'yes',
    });
    expect(issues.map((issue) => `${issue.key}=${issue.value}`)).toEqual([
      'server.port="eighty"',
      'server.cors.allow_credentials="yes"',
    ]);
  });

  it('masks secret values even in unknown-variable reports', () => {
    const issues = issuesFor({
      PRX_VOICE_AUTHH__BOOTSTRAP_API_KEY: 'pk_very_secret_value_that_is_long_enough',
    });
    expect(issues[0]).toMatchObject({ key: 'authh.bootstrap_api_key', value: '***' });
  });
});

describe('DATABASE_URL and REDIS_URL', () => {
  it('fill the storage URLs', () => {
    const config = load({ DATABASE_URL: 'postgres://db/app', REDIS_URL: 'redis://cache:6379' });
    expect(config.storage.database_url).toBe('postgres://db/app');
    expect(config.storage.redis_url).toBe('redis://cache:6379');
  });

  it('yield to the PRX_VOICE_ form', () => {
    const config = load({
      DATABASE_URL: 'postgres://generic/app',
      PRX_VOICE_STORAGE__DATABASE_URL: 'postgres://specific/app',
      REDIS_URL: 'redis://generic',
      PRX_VOICE_STORAGE__REDIS_URL: 'redis://specific',
    });
    expect(config.storage.database_url).toBe('postgres://specific/app');
    expect(config.storage.redis_url).toBe('redis://specific');
  });

  it('are named as the source and have their password masked', () => {
    const issues = issuesFor({ DATABASE_URL: 'mysql://root:hunter2@db/app' });
    expect(issues).toEqual([
      {
        key: 'storage.database_url',
        value: '"mysql://root:***@db/app"',
        source: 'DATABASE_URL',
        expected:
          'expected a postgres or postgresql URL such as postgres://user:password@host:5432/db',
      },
    ]);
  });

  it('satisfy the production profile', () => {
    const config = load({
      PRX_VOICE_DEPLOY__PROFILE: 'production',
      DATABASE_URL: 'postgres://db/app',
      REDIS_URL: 'redis://cache',
    });
    expect(config.deploy.profile).toBe('production');
  });
});
