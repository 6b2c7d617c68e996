import { describe, expect, it } from 'vitest';
import { parseConfig } from '@prx-voice/core';
import { twilioSettings } from './twilio.js';

const runtime = { hostname: 'test', pid: 1 };
const server = { public_url: 'https://voice.example.com' };
const ACCOUNT = `AC${'0'.repeat(32)}`;

describe('twilioSettings', () => {
  it('reads telephony.twilio', () => {
    const warnings: string[] = [];
    const config = parseConfig(
      {
        server,
        telephony: { twilio: { tenant: 'default', auth_token: 's', account_sid: ACCOUNT } },
      },
      { runtime },
    );
    expect(twilioSettings(config, {}, (m) => warnings.push(m))).toMatchObject({
      tenant: 'default',
      authToken: 's',
      accountSid: ACCOUNT,
      apiBaseUrl: 'https://api.twilio.com',
    });
    expect(warnings).toEqual([]);
  });

  it('still reads adapters.providers.twilio, with a deprecation warning', () => {
    const warnings: string[] = [];
    const config = parseConfig(
      { server, adapters: { providers: { twilio: { tenant: 'default', auth_token: 's' } } } },
      { runtime },
    );
    expect(twilioSettings(config, {}, (m) => warnings.push(m))).toMatchObject({
      tenant: 'default',
    });
    expect(warnings).toEqual([
      'adapters.providers.twilio is deprecated: move these settings to telephony.twilio (same keys)',
    ]);
  });

  it('takes the auth token from TWILIO_AUTH_TOKEN and is off without a tenant', () => {
    const config = parseConfig(
      { server, telephony: { twilio: { tenant: 'default' } } },
      { runtime },
    );
    expect(twilioSettings(config, { TWILIO_AUTH_TOKEN: 'env' })?.authToken).toBe('env');
    expect(
      twilioSettings(parseConfig({ server }, { runtime }), { TWILIO_AUTH_TOKEN: 'env' }),
    ).toBeUndefined();
  });
});
