import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from './config-issue.js';
import { defaultConfig, parseConfig } from './parse-config.js';

const runtime = { hostname: 'voice-7f9c', pid: 4242 };

function failure(fn: () => unknown): { error: VoiceError; issues: ConfigIssue[] } {
  try {
    fn();
  } catch (error) {
    if (!VoiceError.is(error)) throw error;
    return { error, issues: error.details['issues'] as ConfigIssue[] };
  }
  throw new Error('expected a CONFIG_INVALID error');
}

describe('defaultConfig', () => {
  it('applies every default to an empty config', () => {
    const config = defaultConfig({ runtime });
    expect(config.server).toEqual({
      host: '0.0.0.0',
      port: 8080,
      cors: { origins: [], allow_credentials: false },
      webrtc: { ice_servers: [] },
      shutdown_timeout_ms: 30_000,
      request_timeout_ms: 30_000,
      workers: 1,
    });
    expect(config.session.timeouts).toEqual({
      idle_s: 60,
      connecting_s: 10,
      listening_s: 30,
      max_utterance_s: 60,
      asr_s: 10,
      thinking_s: 30,
      speaking_s: 300,
      interrupted_s: 5,
      paused_s: 300,
      handoff_s: 120,
    });
    expect(config.session.interruption).toEqual({
      min_speech_ms: 200,
      min_words: 0,
      false_interruption_timeout_ms: 2_000,
      resume_false_interruptions: true,
      sustained_speech_ms: 2_000,
      duck_gain: 0.3,
    });
    expect(config.session.endpointing).toEqual({
      min_delay_ms: 350,
      max_delay_ms: 1_500,
      speculative: true,
    });
    expect(config.session.audio).toEqual({
      input_rate: 16000,
      output_rate: 24000,
      output_tick_ms: 0,
    });
    expect(config.session.dtmf).toEqual({
      terminator: '#',
      inter_digit_timeout_ms: 3_000,
      max_digits: 32,
    });
    expect(config.session).toMatchObject({
      max_duration_s: 3_600,
      max_turns: 200,
      interrupt_enabled: true,
      default_language: 'en-US',
    });
    expect(config.adapters.asr).toEqual({ provider: 'auto', fallbacks: [], options: {} });
    expect(config.adapters.agent.provider).toBe('auto');
    expect(config.adapters.tts.provider).toBe('auto');
    expect(config.adapters.vad).toEqual({
      provider: 'auto',
      threshold: 0.5,
      min_speech_ms: 120,
      min_silence_ms: 250,
      max_dip_ms: 100,
      min_volume: 0.0003,
      silero_workers: 0,
    });
    expect(config.storage).toEqual({
      data_dir: '.data',
      embedded_thread: 'worker',
      embedded_nice: 0,
      embedded_maintenance_ms: 60_000,
      object_store: { kind: 'filesystem', force_path_style: false },
    });
    expect(config.auth).toEqual({ allow_query_token: true });
    expect(config.logging).toEqual({ level: 'info', format: 'json', redaction: 'basic' });
    expect(config.limits.max_body_bytes).toBe(1_048_576);
    expect(config.limits.max_ws_frame_bytes).toBe(262_144);
    expect(config.features).toEqual({});
    expect(config.deploy).toEqual({
      profile: 'embedded',
      instance_id: 'voice-7f9c-4242',
      instance_ttl_ms: 15_000,
      recovery_interval_ms: 5_000,
    });
  });

  it('returns a fresh object each call', () => {
    const a = defaultConfig({ runtime });
    a.server.cors.origins.push('https://x.example');
    expect(defaultConfig({ runtime }).server.cors.origins).toEqual([]);
  });

  it('derives the instance id from the real host when no runtime is given', () => {
    expect(defaultConfig().deploy.instance_id).toMatch(new RegExp(`-${process.pid}$`));
  });
});

