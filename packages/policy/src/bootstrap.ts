import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import type { Repositories, TenantRow } from '@prx-voice/storage';
import { hashApiKey, lookupIdOf } from './api-keys.js';
import type { ApiKeyService } from './api-keys.js';
import { isTier, parseLimitOverrides } from './tiers.js';
import type { LimitOverrides, Tier } from './tiers.js';

/** The slug of the tenant the bootstrap key belongs to. */
export const BOOTSTRAP_TENANT_SLUG = 'default';

/** Creates a tenant after validating its tier and limit overrides. */
export async function createTenant(
  repos: Repositories,
  t: {
    readonly slug: string;
    readonly name: string;
    readonly tier: string;
    readonly limits?: LimitOverrides;
    readonly id?: TenantId;
  },
): Promise<TenantRow> {
  if (!isTier(t.tier)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `tier must be one of trial, starter, growth, enterprise; got "${t.tier}"`,
      details: { field: 'tier' },
    });
  }
  const tier: Tier = t.tier;
  return repos.tenants.create({
    slug: t.slug,
    name: t.name,
    tier,
    limits: Object.fromEntries(
      Object.entries(parseLimitOverrides(t.limits ?? {})).filter(
        (e): e is [string, number | null] => e[1] !== undefined,
      ),
    ),
    ...(t.id === undefined ? {} : { id: t.id }),
  });
}

/** What {@link ensureBootstrap} found or made. */
export interface BootstrapResult {
  readonly tenant: TenantRow;
  readonly tenantCreated: boolean;
  readonly keyCreated: boolean;
}

/**
 * Ensures the tenant `default` and, when a bootstrap key is configured, that key
 * with role `platform_admin` — idempotent, for first runs and tests.
 */
export async function ensureBootstrap(opts: {
  readonly repos: Repositories;
  readonly keys: ApiKeyService;
  readonly bootstrapKey?: string | undefined;
}): Promise<BootstrapResult> {
  let tenant = await opts.repos.tenants.getBySlug(BOOTSTRAP_TENANT_SLUG);
  let tenantCreated = false;
  if (tenant === undefined) {
    try {
      tenant = await createTenant(opts.repos, {
        slug: BOOTSTRAP_TENANT_SLUG,
        name: 'Default',
        tier: 'enterprise',
      });
      tenantCreated = true;
    } catch (err) {
      // Another instance created it first.
      tenant = await opts.repos.tenants.getBySlug(BOOTSTRAP_TENANT_SLUG);
      if (tenant === undefined) throw err;
    }
  }
  const key = opts.bootstrapKey;
  if (key === undefined || key === '') return { tenant, tenantCreated, keyCreated: false };
  const existing = await opts.repos.apiKeyLookup.find(lookupIdOf(key));
  if (existing !== undefined) {
    if (hashApiKey(key, existing.salt) !== existing.hash) {
      throw new VoiceError('CONFIG_INVALID', {
        message: 'auth.bootstrap_api_key collides with another stored key; choose another',
      });
    }
    if (existing.revoked_at !== null) {
      throw new VoiceError('CONFIG_INVALID', {
        message: 'auth.bootstrap_api_key was revoked; configure a new one',
      });
    }
    return { tenant, tenantCreated, keyCreated: false };
  }
  try {
    await opts.keys.create({
      tenantId: tenant.id as TenantId,
      name: 'bootstrap',
      role: 'platform_admin',
      createdBy: 'config',
      key,
    });
  } catch (err) {
    // Another instance stored the same key first: that is the outcome we want.
    if (!(VoiceError.is(err) && err.code === 'CONFLICT')) throw err;
    return { tenant, tenantCreated, keyCreated: false };
  }
  return { tenant, tenantCreated, keyCreated: true };
}
