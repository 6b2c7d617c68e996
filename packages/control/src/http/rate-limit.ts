/**
 * Request rate limits as token buckets in coordination, so they hold across
 * instances: one per tenant (its tier's `requestsPerSecond`/`requestBurst`,
 * capped by `limits.rate_limit.per_tenant`) and one per credential
 * (`limits.rate_limit.per_credential`). Responses carry `RateLimit-Limit`,
 * `RateLimit-Remaining` and `RateLimit-Reset` of the tighter bucket; a denial is
 * 429 `RATE_LIMITED` with `Retry-After`.
 */
import type { MiddlewareHandler } from 'hono';
import type { RateLimitConfig } from '@prx-voice/core';
import { limitsOfTenant } from '@prx-voice/policy';
import type { Principal } from '@prx-voice/policy';
import type { Coordinator, TakeTokensResult, TenantRow } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { ControlEnv } from './context.js';
import { internalMiddleware } from './route-match.js';

/** A token bucket's shape. */
export interface BucketSpec {
  /** Bucket size (burst). */
  readonly capacity: number;
  /** Tokens per second. */
  readonly refillPerSecond: number;
}

/** The outcome of a rate-limit check: the bucket that decided and its answer. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the bucket is full again. */
  readonly resetSeconds: number;
  /** Ms until a retry can succeed (0 when allowed). */
  readonly retryAfterMs: number;
  /** Which bucket decided. */
  readonly scope: 'tenant' | 'credential';
}

/** The tenant's bucket: its tier's limits, never above the configured per-tenant cap. */
export function tenantBucket(tenant: TenantRow, cap: RateLimitConfig, factor = 1): BucketSpec {
  const limits = limitsOfTenant(tenant);
  return {
    capacity: Math.max(1, Math.floor(Math.min(limits.requestBurst, cap.burst) * factor)),
    refillPerSecond: Math.min(limits.requestsPerSecond, cap.requests_per_second) * factor,
  };
}

/** The coordination key of a tenant's bucket. */
export function tenantBucketKey(tenantId: string): string {
  return `ratelimit:tenant:${tenantId}`;
}

/** The coordination key of a credential's bucket. */
export function credentialBucketKey(principal: Principal): string {
  return `ratelimit:credential:${principal.tenantId}:${principal.kind}:${principal.subject}`;
}

function decision(
  result: TakeTokensResult,
  spec: BucketSpec,
  scope: RateLimitDecision['scope'],
): RateLimitDecision {
  return {
    allowed: result.allowed,
    limit: spec.capacity,
    remaining: result.remaining,
    resetSeconds: Math.max(0, Math.ceil(result.resetMs / 1000)),
    retryAfterMs: result.retryAfterMs,
    scope,
  };
}

/** Takes one token from the credential's bucket, then the tenant's; returns the deciding (or tighter) bucket. */
export async function checkRateLimit(opts: {
  readonly coordinator: Coordinator;
  readonly principal: Principal;
  readonly tenant: TenantRow;
  readonly perTenant: RateLimitConfig;
  readonly perCredential: RateLimitConfig;
  /** Scales the tenant's bucket (degradation); default 1. */
  readonly tenantFactor?: number;
}): Promise<RateLimitDecision> {
  const credSpec: BucketSpec = {
    capacity: opts.perCredential.burst,
    refillPerSecond: opts.perCredential.requests_per_second,
  };
  const cred = decision(
    await opts.coordinator.takeTokens({ key: credentialBucketKey(opts.principal), ...credSpec }),
    credSpec,
    'credential',
  );
  if (!cred.allowed) return cred;
  const tenantSpec = tenantBucket(opts.tenant, opts.perTenant, opts.tenantFactor);
  const ten = decision(
    await opts.coordinator.takeTokens({ key: tenantBucketKey(opts.tenant.id), ...tenantSpec }),
    tenantSpec,
    'tenant',
  );
  if (!ten.allowed) return ten;
  return ten.remaining < cred.remaining ? ten : cred;
}

/** Middleware applying {@link checkRateLimit} to every authenticated request. */
export function rateLimitMiddleware(opts: {
  readonly coordinator: Coordinator;
  readonly perTenant: RateLimitConfig;
  readonly perCredential: RateLimitConfig;
  /** Scales every tenant's bucket now (the degradation level tightens it). */
  readonly tenantFactor?: () => number;
}): MiddlewareHandler<ControlEnv> {
  return internalMiddleware<MiddlewareHandler<ControlEnv>>(async (c, next) => {
    const principal = c.get('principal') as Principal | undefined;
    const tenant = c.get('tenant') as TenantRow | undefined;
    if (principal === undefined || tenant === undefined) {
      await next();
      return;
    }
    const d = await checkRateLimit({
      coordinator: opts.coordinator,
      perTenant: opts.perTenant,
      perCredential: opts.perCredential,
      principal,
      tenant,
      tenantFactor: opts.tenantFactor?.() ?? 1,
    });
    const headers: [string, string][] = [
      ['RateLimit-Limit', String(d.limit)],
      ['RateLimit-Remaining', String(d.remaining)],
      ['RateLimit-Reset', String(d.resetSeconds)],
    ];
    if (!d.allowed) {
      const err = new VoiceError('RATE_LIMITED', {
        message: `Too many requests for this ${d.scope}; retry later.`,
        details: {
          scope: d.scope,
          limit: d.limit,
          retry_after_ms: Number.isFinite(d.retryAfterMs) ? d.retryAfterMs : 1000,
        },
      });
      // Set on the context so the error response carries them too.
      for (const [k, v] of headers) c.header(k, v);
      throw err;
    }
    await next();
    for (const [k, v] of headers) c.res.headers.set(k, v);
  });
}