describe('parseConfig', () => {
  it('keeps given values and fills the rest', () => {
    const config = parseConfig(
      { server: { port: 9000 }, session: { timeouts: { listening_s: 45 } } },
      { runtime },
    );
    expect(config.server.port).toBe(9000);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.session.timeouts.listening_s).toBe(45);
    expect(config.session.timeouts.thinking_s).toBe(30);
  });

  it('treats null and undefined input, and null entries, as not set', () => {
    expect(parseConfig(null, { runtime }).server.port).toBe(8080);
    expect(parseConfig(undefined, { runtime }).server.port).toBe(8080);
    expect(
      parseConfig({ server: { public_url: null, port: null } }, { runtime }).server,
    ).not.toHaveProperty('public_url');
  });

  it('keeps an explicit instance id over the derived one', () => {
    expect(parseConfig({ deploy: { instance_id: 'edge-1' } }, { runtime }).deploy.instance_id).toBe(
      'edge-1',
    );
  });

  it('rejects a non-mapping input', () => {
    const { error, issues } = failure(() => parseConfig([1, 2]));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(issues[0]?.key).toBe('(root)');
  });

  it('lists every problem in one CONFIG_INVALID, each with key, value, source and expectation', () => {
    const { error, issues } = failure(() =>
      parseConfig(
        {
          server: { port: 70_000, hots: 'x' },
          session: { timeouts: { listening_s: 5 }, default_language: 'english!' },
          logging: { level: 'loud' },
        },
        { sources: 'inline' },
      ),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.status).toBe(500);
    expect(error.message).toMatch(/^Invalid configuration \(5 problems\):/);
    expect(error.message).toContain(
      'server.port = 70000 (from inline): expected an integer from 0 to 65535',
    );
    expect(error.message).toContain(
      'session.timeouts.listening_s = 5 (from inline): expected a number from 10 to 120',
    );
    expect(error.message).toContain(
      'server.hots = "x" (from inline): unknown key "hots" (did you mean "host"?)',
    );
    expect(error.message).toContain('session.default_language = "english!"');
    expect(error.message).toContain(
      'logging.level = "loud" (from inline): expected one of trace, debug, info',
    );
    expect(issues).toContainEqual({
      key: 'session.timeouts.listening_s',
      value: '5',
      source: 'inline',
      expected: 'expected a number from 10 to 120',
    });
    expect(issues).toHaveLength(5);
  });

  it('names the source by the longest matching key of a sources record', () => {
    const { issues } = failure(() =>
      parseConfig(
        { server: { port: -1, host: '' } },
        { sources: { server: 'base.yaml', 'server.port': 'override.yaml' } },
      ),
    );
    expect(issues.find((issue) => issue.key === 'server.port')?.source).toBe('override.yaml');
    expect(issues.find((issue) => issue.key === 'server.host')?.source).toBe('base.yaml');
  });

  it('reports wrong types with the expected type', () => {
    const { issues } = failure(() =>
      parseConfig({
        server: 'x',
        session: { interrupt_enabled: 'yes' },
        adapters: { asr: { fallbacks: 'deepgram' } },
      }),
    );
    expect(issues.map((issue) => [issue.key, issue.expected])).toEqual([
      ['server', 'expected a mapping'],
      ['session.interrupt_enabled', 'expected true or false'],
      ['adapters.asr.fallbacks', 'expected a list of provider names'],
    ]);
  });

  it('takes the embedded database’s thread as worker or main only', () => {
    expect(parseConfig({ storage: { embedded_thread: 'main' } }).storage.embedded_thread).toBe(
      'main',
    );
    const { issues } = failure(() => parseConfig({ storage: { embedded_thread: 'thread' } }));
    expect(issues.map((issue) => [issue.key, issue.expected])).toEqual([
      ['storage.embedded_thread', 'expected "worker" or "main"'],
    ]);
  });

  it('takes the embedded database thread’s nice value as a whole number from 0 to 19', () => {
    expect(parseConfig({ storage: { embedded_nice: 10 } }).storage.embedded_nice).toBe(10);
    for (const bad of [-1, 20, 2.5, 'low']) {
      const { issues } = failure(() => parseConfig({ storage: { embedded_nice: bad } }));
      expect(issues.map((issue) => issue.key)).toEqual(['storage.embedded_nice']);
    }
  });

  it('takes the embedded maintenance interval as 0 (off) or 1 s to a day, in ms', () => {
    for (const ok of [0, 1_000, 86_400_000]) {
      expect(
        parseConfig({ storage: { embedded_maintenance_ms: ok } }).storage.embedded_maintenance_ms,
      ).toBe(ok);
    }
    for (const bad of [-1, 999, 86_400_001, 1.5, 'often']) {
      const { issues } = failure(() => parseConfig({ storage: { embedded_maintenance_ms: bad } }));
      expect(issues.map((issue) => issue.key)).toEqual(['storage.embedded_maintenance_ms']);
    }
  });

  it('checks events only when observe.check_events asks (a flag, default off)', () => {
    expect(parseConfig({}, { runtime }).observe.check_events).toBe(false);
    expect(parseConfig({ observe: { check_events: true } }).observe.check_events).toBe(true);
    const { issues } = failure(() => parseConfig({ observe: { check_events: 'sometimes' } }));
    expect(issues.map((issue) => issue.key)).toEqual(['observe.check_events']);
  });

  it('reports a missing required value as not set', () => {
    const { error } = failure(() =>
      parseConfig({
        auth: { jwt: { audience: 'a', algorithm: 'HS256', hs256_secret: 'x'.repeat(32) } },
      }),
    );
    expect(error.message).toContain(
      'auth.jwt.issuer = (not set): expected the token issuer ("iss")',
    );
  });

  it('masks secrets and URL passwords in messages and details', () => {
    const { error, issues } = failure(() =>
      parseConfig({
        auth: { bootstrap_api_key: 'pk_tooshort' },
        storage: { database_url: 'mysql://admin:hunter2@db/app' },
        adapters: { providers: { Deepgram: { api_key: 'dg-secret-value' } } },
      }),
    );
    const text = `${error.message}\n${JSON.stringify(issues)}`;
    expect(text).not.toContain('pk_tooshort');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('dg-secret-value');
    expect(text).toContain('auth.bootstrap_api_key = ***');
    expect(text).toContain('mysql://admin:***@db/app');
    expect(text).toContain('{"api_key":"***"}');
  });
});

