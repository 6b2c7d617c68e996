import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from './config-issue.js';
import { parseConfig } from './parse-config.js';

const runtime = { hostname: 'test', pid: 1 };

function issuesOf(input: unknown): ConfigIssue[] {
  try {
    parseConfig(input, { runtime });
  } catch (error) {
    if (VoiceError.is(error) && error.code === 'CONFIG_INVALID')
      return error.details['issues'] as ConfigIssue[];
    throw error;
  }
  return [];
}

function keysOf(input: unknown): string[] {
  return issuesOf(input).map((issue) => issue.key);
}

describe('session timeouts', () => {
  const ranges: ReadonlyArray<readonly [string, number, number]> = [
    ['idle_s', 10, 3_600],
    ['connecting_s', 5, 30],
    ['listening_s', 10, 120],
    ['max_utterance_s', 10, 300],
    ['asr_s', 5, 30],
    ['thinking_s', 10, 60],
    ['speaking_s', 30, 600],
    ['interrupted_s', 1, 30],
    ['paused_s', 60, 1_800],
    ['handoff_s', 30, 600],
  ];

  it.each(ranges)('%s accepts %d to %d and nothing outside', (name, min, max) => {
    const at = (value: unknown): unknown => ({ session: { timeouts: { [name]: value } } });
    expect(keysOf(at(min))).toEqual([]);
    expect(keysOf(at(max))).toEqual([]);
    expect(keysOf(at(min - 0.5))).toEqual([`session.timeouts.${name}`]);
    expect(keysOf(at(max + 0.5))).toEqual([`session.timeouts.${name}`]);
    expect(issuesOf(at(String(min)))[0]?.expected).toBe(`expected a number from ${min} to ${max}`);
  });
});

describe('server', () => {
  it('needs both TLS files or neither', () => {
    expect(keysOf({ server: { tls: { cert_file: 'c.pem' } } })).toEqual(['server.tls.key_file']);
    expect(issuesOf({ server: { tls: {} } }).map((issue) => issue.expected)).toEqual([
      'expected a file path (server.tls needs both cert_file and key_file)',
      'expected a file path (server.tls needs both cert_file and key_file)',
    ]);
    expect(
      parseConfig({ server: { tls: { cert_file: 'c.pem', key_file: 'k.pem' } } }, { runtime })
        .server.tls,
    ).toEqual({
      cert_file: 'c.pem',
      key_file: 'k.pem',
    });
  });

  it('shows TLS key file paths (a path is not a secret)', () => {
    expect(issuesOf({ server: { tls: { cert_file: 'c.pem', key_file: 7 } } })[0]?.value).toBe('7');
  });

  it('checks CORS origins and refuses "*" with credentials', () => {
    expect(
      keysOf({
        server: { cors: { origins: ['https://app.example.com', '*', 'http://localhost:5173'] } },
      }),
    ).toEqual([]);
    expect(
      keysOf({ server: { cors: { origins: ['https://app.example.com/', 'app.example.com'] } } }),
    ).toEqual(['server.cors.origins[0]', 'server.cors.origins[1]']);
    expect(
      issuesOf({ server: { cors: { origins: ['*'], allow_credentials: true } } })[0]?.expected,
    ).toContain('browsers refuse "*"');
  });

  it('checks public_url is an http(s) URL', () => {
    expect(keysOf({ server: { public_url: 'https://voice.example.com' } })).toEqual([]);
    expect(keysOf({ server: { public_url: 'voice.example.com' } })).toEqual(['server.public_url']);
    expect(keysOf({ server: { public_url: 'ftp://voice.example.com' } })).toEqual([
      'server.public_url',
    ]);
  });

  it('bounds the port', () => {
    expect(keysOf({ server: { port: 0 } })).toEqual([]);
    expect(keysOf({ server: { port: 65_535 } })).toEqual([]);
    expect(keysOf({ server: { port: 80.5 } })).toEqual(['server.port']);
  });
});

describe('session', () => {
  it('checks the language tag loosely', () => {
    for (const tag of ['en', 'en-US', 'zh-Hant-TW', 'yue', 'es-419'])
      expect(keysOf({ session: { default_language: tag } })).toEqual([]);
    for (const tag of ['', 'e', 'en_US', 'english', 'en-']) {
      expect(keysOf({ session: { default_language: tag } })).toEqual(['session.default_language']);
    }
  });

  it('bounds the interruption policy', () => {
    expect(keysOf({ session: { interruption: { min_speech_ms: -1, min_words: 1.5 } } })).toEqual([
      'session.interruption.min_speech_ms',
      'session.interruption.min_words',
    ]);
    expect(
      keysOf({
        session: { interruption: { duck_gain: 2, backchannels: { en: [''], x_y: ['ok'] } } },
      }),
    ).toEqual([
      'session.interruption.duck_gain',
      'session.interruption.backchannels.en[0]',
      'session.interruption.backchannels.x_y',
    ]);
  });

  it('bounds endpointing and keeps max above min', () => {
    expect(
      keysOf({ session: { endpointing: { min_delay_ms: -5, speculative: 'maybe' } } }),
    ).toEqual(['session.endpointing.min_delay_ms', 'session.endpointing.speculative']);
    expect(keysOf({ session: { endpointing: { min_delay_ms: 900, max_delay_ms: 500 } } })).toEqual([
      'session.endpointing.max_delay_ms',
    ]);
  });

  it('bounds dtmf: one key or none as terminator, timeout and length in range', () => {
    expect(
      keysOf({
        session: { dtmf: { terminator: '##', inter_digit_timeout_ms: 100, max_digits: 65 } },
      }),
    ).toEqual([
      'session.dtmf.terminator',
      'session.dtmf.inter_digit_timeout_ms',
      'session.dtmf.max_digits',
    ]);
    expect(keysOf({ session: { dtmf: { terminator: 'none' } } })).toEqual([]);
  });
});

