import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import type { ConfigIssue } from './config-issue.js';
import { loadConfig } from './load-config.js';
import { parseConfig } from './parse-config.js';

const runtime = { hostname: 'test', pid: 1 };
const PUBLIC_KEY = Buffer.alloc(32, 7).toString('base64');

function keysOf(input: unknown): string[] {
  try {
    parseConfig(input, { runtime });
  } catch (error) {
    if (VoiceError.is(error) && error.code === 'CONFIG_INVALID')
      return (error.details['issues'] as ConfigIssue[]).map((issue) => issue.key);
    throw error;
  }
  return [];
}

describe('the telephony section', () => {
  it('is empty by default: no carrier beyond Twilio is on', () => {
    expect(parseConfig({}, { runtime }).telephony).toEqual({});
  });

  it('takes Telnyx with its defaults', () => {
    const config = parseConfig(
      { telephony: { telnyx: { tenant: 'default', public_key: PUBLIC_KEY, api_key: 'KEY01' } } },
      { runtime },
    );
    expect(config.telephony.telnyx).toEqual({
      tenant: 'default',
      public_key: PUBLIC_KEY,
      api_key: 'KEY01',
      codec: 'PCMU',
      signature_tolerance_s: 300,
      api_base_url: 'https://api.telnyx.com',
    });
  });

  it('names each bad Telnyx key', () => {
    expect(
      keysOf({
        telephony: {
          telnyx: {
            tenant: '',
            public_key: 'c2hvcnQ=',
            codec: 'OPUS',
            signature_tolerance_s: 0,
            region: 'eu',
          },
        },
      }).sort(),
    ).toEqual([
      'telephony.telnyx.api_key',
      'telephony.telnyx.codec',
      'telephony.telnyx.public_key',
      'telephony.telnyx.region',
      'telephony.telnyx.signature_tolerance_s',
      'telephony.telnyx.tenant',
    ]);
    expect(keysOf({ telephony: { bandwidth: {} } })).toEqual(['telephony.bandwidth']);
  });

  it('takes Plivo and Vonage with their defaults', () => {
    const config = parseConfig(
      {
        telephony: {
          plivo: { tenant: 'default', auth_token: 'TOKEN01' },
          vonage: { tenant: 'default', signature_secret: 'SECRET01' },
        },
      },
      { runtime },
    );
    expect(config.telephony.plivo).toEqual({
      tenant: 'default',
      auth_token: 'TOKEN01',
      content_type: 'audio/x-mulaw;rate=8000',
      api_base_url: 'https://api.plivo.com',
    });
    expect(config.telephony.vonage).toEqual({
      tenant: 'default',
      signature_secret: 'SECRET01',
      content_type: 'audio/l16;rate=16000',
      signature_tolerance_s: 300,
      api_base_url: 'https://api.nexmo.com',
    });
  });

  it('names each bad Plivo and Vonage key', () => {
    expect(
      keysOf({
        telephony: {
          plivo: { tenant: '', content_type: 'audio/x-alaw;rate=8000', auth_id: '' },
          vonage: {
            signature_secret: '',
            content_type: 'audio/l16;rate=24000',
            signature_tolerance_s: 0,
            api_secret: 'x',
            private_key: 'not a key',
          },
        },
      }).sort(),
    ).toEqual([
      'telephony.plivo.auth_id',
      'telephony.plivo.auth_token',
      'telephony.plivo.content_type',
      'telephony.plivo.tenant',
      'telephony.vonage.api_secret',
      'telephony.vonage.content_type',
      'telephony.vonage.private_key',
      'telephony.vonage.signature_secret',
      'telephony.vonage.signature_tolerance_s',
      'telephony.vonage.tenant',
    ]);
  });

  it('takes the REST settings of outbound Plivo and Vonage calls', () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const config = parseConfig(
      {
        telephony: {
          plivo: { tenant: 'default', auth_token: 'T', auth_id: 'MAXXXXXXXXXXXXXXXXXX' },
          vonage: {
            tenant: 'default',
            signature_secret: 'S',
            application_id: 'app-1',
            private_key: pem,
            api_base_url: 'http://127.0.0.1:9999',
          },
        },
      },
      { runtime },
    );
    expect(config.telephony.plivo?.auth_id).toBe('MAXXXXXXXXXXXXXXXXXX');
    expect(config.telephony.vonage).toMatchObject({
      private_key: pem,
      api_base_url: 'http://127.0.0.1:9999',
    });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(
      keysOf({
        telephony: {
          vonage: { tenant: 't', signature_secret: 'S', application_id: 'a', private_key: ec },
        },
      }),
    ).toEqual(['telephony.vonage.private_key']);
    expect(
      keysOf({ telephony: { vonage: { tenant: 't', signature_secret: 'S', private_key: pem } } }),
    ).toEqual(['telephony.vonage.application_id']);
  });

  it('is set from the environment too', () => {
    const config = loadConfig({
      env: {
        PRX_VOICE_TELEPHONY__TELNYX__TENANT: 'default',
        PRX_VOICE_TELEPHONY__TELNYX__PUBLIC_KEY: PUBLIC_KEY,
        PRX_VOICE_TELEPHONY__TELNYX__API_KEY: 'KEY01',
        PRX_VOICE_TELEPHONY__TELNYX__CODEC: 'PCMA',
      },
      cwd: '/nonexistent',
      runtime,
    });
    expect(config.telephony.telnyx).toMatchObject({ tenant: 'default', codec: 'PCMA' });
    const carriers = loadConfig({
      env: {
        PRX_VOICE_TELEPHONY__PLIVO__TENANT: 'default',
        PRX_VOICE_TELEPHONY__PLIVO__AUTH_TOKEN: 'TOKEN01',
        PRX_VOICE_TELEPHONY__PLIVO__CONTENT_TYPE: 'audio/x-l16;rate=16000',
        PRX_VOICE_TELEPHONY__VONAGE__TENANT: 'default',
        PRX_VOICE_TELEPHONY__VONAGE__SIGNATURE_SECRET: 'SECRET01',
        PRX_VOICE_TELEPHONY__VONAGE__CONTENT_TYPE: 'audio/l16;rate=8000',
      },
      cwd: '/nonexistent',
      runtime,
    }).telephony;
    expect(carriers.plivo).toMatchObject({ content_type: 'audio/x-l16;rate=16000' });
    expect(carriers.vonage).toMatchObject({ content_type: 'audio/l16;rate=8000' });
  });
});

