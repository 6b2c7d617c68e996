/** The wire form of tenants and API keys (never a key's hash or salt), with their zod schemas. */
import { z } from 'zod';
import { ROLES, TIERS, limitsOfTenant } from '@prx-voice/policy';
import type { ApiKeyRow, TenantRow } from '@prx-voice/storage';

const iso = (d: Date): string => d.toISOString();
const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** The limits in force for a tenant, snake_case. */
export const effectiveLimitsSchema = z.object({
  concurrent_sessions: z.number().int(),
  max_session_duration_s: z.number().int(),
  monthly_session_minutes: z.number().int().nullable(),
  monthly_tokens: z.number().int().nullable(),
  monthly_characters: z.number().int().nullable(),
  requests_per_second: z.number(),
  request_burst: z.number().int(),
});

/** A tenant as the API shows it. */
export const tenantViewSchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  tier: z.enum(TIERS),
  status: z.enum(['active', 'suspended']),
  /** The stored overrides of the tier's limits. */
  limits: z.record(z.string(), z.number().nullable()),
  effective_limits: effectiveLimitsSchema,
  settings: z.record(z.string(), z.unknown()),
  created_at: z.string(),
  updated_at: z.string(),
});

/** A tenant's wire form. */
export type TenantView = z.output<typeof tenantViewSchema>;

/** The effective limits of a tenant row in wire form. */
export function effectiveLimitsView(row: TenantRow): z.output<typeof effectiveLimitsSchema> {
  const l = limitsOfTenant(row);
  return {
    concurrent_sessions: l.concurrentSessions,
    max_session_duration_s: l.maxSessionDurationS,
    monthly_session_minutes: l.monthlySessionMinutes,
    monthly_tokens: l.monthlyTokens,
    monthly_characters: l.monthlyCharacters,
    requests_per_second: l.requestsPerSecond,
    request_burst: l.requestBurst,
  };
}

/** A tenant row in wire form. */
export function tenantView(row: TenantRow): TenantView {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    tier: row.tier as TenantView['tier'],
    status: row.status as TenantView['status'],
    limits: row.limits,
    effective_limits: effectiveLimitsView(row),
    settings: row.settings,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/** An API key as the API shows it: never the secret, hash or salt. */
export const apiKeyViewSchema = z.object({
  id: z.string(),
  tenant_id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  created_at: z.string(),
  created_by: z.string().nullable(),
  last_used_at: z.string().nullable(),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});

/** An API key's wire form. */
export type ApiKeyView = z.output<typeof apiKeyViewSchema>;

/** An API key row in wire form. */
export function apiKeyView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    name: row.name,
    role: row.role as ApiKeyView['role'],
    created_at: iso(row.created_at),
    created_by: row.created_by,
    last_used_at: isoOrNull(row.last_used_at),
    expires_at: isoOrNull(row.expires_at),
    revoked_at: isoOrNull(row.revoked_at),
  };
}

/** A just-created key: the view plus the secret, shown this once. */
export const createdApiKeySchema = apiKeyViewSchema.extend({
  key: z.string().describe('The secret key. It is shown only in this response.'),
});