describe('adapters', () => {
  it('accepts provider chains with options and shared provider settings', () => {
    const config = parseConfig(
      {
        adapters: {
          asr: {
            provider: 'deepgram',
            fallbacks: ['openai', 'mock'],
            options: { model: 'nova-3' },
          },
          providers: { deepgram: { api_key: 'x', base_url: 'https://api.deepgram.com' } },
          vad: { provider: 'silero', threshold: 0.6 },
        },
      },
      { runtime },
    );
    expect(config.adapters.asr.fallbacks).toEqual(['openai', 'mock']);
    expect(config.adapters.providers['deepgram']).toEqual({
      api_key: 'x',
      base_url: 'https://api.deepgram.com',
    });
    expect(config.adapters.vad).toMatchObject({ provider: 'silero', threshold: 0.6 });
  });

  it('refuses a provider twice in one chain', () => {
    expect(
      keysOf({ adapters: { tts: { provider: 'eleven', fallbacks: ['mock', 'eleven', 'mock'] } } }),
    ).toEqual(['adapters.tts.fallbacks[1]', 'adapters.tts.fallbacks[2]']);
  });

  it('refuses unknown VAD providers and out-of-range thresholds', () => {
    expect(
      keysOf({ adapters: { vad: { provider: 'webrtc', threshold: 2, max_dip_ms: -1 } } }),
    ).toEqual(['adapters.vad.provider', 'adapters.vad.threshold', 'adapters.vad.max_dip_ms']);
  });

  it('takes auto, energy and silero as the VAD provider', () => {
    for (const provider of ['auto', 'energy', 'silero']) {
      expect(
        parseConfig({ adapters: { vad: { provider } } }, { runtime }).adapters.vad.provider,
      ).toBe(provider);
    }
  });

  it('refuses provider names that environment overrides could not reach', () => {
    expect(
      keysOf({ adapters: { providers: { OpenAI: {} }, agent: { provider: 'Open AI' } } }),
    ).toEqual(['adapters.agent.provider', 'adapters.providers.OpenAI']);
  });
});

describe('storage', () => {
  it('checks URL schemes', () => {
    expect(
      keysOf({
        storage: { database_url: 'postgresql://u:p@db:5432/app', redis_url: 'redis://cache' },
      }),
    ).toEqual([]);
    expect(
      keysOf({ storage: { database_url: 'mysql://db/app', redis_url: 'cache:6379' } }),
    ).toEqual(['storage.database_url', 'storage.redis_url']);
  });

  it('requires a bucket for s3', () => {
    const issues = issuesOf({ storage: { object_store: { kind: 's3' } } });
    expect(issues.map((issue) => issue.key)).toEqual(['storage.object_store.bucket']);
    expect(issues[0]?.expected).toContain('requires storage.object_store.bucket');
    expect(
      keysOf({
        storage: {
          object_store: {
            kind: 's3',
            bucket: 'rec',
            endpoint: 'http://minio:9000',
            force_path_style: true,
          },
        },
      }),
    ).toEqual([]);
  });
});

