import { describe, expect, it } from 'vitest';
import {
  displayValue,
  isSecretName,
  isSecretPath,
  redactUrlPassword,
  redactValue,
} from './redact.js';

describe('redaction', () => {
  it('treats key, secret, password and token names as secret', () => {
    for (const name of [
      'api_key',
      'apiKey',
      'bootstrap_api_key',
      'hs256_secret',
      'PASSWORD',
      'access_token',
    ]) {
      expect(isSecretName(name)).toBe(true);
    }
    for (const name of [
      'key_file',
      'cert_file',
      'allow_query_token',
      'per_credential',
      'host',
      'region',
    ])
      expect(isSecretName(name)).toBe(false);
  });

  it('masks a value when any segment of its path is secret', () => {
    expect(isSecretPath(['auth', 'jwt', 'public_keys', 0])).toBe(true);
    expect(isSecretPath(['server', 'port'])).toBe(false);
    expect(displayValue(['adapters', 'providers', 'x', 'api_key'], 123456)).toBe('***');
    expect(displayValue(['auth', 'allow_query_token'], false)).toBe('false');
  });

  it('hides URL passwords but keeps the rest of the URL', () => {
    expect(redactUrlPassword('postgres://voice:s3cr3t@db:5432/app')).toBe(
      'postgres://voice:***@db:5432/app',
    );
    expect(redactUrlPassword('redis://:s3cr3t@cache:6379')).toBe('redis://:***@cache:6379');
    expect(redactUrlPassword('redis://cache:6379')).toBe('redis://cache:6379');
    expect(redactUrlPassword('https://user@host/path')).toBe('https://user@host/path');
  });

  it('redacts nested values', () => {
    expect(
      redactValue({
        base_url: 'https://a:b@x',
        nested: [{ token: 't' }],
        enabled: true,
        secret_flag: true,
      }),
    ).toEqual({
      base_url: 'https://a:***@x',
      nested: [{ token: '***' }],
      enabled: true,
      secret_flag: true,
    });
  });

  it('shows values as JSON, cuts long ones and marks missing ones', () => {
    expect(displayValue(['server', 'host'], 'x')).toBe('"x"');
    expect(displayValue(['server', 'port'], undefined)).toBe('(not set)');
    const long = displayValue(['server', 'host'], 'h'.repeat(500));
    expect(long).toHaveLength(120);
    expect(long.endsWith('…')).toBe(true);
  });
});
