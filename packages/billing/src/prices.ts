/**
 * Prices: what a unit of a meter costs, per provider or by default, in integer
 * micro-units of a currency (1 USD = 1 000 000 micros) per `per` units — never a
 * floating-point amount. Amounts are computed with integers (BigInt), rounded half
 * up once per priced quantity.
 */
import { z } from 'zod';
import { VoiceError } from '@prx-voice/types';
import { METERS, isMeter } from './meters.js';
import type { MeterName } from './meters.js';

/** A unit price: `micros` for every `per` units of the meter. */
export interface UnitPrice {
  readonly micros: number;
  readonly per: number;
}

/** A meter's prices: by provider, with a default for the others. */
export interface MeterPrice {
  readonly default?: UnitPrice;
  readonly providers?: Readonly<Record<string, UnitPrice>>;
}

/** A price book's prices, by meter. */
export type Prices = Readonly<Partial<Record<MeterName, MeterPrice>>>;

/** What a price book says, as an operator writes it (config or admin route). */
export interface PriceBookTerms {
  readonly currency: string;
  readonly prices: Prices;
  /** Included quantity of a meter each month, before anything is charged. */
  readonly allowances: Readonly<Partial<Record<MeterName, number>>>;
  /** What a month costs at least, micros. */
  readonly minimumMonthlyMicros: number;
}

const micros = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const unitPrice = z.strictObject({ micros, per: z.number().int().positive().max(1e12) });
const meterName = z.string().refine((m) => isMeter(m), {
  error: (i) => `unknown meter "${String(i.input)}" (known: ${Object.keys(METERS).join(', ')})`,
});
const termsSchema = z.strictObject({
  currency: z.string().regex(/^[A-Z]{3}$/, { error: 'expected an ISO 4217 code such as USD' }),
  prices: z.record(
    meterName,
    z.strictObject({
      default: unitPrice.optional(),
      providers: z.record(z.string().min(1), unitPrice).optional(),
    }),
  ),
  allowances: z.record(meterName, micros).optional(),
  minimum_monthly_micros: micros.default(0),
});

/**
 * Reads price-book terms as written (snake_case JSON): known meters only, integer
 * micros, a positive `per`, an ISO currency.
 *
 * @throws VoiceError `VALIDATION_FAILED` naming the first bad field.
 */
export function parsePriceBookTerms(input: unknown): PriceBookTerms {
  const parsed = termsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    throw new VoiceError('VALIDATION_FAILED', {
      message: `price book ${field === '' ? '' : `${field}: `}${issue?.message ?? 'invalid'}`,
      details: { field },
    });
  }
  const t = parsed.data;
  return {
    currency: t.currency,
    prices: t.prices as Prices,
    allowances: t.allowances ?? {},
    minimumMonthlyMicros: t.minimum_monthly_micros,
  };
}

/** The price of a meter's usage through a provider: the provider's, else the default. */
export function priceOf(
  prices: Prices,
  meter: string,
  provider: string | null,
): UnitPrice | undefined {
  if (!isMeter(meter)) return undefined;
  const m = prices[meter];
  if (m === undefined) return undefined;
  return (provider === null ? undefined : m.providers?.[provider]) ?? m.default;
}

/** `quantity` units at `price`, in micros, rounded half up. */
export function amountMicros(quantity: number, price: UnitPrice): number {
  const num = BigInt(quantity) * BigInt(price.micros);
  const per = BigInt(price.per);
  const amount = (num * 2n + per) / (2n * per);
  if (amount > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `${quantity} units at ${price.micros} micros per ${price.per} overflow`,
    });
  }
  return Number(amount);
}

/**
 * The built-in list prices (USD), a tier's version 1 unless an operator created one:
 * session time $0.01/min, ASR $0.006/min, agent tokens $0.50/$1.50 per million,
 * TTS $15 per million characters; monthly allowances and minimums by tier.
 */
export const DEFAULT_PRICE_BOOKS: Readonly<Record<string, PriceBookTerms>> = (() => {
  const prices: Prices = {
    session_seconds: { default: { micros: 10_000, per: 60 } },
    asr_audio_ms: { default: { micros: 6_000, per: 60_000 } },
    agent_prompt_tokens: { default: { micros: 500_000, per: 1_000_000 } },
    agent_completion_tokens: { default: { micros: 1_500_000, per: 1_000_000 } },
    tts_characters: { default: { micros: 15_000_000, per: 1_000_000 } },
  };
  const book = (minutes: number, minimum: number): PriceBookTerms => ({
    currency: 'USD',
    prices,
    allowances: { session_seconds: minutes * 60 },
    minimumMonthlyMicros: minimum,
  });
  return {
    trial: book(60, 0),
    starter: book(500, 0),
    growth: book(5_000, 49_000_000),
    enterprise: book(50_000, 499_000_000),
  };
})();
