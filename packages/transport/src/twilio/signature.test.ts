import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { twilioSignature, verifyTwilioSignature } from './signature.js';

// The example of Twilio's webhook-security documentation.
const DOC_TOKEN = '12345';
const DOC_URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const DOC_PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+12349013030',
  Digits: '1234',
  From: '+12349013030',
  To: '+18005551212',
};
const DOC_SIGNATURE = '0/KCTR6DLpKmkAf8muzZqo1nDgQ=';

/** The documented algorithm, spelled out independently: URL + sorted name/value pairs, HMAC-SHA1, base64. */
function independent(token: string, url: string, pairs: [string, string][]): string {
  const data =
    url +
    [...pairs]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => k + v)
      .join('');
  return createHmac('sha1', Buffer.from(token, 'utf8'))
    .update(Buffer.from(data, 'utf8'))
    .digest('base64');
}

describe('twilioSignature', () => {
  it('matches the example of Twilio’s documentation', () => {
    expect(twilioSignature(DOC_TOKEN, DOC_URL, DOC_PARAMS)).toBe(DOC_SIGNATURE);
    expect(independent(DOC_TOKEN, DOC_URL, Object.entries(DOC_PARAMS))).toBe(DOC_SIGNATURE);
  });

  it('matches an independent computation for a voice webhook', () => {
    const token = 'f3a1c2b4d5e6f7081928374655647382';
    const url = 'https://voice.example.com/telephony/twilio/voice';
    const params = {
      AccountSid: 'AC00000000000000000000000000000001',
      ApiVersion: '2010-04-01',
      CallSid: 'CA00000000000000000000000000000001',
      CallStatus: 'ringing',
      Direction: 'inbound',
      From: '+14155550100',
      To: '+14155550199',
      CallerName: 'Zoë & Co <test>',
    };
    const expected = independent(token, url, Object.entries(params));
    expect(twilioSignature(token, url, params)).toBe(expected);
    expect(twilioSignature(token, url, new URLSearchParams(params))).toBe(expected);
  });

  it('sorts by name whatever the input order, and signs the bare URL without params', () => {
    const reversed = Object.fromEntries(Object.entries(DOC_PARAMS).reverse());
    expect(twilioSignature(DOC_TOKEN, DOC_URL, reversed)).toBe(DOC_SIGNATURE);
    expect(twilioSignature('t', 'https://a.example/x?y=1')).toBe(
      independent('t', 'https://a.example/x?y=1', []),
    );
  });

  it('appends every value of a repeated name', () => {
    const pairs: [string, string][] = [
      ['Tag', 'b'],
      ['Tag', 'a'],
      ['Body', 'hi'],
    ];
    const expected = independent('t', 'https://a.example/', [
      ['Body', 'hi'],
      ['Tag', 'a'],
      ['Tag', 'b'],
    ]);
    expect(twilioSignature('t', 'https://a.example/', { Tag: ['b', 'a'], Body: 'hi' })).toBe(
      expected,
    );
    expect(twilioSignature('t', 'https://a.example/', new URLSearchParams(pairs))).toBe(expected);
  });
});

describe('verifyTwilioSignature', () => {
  const base = { authToken: DOC_TOKEN, url: DOC_URL, params: DOC_PARAMS };

  it('accepts the right signature', () => {
    expect(verifyTwilioSignature({ ...base, signature: DOC_SIGNATURE })).toBe(true);
  });

  it('refuses a wrong, truncated, missing or empty signature, a changed param, URL or token', () => {
    expect(verifyTwilioSignature({ ...base, signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' })).toBe(
      false,
    );
    expect(verifyTwilioSignature({ ...base, signature: DOC_SIGNATURE.slice(0, 10) })).toBe(false);
    expect(verifyTwilioSignature({ ...base, signature: undefined })).toBe(false);
    expect(verifyTwilioSignature({ ...base, signature: '' })).toBe(false);
    expect(
      verifyTwilioSignature({
        ...base,
        params: { ...DOC_PARAMS, Digits: '1235' },
        signature: DOC_SIGNATURE,
      }),
    ).toBe(false);
    expect(
      verifyTwilioSignature({ ...base, url: `${DOC_URL}&x=1`, signature: DOC_SIGNATURE }),
    ).toBe(false);
    expect(verifyTwilioSignature({ ...base, authToken: '54321', signature: DOC_SIGNATURE })).toBe(
      false,
    );
    expect(verifyTwilioSignature({ ...base, authToken: '', signature: DOC_SIGNATURE })).toBe(false);
  });

  it('accepts the URL with its default port added or removed', () => {
    const withPort = 'https://mycompany.com:443/myapp.php?foo=1&bar=2';
    const signedWithPort = twilioSignature(DOC_TOKEN, withPort, DOC_PARAMS);
    expect(verifyTwilioSignature({ ...base, signature: signedWithPort })).toBe(true);
    expect(verifyTwilioSignature({ ...base, url: withPort, signature: DOC_SIGNATURE })).toBe(true);
    const otherPort = twilioSignature(
      DOC_TOKEN,
      'https://mycompany.com:8443/myapp.php?foo=1&bar=2',
      DOC_PARAMS,
    );
    expect(verifyTwilioSignature({ ...base, signature: otherPort })).toBe(false);
    const http = twilioSignature(DOC_TOKEN, 'http://h.example:80/v', {});
    expect(
      verifyTwilioSignature({ authToken: DOC_TOKEN, url: 'http://h.example/v', signature: http }),
    ).toBe(true);
  });
});
