import { z } from 'zod';
import { VoiceError } from '@prx-voice/types';

/** The commercial tiers of a tenant. */
export const TIERS = ['trial', 'starter', 'growth', 'enterprise'] as const;
/** A tier. */
export type Tier = (typeof TIERS)[number];

/**
 * The limits a tenant runs under. Monthly budgets of `null` are unlimited.
 * Minutes count session time; tokens are agent prompt + completion tokens as
 * the providers report them; characters are characters synthesized by TTS.
 */
export interface TenantLimits {
  /** Live sessions at once, across every server instance. */
  readonly concurrentSessions: number;
  /** Longest a single session may run, in seconds. */
  readonly maxSessionDurationS: number;
  readonly monthlySessionMinutes: number | null;
  readonly monthlyTokens: number | null;
  readonly monthlyCharacters: number | null;
  /** API requests per second (token bucket refill) and burst (bucket size). */
  readonly requestsPerSecond: number;
  readonly requestBurst: number;
}

/** The default limits of each tier. */
export const TIER_LIMITS: Readonly<Record<Tier, TenantLimits>> = {
  trial: {
    concurrentSessions: 2,
    maxSessionDurationS: 300,
    monthlySessionMinutes: 60,
    monthlyTokens: 200_000,
    monthlyCharacters: 100_000,
    requestsPerSecond: 5,
    requestBurst: 10,
  },
  starter: {
    concurrentSessions: 20,
    maxSessionDurationS: 1800,
    monthlySessionMinutes: 5_000,
    monthlyTokens: 10_000_000,
    monthlyCharacters: 5_000_000,
    requestsPerSecond: 20,
    requestBurst: 40,
  },
  growth: {
    concurrentSessions: 100,
    maxSessionDurationS: 3600,
    monthlySessionMinutes: 50_000,
    monthlyTokens: 100_000_000,
    monthlyCharacters: 50_000_000,
    requestsPerSecond: 100,
    requestBurst: 200,
  },
  enterprise: {
    concurrentSessions: 500,
    maxSessionDurationS: 7200,
    monthlySessionMinutes: null,
    monthlyTokens: null,
    monthlyCharacters: null,
    requestsPerSecond: 500,
    requestBurst: 1000,
  },
};

const budget = z.number().int().nonnegative().nullable();
/** The stored per-tenant overrides (`tenants.limits`), snake_case, each optional. */
export const limitOverridesSchema = z
  .object({
    concurrent_sessions: z.number().int().min(0).max(100_000),
    max_session_duration_s: z.number().int().min(10).max(86_400),
    monthly_session_minutes: budget,
    monthly_tokens: budget,
    monthly_characters: budget,
    requests_per_second: z.number().positive().max(100_000),
    request_burst: z.number().int().min(1).max(1_000_000),
  })
  .partial()
  .strict();

/** Per-tenant overrides of the tier's limits. */
export type LimitOverrides = z.infer<typeof limitOverridesSchema>;

/** Whether a string is a tier. */
export function isTier(value: unknown): value is Tier {
  return (TIERS as readonly unknown[]).includes(value);
}

/** Validates stored or requested overrides; a bad one is VALIDATION_FAILED naming the field. */
export function parseLimitOverrides(value: unknown): LimitOverrides {
  const result = limitOverridesSchema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') ?? '';
  throw new VoiceError('VALIDATION_FAILED', {
    message: `tenant limit ${field === '' ? '(unknown key)' : field}: ${issue?.message ?? 'invalid'}`,
    details: { field: `limits.${field}` },
  });
}

/** The limits in force for a tier with overrides applied. */
export function effectiveLimits(tier: Tier, overrides: LimitOverrides = {}): TenantLimits {
  const base = TIER_LIMITS[tier];
  return {
    concurrentSessions: overrides.concurrent_sessions ?? base.concurrentSessions,
    maxSessionDurationS: overrides.max_session_duration_s ?? base.maxSessionDurationS,
    monthlySessionMinutes:
      overrides.monthly_session_minutes === undefined
        ? base.monthlySessionMinutes
        : overrides.monthly_session_minutes,
    monthlyTokens:
      overrides.monthly_tokens === undefined ? base.monthlyTokens : overrides.monthly_tokens,
    monthlyCharacters:
      overrides.monthly_characters === undefined
        ? base.monthlyCharacters
        : overrides.monthly_characters,
    requestsPerSecond: overrides.requests_per_second ?? base.requestsPerSecond,
    requestBurst: overrides.request_burst ?? base.requestBurst,
  };
}

/** The limits of a stored tenant row (tier + `limits` overrides); an unknown tier is INTERNAL. */
export function limitsOfTenant(tenant: {
  readonly tier: string;
  readonly limits: unknown;
}): TenantLimits {
  if (!isTier(tenant.tier)) {
    throw new VoiceError('INTERNAL', { message: `tenant has unknown tier "${tenant.tier}"` });
  }
  return effectiveLimits(tenant.tier, parseLimitOverrides(tenant.limits));
}