describe('auth', () => {
  it('checks the bootstrap key prefix, length and whitespace', () => {
    expect(keysOf({ auth: { bootstrap_api_key: `pk_${'a'.repeat(29)}` } })).toEqual([]);
    expect(keysOf({ auth: { bootstrap_api_key: `pk_${'a'.repeat(28)}` } })).toEqual([
      'auth.bootstrap_api_key',
    ]);
    expect(keysOf({ auth: { bootstrap_api_key: `sk_${'a'.repeat(40)}` } })).toEqual([
      'auth.bootstrap_api_key',
    ]);
    expect(
      keysOf({ auth: { bootstrap_api_key: `pk_${'a'.repeat(20)} ${'b'.repeat(20)}` } }),
    ).toEqual(['auth.bootstrap_api_key']);
  });

  it('requires an HS256 secret for HS256 and nothing asymmetric', () => {
    const jwt = { issuer: 'https://id.example.com', audience: 'prx-voice', algorithm: 'HS256' };
    expect(keysOf({ auth: { jwt } })).toEqual(['auth.jwt.hs256_secret']);
    expect(keysOf({ auth: { jwt: { ...jwt, hs256_secret: 'short' } } })).toEqual([
      'auth.jwt.hs256_secret',
    ]);
    expect(
      keysOf({
        auth: {
          jwt: { ...jwt, hs256_secret: 's'.repeat(32), jwks_url: 'https://id.example.com/jwks' },
        },
      }),
    ).toEqual(['auth.jwt.jwks_url']);
    const config = parseConfig(
      { auth: { jwt: { ...jwt, hs256_secret: 's'.repeat(32) } } },
      { runtime },
    );
    expect(config.auth.jwt).toMatchObject({
      tenant_claim: 'tenant_id',
      role_claim: 'role',
      clock_tolerance_s: 5,
    });
  });

  it('requires public keys or a JWKS URL, not both, for asymmetric algorithms', () => {
    const jwt = { issuer: 'i', audience: 'a', algorithm: 'RS256' };
    expect(keysOf({ auth: { jwt } })).toEqual(['auth.jwt.public_keys']);
    expect(
      keysOf({
        auth: { jwt: { ...jwt, jwks_url: 'https://id.example.com/.well-known/jwks.json' } },
      }),
    ).toEqual([]);
    expect(keysOf({ auth: { jwt: { ...jwt, jwks_url: 'http://localhost:8081/jwks' } } })).toEqual(
      [],
    );
    expect(keysOf({ auth: { jwt: { ...jwt, jwks_url: 'http://id.example.com/jwks' } } })).toEqual([
      'auth.jwt.jwks_url',
    ]);
    expect(
      keysOf({
        auth: { jwt: { ...jwt, jwks_url: 'https://x.example/j', hs256_secret: 's'.repeat(32) } },
      }),
    ).toEqual(['auth.jwt.hs256_secret']);
    expect(keysOf({ auth: { jwt: { ...jwt, public_keys: [] } } })).toEqual([
      'auth.jwt.public_keys',
    ]);
    expect(
      keysOf({ auth: { jwt: { ...jwt, algorithm: 'none', jwks_url: 'https://x.example/j' } } }),
    ).toEqual(['auth.jwt.algorithm']);
  });
});

describe('limits, logging, features, deploy', () => {
  it('bounds limits and rate limits', () => {
    expect(
      keysOf({
        limits: {
          max_body_bytes: 10,
          rate_limit: { per_tenant: { requests_per_second: 0, burst: 0 } },
        },
      }),
    ).toEqual([
      'limits.max_body_bytes',
      'limits.rate_limit.per_tenant.requests_per_second',
      'limits.rate_limit.per_tenant.burst',
    ]);
    const config = parseConfig(
      { limits: { rate_limit: { per_credential: { burst: 5 } } } },
      { runtime },
    );
    expect(config.limits.rate_limit.per_credential).toEqual({ requests_per_second: 20, burst: 5 });
    expect(config.limits.rate_limit.per_tenant).toEqual({ requests_per_second: 100, burst: 200 });
  });

  it('checks logging enums', () => {
    expect(keysOf({ logging: { level: 'silent', format: 'pretty', redaction: 'strict' } })).toEqual(
      [],
    );
    expect(keysOf({ logging: { format: 'xml', redaction: 'all' } })).toEqual([
      'logging.format',
      'logging.redaction',
    ]);
  });

  it('checks flag definitions', () => {
    expect(
      keysOf({ features: { semantic_vad: { enabled: true, tenants: ['t1'], percentage: 12.5 } } }),
    ).toEqual([]);
    expect(
      keysOf({ features: { a: { percentage: 101 }, b: { enabled: true, extra: 1 } } }),
    ).toEqual(['features.a.enabled', 'features.a.percentage', 'features.b.extra']);
  });

  it('checks the deploy section', () => {
    expect(
      keysOf({ deploy: { profile: 'staging', instance_id: 'has space', region: 'EU West' } }),
    ).toEqual(['deploy.profile', 'deploy.instance_id', 'deploy.region']);
  });
});

describe('session audio and deploy recovery', () => {
  it('takes only the rates the engine runs at', () => {
    expect(keysOf({ session: { audio: { input_rate: 8000, output_rate: 48000 } } })).toEqual([]);
    const issues = issuesOf({ session: { audio: { input_rate: 24000, output_rate: 22050 } } });
    expect(issues.map((i) => [i.key, i.expected])).toEqual([
      ['session.audio.input_rate', 'expected one of 8000, 16000'],
      ['session.audio.output_rate', 'expected one of 8000, 16000, 24000, 48000'],
    ]);
  });

  it('bounds the heartbeat lifetime and the sweep interval', () => {
    expect(keysOf({ deploy: { instance_ttl_ms: 1_000, recovery_interval_ms: 500 } })).toEqual([]);
    expect(keysOf({ deploy: { instance_ttl_ms: 999, recovery_interval_ms: 300_001 } })).toEqual([
      'deploy.instance_ttl_ms',
      'deploy.recovery_interval_ms',
    ]);
  });
});
