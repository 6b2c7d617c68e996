import { describe, expect, it } from 'vitest';
import { canFallback } from '../../interfaces.js';
import { scrubProviderText } from './credentials.js';
import { httpStatusError, providerMessageOf, retryAfterMs } from './provider-errors.js';

const NOW = Date.UTC(2026, 0, 1);

function headers(values: Record<string, string>): (name: string) => string | undefined {
  return (name) => values[name.toLowerCase()];
}

describe('retryAfterMs', () => {
  it('reads retry-after-ms, Retry-After seconds and HTTP dates', () => {
    expect(retryAfterMs(headers({ 'retry-after-ms': '1250' }), NOW)).toBe(1250);
    expect(retryAfterMs(headers({ 'retry-after': '3' }), NOW)).toBe(3000);
    expect(retryAfterMs(headers({ 'retry-after': '0.5' }), NOW)).toBe(500);
    expect(retryAfterMs(headers({ 'retry-after': new Date(NOW + 7000).toUTCString() }), NOW)).toBe(
      7000,
    );
    expect(retryAfterMs(headers({ 'retry-after': new Date(NOW - 7000).toUTCString() }), NOW)).toBe(
      0,
    );
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }), NOW)).toBeUndefined();
    expect(retryAfterMs(headers({ 'retry-after': '-1' }), NOW)).toBeUndefined();
    expect(retryAfterMs(headers({}), NOW)).toBeUndefined();
  });
});

describe('httpStatusError', () => {
  it.each([
    [401, 'PROVIDER_AUTH_FAILED', false],
    [403, 'PROVIDER_AUTH_FAILED', false],
    [429, 'PROVIDER_RATE_LIMITED', true],
    [408, 'PROVIDER_TIMEOUT', true],
    [500, 'PROVIDER_UNAVAILABLE', true],
    [503, 'PROVIDER_UNAVAILABLE', true],
    [400, 'PROVIDER_ERROR', false],
    [422, 'PROVIDER_ERROR', false],
  ] as const)(
    'maps %i to %s (retryable %s), always allowing a fallback',
    (status, code, retryable) => {
      const error = httpStatusError({
        provider: 'p',
        status,
        header: headers({}),
        body: '',
        secret: 's',
        now: NOW,
      });
      expect(error.code).toBe(code);
      expect(error.retryable).toBe(retryable);
      expect(canFallback(error)).toBe(true);
      expect(error.details).toMatchObject({ provider: 'p', status });
    },
  );
});

describe('provider text', () => {
  it('quotes the documented message field, else the text, with the key scrubbed', () => {
    expect(providerMessageOf('{"error":{"message":"bad key sk-1"}}', 'sk-1')).toBe(
      'bad key [redacted]',
    );
    expect(providerMessageOf('{"err_code":"X","err_msg":"nope"}', 's')).toBe('nope');
    expect(providerMessageOf('{"category":"INVALID_JSON","message":"Invalid JSON"}', 's')).toBe(
      'Invalid JSON',
    );
    expect(providerMessageOf('plain\n  text', 's')).toBe('plain text');
    expect(scrubProviderText('x'.repeat(400), 's')).toHaveLength(301);
  });
});
