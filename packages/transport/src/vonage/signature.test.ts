import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createVonageSigner } from '../testing/vonage-client.js';
import { verifyVonageSignature, vonagePayloadHash } from './signature.js';

const SECRET = 'signature-secret-0123456789abcdef';
const BODY = JSON.stringify({ from: '447700900000', to: '447700900001', uuid: 'abc' });
const NOW_MS = 1_767_225_600_000;

const check = (authorization: string | undefined, body = BODY, applicationId?: string) =>
  verifyVonageSignature({
    signatureSecret: SECRET,
    authorization,
    body,
    nowMs: NOW_MS,
    applicationId,
  });

describe('Vonage signed webhooks', () => {
  it('accepts an HS256 JWT with the body hash, checked by hand', () => {
    const auth = createVonageSigner(SECRET, 'app-1').headers(BODY, NOW_MS / 1000).authorization;
    const [head, payload, signature] = (auth ?? '').slice('Bearer '.length).split('.');
    expect(
      createHmac('sha256', SECRET)
        .update(`${head ?? ''}.${payload ?? ''}`)
        .digest('base64url'),
    ).toBe(signature);
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(claims['payload_hash']).toBe(vonagePayloadHash(BODY));
    expect(check(auth)).toMatchObject({ kind: 'valid', claims: { iss: 'Vonage' } });
    expect(check(auth, BODY, 'app-1').kind).toBe('valid');
    // A GET answer webhook: no body, no payload_hash.
    expect(
      check(createVonageSigner(SECRET).headers('', NOW_MS / 1000).authorization, '').kind,
    ).toBe('valid');
  });

  it('refuses a missing, forged, stale, tampered or foreign token', () => {
    const signer = createVonageSigner(SECRET, 'app-1');
    const now = NOW_MS / 1000;
    expect(check(undefined)).toEqual({ kind: 'invalid', reason: 'missing' });
    expect(check('Basic abc')).toEqual({ kind: 'invalid', reason: 'missing' });
    expect(check('Bearer a.b')).toEqual({ kind: 'invalid', reason: 'malformed' });
    expect(check(createVonageSigner('other').headers(BODY, now).authorization)).toEqual({
      kind: 'invalid',
      reason: 'mismatch',
    });
    expect(check(signer.headers(BODY, now - 3600).authorization)).toEqual({
      kind: 'invalid',
      reason: 'stale',
    });
    expect(check(signer.headers(BODY, now).authorization, `${BODY} `)).toEqual({
      kind: 'invalid',
      reason: 'payload',
    });
    // A body with a token that carries no hash of it.
    expect(check(signer.headers('', now).authorization, BODY)).toEqual({
      kind: 'invalid',
      reason: 'payload',
    });
    expect(check(signer.headers(BODY, now).authorization, BODY, 'app-2')).toEqual({
      kind: 'invalid',
      reason: 'application',
    });
    const none = signer.headers(BODY, now).authorization?.split('.') ?? [];
    none[0] = `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}`;
    expect(check(none.join('.'))).toEqual({ kind: 'invalid', reason: 'mismatch' });
  });
});
