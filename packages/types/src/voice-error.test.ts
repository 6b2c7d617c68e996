import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_CODE_LIST, errorSpec, isErrorCode } from './error-codes.js';
import { VoiceError } from './voice-error.js';

describe('error registry', () => {
  it('maps the protocol codes to their statuses', () => {
    const expected: Record<string, number> = {
      VALIDATION_FAILED: 400,
      UNAUTHENTICATED: 401,
      FORBIDDEN: 403,
      SESSION_NOT_FOUND: 404,
      SESSION_STATE_CONFLICT: 409,
      IDEMPOTENCY_CONFLICT: 409,
      PAYLOAD_TOO_LARGE: 413,
      RATE_LIMITED: 429,
      QUOTA_EXCEEDED: 429,
      INTERNAL: 500,
      PROVIDER_UNAVAILABLE: 502,
      OVERLOADED: 503,
    };
    for (const [code, status] of Object.entries(expected)) {
      expect(isErrorCode(code), code).toBe(true);
      if (isErrorCode(code)) expect(errorSpec(code).status, code).toBe(status);
    }
  });

  it('uses UPPER_SNAKE codes, real HTTP error statuses and non-empty messages', () => {
    for (const code of ERROR_CODE_LIST) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
      const spec = ERROR_CODES[code];
      expect(spec.status).toBeGreaterThanOrEqual(400);
      expect(spec.status).toBeLessThan(600);
      expect(spec.message.length).toBeGreaterThan(0);
    }
  });

  it('marks limits and availability as retryable, client mistakes as not', () => {
    expect(ERROR_CODES.RATE_LIMITED.retryable).toBe(true);
    expect(ERROR_CODES.OVERLOADED.retryable).toBe(true);
    expect(ERROR_CODES.VALIDATION_FAILED.retryable).toBe(false);
    expect(ERROR_CODES.FORBIDDEN.retryable).toBe(false);
  });

  it('rejects strings outside the registry', () => {
    expect(isErrorCode('NOPE')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });
});

describe('VoiceError', () => {
  it('takes status, retryable and message from the registry', () => {
    const err = new VoiceError('RATE_LIMITED');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('VoiceError');
    expect(err.status).toBe(429);
    expect(err.retryable).toBe(true);
    expect(err.message).toBe(ERROR_CODES.RATE_LIMITED.message);
    expect(err.details).toEqual({});
  });

  it('carries message, details, cause and a retryable override', () => {
    const cause = new Error('socket hang up');
    const err = new VoiceError('PROVIDER_UNAVAILABLE', {
      message: 'deepgram unreachable',
      retryable: false,
      details: { provider: 'deepgram' },
      cause,
    });
    expect(err.message).toBe('deepgram unreachable');
    expect(err.retryable).toBe(false);
    expect(err.cause).toBe(cause);
    expect(err.toJSON()).toEqual({
      code: 'PROVIDER_UNAVAILABLE',
      message: 'deepgram unreachable',
      retryable: false,
      details: { provider: 'deepgram' },
    });
    expect(JSON.stringify(err)).not.toContain('socket hang up');
  });

  it('wraps unknown throwables and passes VoiceErrors through', () => {
    const original = new VoiceError('FORBIDDEN');
    expect(VoiceError.from(original)).toBe(original);
    const wrapped = VoiceError.from('boom', 'PROVIDER_ERROR');
    expect(wrapped.code).toBe('PROVIDER_ERROR');
    expect(wrapped.cause).toBe('boom');
    expect(VoiceError.from(new TypeError('x')).code).toBe('INTERNAL');
  });

  it('recognises look-alikes from another copy of the package, not arbitrary errors', () => {
    const foreign = Object.assign(new Error('x'), { name: 'VoiceError', code: 'FORBIDDEN' });
    expect(VoiceError.is(foreign)).toBe(true);
    expect(VoiceError.is(Object.assign(new Error('x'), { name: 'VoiceError', code: 'WHAT' }))).toBe(
      false,
    );
    expect(VoiceError.is(new Error('x'))).toBe(false);
  });
});
