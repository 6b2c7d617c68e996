import { describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import { DEFAULT_PRICE_BOOKS, amountMicros, parsePriceBookTerms, priceOf } from './prices.js';

const fieldOf = (input: unknown): string => {
  try {
    parsePriceBookTerms(input);
  } catch (err) {
    if (VoiceError.is(err)) return `${err.code} ${String(err.details['field'])}`;
    throw err;
  }
  return 'accepted';
};

describe('price books', () => {
  it('reads terms as written, in integer micros', () => {
    const terms = parsePriceBookTerms({
      currency: 'EUR',
      prices: {
        asr_audio_ms: {
          default: { micros: 6000, per: 60000 },
          providers: { deepgram: { micros: 4300, per: 60000 } },
        },
      },
      allowances: { session_seconds: 3600 },
      minimum_monthly_micros: 10_000_000,
    });
    expect(terms).toMatchObject({ currency: 'EUR', minimumMonthlyMicros: 10_000_000 });
    expect(priceOf(terms.prices, 'asr_audio_ms', 'deepgram')).toEqual({ micros: 4300, per: 60000 });
    expect(priceOf(terms.prices, 'asr_audio_ms', 'openai')).toEqual({ micros: 6000, per: 60000 });
    expect(priceOf(terms.prices, 'asr_audio_ms', null)).toEqual({ micros: 6000, per: 60000 });
    expect(priceOf(terms.prices, 'tts_characters', null)).toBeUndefined();
  });

  it.each([
    [{ currency: 'usd', prices: {} }, 'VALIDATION_FAILED currency'],
    [
      { currency: 'USD', prices: { minutes: { default: { micros: 1, per: 1 } } } },
      'VALIDATION_FAILED prices.minutes',
    ],
    [
      { currency: 'USD', prices: { tts_characters: { default: { micros: 1.5, per: 1 } } } },
      'VALIDATION_FAILED prices.tts_characters.default.micros',
    ],
    [
      { currency: 'USD', prices: { tts_characters: { default: { micros: -1, per: 1 } } } },
      'VALIDATION_FAILED prices.tts_characters.default.micros',
    ],
    [
      { currency: 'USD', prices: { tts_characters: { default: { micros: 1, per: 0 } } } },
      'VALIDATION_FAILED prices.tts_characters.default.per',
    ],
    [
      { currency: 'USD', prices: {}, allowances: { session_seconds: -5 } },
      'VALIDATION_FAILED allowances.session_seconds',
    ],
    [
      { currency: 'USD', prices: {}, minimum_monthly_micros: 0.5 },
      'VALIDATION_FAILED minimum_monthly_micros',
    ],
  ])('refuses %j', (input, expected) => {
    expect(fieldOf(input)).toBe(expected);
  });

  it('computes amounts with integers, rounding half up once', () => {
    // 1 ms of ASR at $0.006/min is 0.1 micros: rounded on the total, not per event.
    expect(amountMicros(1, { micros: 6000, per: 60000 })).toBe(0);
    expect(amountMicros(5, { micros: 6000, per: 60000 })).toBe(1); // 0.5 → 1
    expect(amountMicros(3_600_000, { micros: 6000, per: 60000 })).toBe(360_000);
    // Far beyond 2^53 in the intermediate product, exact.
    expect(amountMicros(9_000_000_000_000, { micros: 1_000_000, per: 1_000_000_000 })).toBe(
      9_000_000_000,
    );
  });

  it('has a built-in book for every tier, in USD', () => {
    for (const tier of ['trial', 'starter', 'growth', 'enterprise'])
      expect(
        parsePriceBookTerms({
          currency: DEFAULT_PRICE_BOOKS[tier]?.currency,
          prices: DEFAULT_PRICE_BOOKS[tier]?.prices,
          allowances: DEFAULT_PRICE_BOOKS[tier]?.allowances,
          minimum_monthly_micros: DEFAULT_PRICE_BOOKS[tier]?.minimumMonthlyMicros,
        }),
      ).toEqual(DEFAULT_PRICE_BOOKS[tier]);
  });
});
