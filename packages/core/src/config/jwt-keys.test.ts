import { generateKeyPairSync } from 'node:crypto';
import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from './config-issue.js';
import { checkPublicKey } from './jwt-keys.js';
import { parseConfig } from './parse-config.js';

const pem = { format: 'pem', type: 'spki' } as const;
const privatePem = { format: 'pem', type: 'pkcs8' } as const;

const ec256 = generateKeyPairSync('ec', {
  namedCurve: 'prime256v1',
  publicKeyEncoding: pem,
  privateKeyEncoding: privatePem,
});
const ec384 = generateKeyPairSync('ec', {
  namedCurve: 'secp384r1',
  publicKeyEncoding: pem,
  privateKeyEncoding: privatePem,
});
const ed25519 = generateKeyPairSync('ed25519', {
  publicKeyEncoding: pem,
  privateKeyEncoding: privatePem,
});
const rsa2048 = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: pem,
  privateKeyEncoding: privatePem,
});
const rsa1024 = generateKeyPairSync('rsa', {
  modulusLength: 1024,
  publicKeyEncoding: pem,
  privateKeyEncoding: privatePem,
});

describe('checkPublicKey', () => {
  it('accepts a public key of the pinned algorithm', () => {
    expect(checkPublicKey(ec256.publicKey, 'ES256')).toBeUndefined();
    expect(checkPublicKey(ec384.publicKey, 'ES384')).toBeUndefined();
    expect(checkPublicKey(ed25519.publicKey, 'EdDSA')).toBeUndefined();
    expect(checkPublicKey(rsa2048.publicKey, 'RS256')).toBeUndefined();
    expect(checkPublicKey(rsa2048.publicKey, 'PS512')).toBeUndefined();
  });

  it('refuses a key of another type or curve', () => {
    expect(checkPublicKey(ec384.publicKey, 'ES256')).toBe(
      'expected an EC public key on curve prime256v1 for ES256',
    );
    expect(checkPublicKey(ec256.publicKey, 'RS256')).toContain('expected an RSA public key');
    expect(checkPublicKey(rsa2048.publicKey, 'EdDSA')).toContain('Ed25519');
    expect(checkPublicKey(ed25519.publicKey, 'ES256')).toContain('EC public key');
  });

  it('refuses RSA keys under 2048 bits', () => {
    expect(checkPublicKey(rsa1024.publicKey, 'RS256')).toBe(
      'expected an RSA public key of at least 2048 bits for RS256',
    );
  });

  it('refuses private keys and non-PEM text', () => {
    expect(checkPublicKey(ec256.privateKey, 'ES256')).toBe(
      'expected an EC public key on curve prime256v1, not a private key',
    );
    expect(checkPublicKey('not a key', 'ES256')).toBe(
      'expected an EC public key on curve prime256v1 in PEM form',
    );
  });
});

describe('auth.jwt.public_keys in config', () => {
  const jwt = { issuer: 'https://id.example.com', audience: 'prx-voice', algorithm: 'ES256' };

  it('accepts matching keys', () => {
    const config = parseConfig(
      { auth: { jwt: { ...jwt, public_keys: [ec256.publicKey] } } },
      { runtime: { hostname: 'h', pid: 1 } },
    );
    expect(config.auth.jwt?.public_keys).toEqual([ec256.publicKey]);
  });

  it('names the bad key by index and never prints key material', () => {
    let issues: ConfigIssue[] = [];
    try {
      parseConfig({ auth: { jwt: { ...jwt, public_keys: [ec256.publicKey, ec256.privateKey] } } });
    } catch (error) {
      if (!VoiceError.is(error)) throw error;
      issues = error.details['issues'] as ConfigIssue[];
      expect(error.message).not.toContain('BEGIN');
    }
    expect(issues).toEqual([
      {
        key: 'auth.jwt.public_keys[1]',
        value: '***',
        source: 'input',
        expected: 'expected an EC public key on curve prime256v1, not a private key',
      },
    ]);
  });
});
