import { describe, expect, it } from 'vitest';
import { createTelnyxSigner } from '../testing/telnyx-client.js';
import { isTelnyxPublicKey, telnyxPublicKey, verifyTelnyxSignature } from './signature.js';

const NOW_S = 1_790_000_000;
const body = '{"data":{"event_type":"call.initiated","payload":{"to":"+13122123456"}}}';

describe('Telnyx webhook signatures (Ed25519 over "timestamp|body")', () => {
  const signer = createTelnyxSigner();
  const publicKey = telnyxPublicKey(signer.publicKey);
  const check = (headers: Record<string, string>, text = body, nowS = NOW_S) =>
    verifyTelnyxSignature({
      publicKey,
      signature: headers['telnyx-signature-ed25519'],
      timestamp: headers['telnyx-timestamp'],
      body: text,
      nowMs: nowS * 1000,
    });

  it('accepts a signature of the exact body within the tolerance', () => {
    expect(check(signer.headers(body, NOW_S))).toEqual({ kind: 'valid' });
    expect(check(signer.headers(body, NOW_S - 299))).toEqual({ kind: 'valid' });
    expect(check(signer.headers(body, NOW_S), body, NOW_S + 300)).toEqual({ kind: 'valid' });
  });

  it('refuses another body, another key, a stale timestamp and missing headers', () => {
    const headers = signer.headers(body, NOW_S);
    expect(check(headers, `${body} `)).toEqual({ kind: 'invalid', reason: 'mismatch' });
    expect(check(createTelnyxSigner().headers(body, NOW_S))).toEqual({
      kind: 'invalid',
      reason: 'mismatch',
    });
    // The timestamp is signed: moving it breaks the signature.
    expect(check({ ...headers, 'telnyx-timestamp': String(NOW_S + 1) })).toEqual({
      kind: 'invalid',
      reason: 'mismatch',
    });
    expect(check(signer.headers(body, NOW_S - 301))).toEqual({ kind: 'invalid', reason: 'stale' });
    expect(check({})).toEqual({ kind: 'invalid', reason: 'missing' });
    expect(check({ 'telnyx-signature-ed25519': 'AAAA', 'telnyx-timestamp': 'soon' })).toEqual({
      kind: 'invalid',
      reason: 'missing',
    });
    expect(
      check({ 'telnyx-signature-ed25519': 'AAAA', 'telnyx-timestamp': String(NOW_S) }),
    ).toEqual({ kind: 'invalid', reason: 'mismatch' });
  });

  it('reads public keys as base64 of 32 raw bytes only', () => {
    expect(isTelnyxPublicKey(signer.publicKey)).toBe(true);
    expect(isTelnyxPublicKey('c2hvcnQ=')).toBe(false);
    expect(() => telnyxPublicKey('not a key')).toThrow(/32 bytes/);
  });
});
