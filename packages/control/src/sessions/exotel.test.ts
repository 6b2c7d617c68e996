import { describe, expect, it } from 'vitest';
import { parseConfig } from '@prx-voice/core';
import { exotelSettings, exotelStreamToken, exotelStreamUrl, isFromExotel } from './exotel.js';

const runtime = { hostname: 'test', pid: 1 };
const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function settings(exotel: Record<string, unknown>, publicUrl = 'https://voice.example.com/base/') {
  const config = parseConfig(
    {
      server: { public_url: publicUrl },
      telephony: { exotel: { tenant: 'default', api_key: 'k', api_token: 't', ...exotel } },
    },
    { runtime },
  );
  const s = exotelSettings(config);
  if (s === undefined) throw new Error('exotel off');
  return s;
}

describe('Exotel on the server', () => {
  it('builds the stream URL Exotel is told to open: session, tenant, token, rate', () => {
    const row = { id: 'sess_1', tenant_id: 'ten_1' };
    const narrow = new URL(exotelStreamUrl(settings({}), row));
    expect(`${narrow.origin}${narrow.pathname}`).toBe(
      'wss://voice.example.com/base/telephony/exotel/stream',
    );
    expect(Object.fromEntries(narrow.searchParams)).toEqual({
      session_id: 'sess_1',
      tenant_id: 'ten_1',
      stream_token: exotelStreamToken('t', 'sess_1'),
    });
    const wide = new URL(exotelStreamUrl(settings({ sample_rate: 16000 }), row));
    expect(wide.searchParams.get('sample-rate')).toBe('16000');
  });

  it('takes Exotel by its Basic credentials or an allowed address', () => {
    const s = settings({ allowed_ips: ['203.0.113.0/24'] });
    expect(isFromExotel(s, { authorization: basic('k', 't') }, '198.51.100.1')).toBe(true);
    expect(isFromExotel(s, {}, '::ffff:203.0.113.9')).toBe(true);
    expect(isFromExotel(s, { authorization: basic('k', 'x') }, '198.51.100.1')).toBe(false);
    expect(isFromExotel(s, {}, undefined)).toBe(false);
  });

  it('is off without telephony.exotel and needs server.public_url', () => {
    expect(exotelSettings(parseConfig({}, { runtime }))).toBeUndefined();
    const config = parseConfig(
      { telephony: { exotel: { tenant: 'default', api_key: 'k', api_token: 't' } } },
      { runtime },
    );
    expect(() => exotelSettings(config)).toThrow(/server\.public_url/);
  });
});
