import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import { canFallback, providerError } from './interfaces.js';

describe('providerError', () => {
  it('puts provider and fallback into details and keeps code, message and cause', () => {
    const cause = new Error('socket hang up');
    const error = providerError('PROVIDER_UNAVAILABLE', {
      provider: 'deepgram',
      message: 'connection lost',
      fallback: true,
      cause,
      details: { attempt: 2 },
    });
    expect(error).toBeInstanceOf(VoiceError);
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.status).toBe(502);
    expect(error.message).toBe('connection lost');
    expect(error.retryable).toBe(true); // the registry's flag for the code
    expect(error.details).toEqual({ attempt: 2, provider: 'deepgram', fallback: true });
    expect(error.cause).toBe(cause);
  });

  it('lets the caller override retryable, and details cannot override provider or fallback', () => {
    const error = providerError('PROVIDER_TIMEOUT', {
      provider: 'openai',
      message: 'slow',
      retryable: false,
      fallback: false,
      details: { provider: 'spoofed', fallback: true },
    });
    expect(error.retryable).toBe(false);
    expect(error.details).toEqual({ provider: 'openai', fallback: false });
    expect(error.cause).toBeUndefined();
  });
});

describe('canFallback', () => {
  it('is true only for VoiceErrors whose details say a fallback may help', () => {
    const base = { provider: 'x', message: 'm' };
    expect(canFallback(providerError('PROVIDER_ERROR', { ...base, fallback: true }))).toBe(true);
    expect(canFallback(providerError('PROVIDER_ERROR', { ...base, fallback: false }))).toBe(false);
    expect(canFallback(new VoiceError('PROVIDER_ERROR'))).toBe(false);
    expect(canFallback(new Error('plain'))).toBe(false);
    expect(canFallback({ details: { fallback: true } })).toBe(false);
    expect(canFallback(undefined)).toBe(false);
  });
});