describe('production profile', () => {
  const key40 = `pk_${'a'.repeat(37)}`;

  it('requires database_url and redis_url, naming the keys and the profile', () => {
    const { issues } = failure(() =>
      parseConfig({ deploy: { profile: 'production' } }, { sources: 'prod.yaml' }),
    );
    expect(issues.map((issue) => issue.key)).toEqual(['storage.database_url', 'storage.redis_url']);
    expect(issues[0]?.value).toBe('(not set)');
    expect(issues[0]?.expected).toContain('deploy.profile is "production" (from prod.yaml)');
    expect(issues[0]?.expected).toContain('DATABASE_URL');
  });

  it('refuses a bootstrap key shorter than 40 characters', () => {
    const { issues } = failure(() =>
      parseConfig({
        deploy: { profile: 'production' },
        storage: { database_url: 'postgres://db/app', redis_url: 'redis://cache:6379' },
        auth: { bootstrap_api_key: `pk_${'a'.repeat(33)}` },
      }),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ key: 'auth.bootstrap_api_key', value: '***' });
    expect(issues[0]?.expected).toContain('at least 40 characters');
  });

  it('accepts a complete production config', () => {
    const config = parseConfig(
      {
        deploy: { profile: 'production', region: 'eu-west-1' },
        storage: { database_url: 'postgres://db/app', redis_url: 'rediss://cache:6380' },
        auth: { bootstrap_api_key: key40 },
      },
      { runtime },
    );
    expect(config.deploy.profile).toBe('production');
  });

  it('reports profile problems together with section problems', () => {
    const { issues } = failure(() =>
      parseConfig({ deploy: { profile: 'production' }, server: { port: 'http' } }),
    );
    expect(issues.map((issue) => issue.key)).toEqual([
      'server.port',
      'storage.database_url',
      'storage.redis_url',
    ]);
  });

  it('does not apply the production rules to the embedded profile', () => {
    expect(
      parseConfig({ auth: { bootstrap_api_key: `pk_${'a'.repeat(29)}` } }, { runtime }).auth
        .bootstrap_api_key,
    ).toHaveLength(32);
  });
});

describe('server.workers', () => {
  const shared = { database_url: 'postgres://db/app', redis_url: 'redis://cache:6379' };

  it('needs PostgreSQL and Redis for more than one worker, naming the keys', () => {
    const { issues } = failure(() => parseConfig({ server: { workers: 2 } }));
    expect(issues.map((issue) => issue.key)).toEqual(['storage.database_url', 'storage.redis_url']);
    expect(issues[0]?.expected).toContain('server.workers is 2');
    expect(issues[1]?.expected).toContain('REDIS_URL');
  });

  it('counts 0 (one per core) as more than one, and refuses TLS with workers', () => {
    const { issues } = failure(() =>
      parseConfig({
        server: { workers: 0, tls: { cert_file: '/c.pem', key_file: '/k.pem' } },
        storage: shared,
      }),
    );
    expect(issues.map((issue) => issue.key)).toContain('server.tls');
    expect(issues.find((i) => i.key === 'server.tls')?.expected).toContain('terminate TLS');
  });

  it('accepts workers with both stores, and refuses a count past 64', () => {
    expect(
      parseConfig({ server: { workers: 4 }, storage: shared }, { runtime }).server.workers,
    ).toBe(4);
    const { issues } = failure(() => parseConfig({ server: { workers: 65 } }));
    expect(issues[0]?.key).toBe('server.workers');
  });
});