describe('telephony.exotel', () => {
  it('takes Exotel with its defaults, and its keys from the environment', () => {
    const config = parseConfig(
      { telephony: { exotel: { tenant: 'default', api_key: 'k', api_token: 't' } } },
      { runtime },
    );
    expect(config.telephony.exotel).toEqual({
      tenant: 'default',
      api_key: 'k',
      api_token: 't',
      allowed_ips: [],
      sample_rate: 8000,
      api_base_url: 'https://api.exotel.com',
    });
    const fromEnv = loadConfig({
      env: {
        PRX_VOICE_TELEPHONY__EXOTEL__TENANT: 'default',
        PRX_VOICE_TELEPHONY__EXOTEL__API_KEY: 'k',
        PRX_VOICE_TELEPHONY__EXOTEL__API_TOKEN: 't',
        PRX_VOICE_TELEPHONY__EXOTEL__ALLOWED_IPS: '203.0.113.7, 198.51.100.0/24',
        PRX_VOICE_TELEPHONY__EXOTEL__SAMPLE_RATE: '16000',
        PRX_VOICE_TELEPHONY__EXOTEL__ACCOUNT_SID: 'prxvoice1',
        PRX_VOICE_TELEPHONY__EXOTEL__API_BASE_URL: 'https://api.in.exotel.com',
      },
      runtime,
    });
    expect(fromEnv.telephony.exotel).toMatchObject({
      allowed_ips: ['203.0.113.7', '198.51.100.0/24'],
      sample_rate: 16000,
      account_sid: 'prxvoice1',
      api_base_url: 'https://api.in.exotel.com',
    });
  });

  it('names each bad Exotel key', () => {
    expect(
      keysOf({
        telephony: {
          exotel: {
            tenant: 'default',
            api_key: '',
            allowed_ips: ['10.0.0.0/40', 'x'],
            sample_rate: 24000,
            account_sid: 'a/b',
            api_base_url: 'ftp://exotel',
          },
        },
      }).sort(),
    ).toEqual([
      'telephony.exotel.account_sid',
      'telephony.exotel.allowed_ips[0]',
      'telephony.exotel.allowed_ips[1]',
      'telephony.exotel.api_base_url',
      'telephony.exotel.api_key',
      'telephony.exotel.api_token',
      'telephony.exotel.sample_rate',
    ]);
  });
});

describe('telephony.twilio', () => {
  it('takes Twilio with its defaults and names bad keys', () => {
    const config = parseConfig(
      { telephony: { twilio: { tenant: 'default', auth_token: 'secret' } } },
      { runtime },
    );
    expect(config.telephony.twilio).toEqual({
      tenant: 'default',
      auth_token: 'secret',
      api_base_url: 'https://api.twilio.com',
      request_timeout_ms: 10_000,
    });
    expect(
      keysOf({
        telephony: { twilio: { tenant: 'default', account_sid: 'AC1', caller_id: '555' } },
      }).sort(),
    ).toEqual(['telephony.twilio.account_sid', 'telephony.twilio.caller_id']);
  });
});
