/**
 * `@prx-voice/policy` — tenancy: tiers and limits, RBAC with one `authorize`
 * decision, API keys (salted hashes, constant-time checks), and session
 * admission with concurrency leases and usage budgets in coordination.
 *
 * @example
 * const admission = createAdmissionService({ coordinator, clock });
 * const result = await admission.admit({ tenant, sessionId });
 * if (result.kind === 'admitted') await result.lease.release();
 */
export { concurrencyKey, createAdmissionService, USAGE_KINDS } from './admission.js';
export type {
  AdmissionLease,
  AdmissionResult,
  AdmissionService,
  AdmissionTenant,
  DenialReason,
  UsageKind,
  UsageState,
} from './admission.js';
export {
  API_KEY_PREFIX,
  MIN_API_KEY_LENGTH,
  apiKeyProblem,
  createApiKeyService,
  generateApiKey,
  hashApiKey,
  lookupIdOf,
} from './api-keys.js';
export type { ApiKeyService, ApiKeyVerification, CreatedApiKey } from './api-keys.js';
export { BOOTSTRAP_TENANT_SLUG, createTenant, ensureBootstrap } from './bootstrap.js';
export type { BootstrapResult } from './bootstrap.js';
export {
  PERMISSIONS,
  ROLES,
  ROLE_PERMISSIONS,
  assertAuthorized,
  authorize,
  isRole,
  roleAllows,
} from './rbac.js';
export type { AuthorizationDecision, Permission, Principal, Role } from './rbac.js';
export {
  TIERS,
  TIER_LIMITS,
  effectiveLimits,
  isTier,
  limitOverridesSchema,
  limitsOfTenant,
  parseLimitOverrides,
} from './tiers.js';
export type { LimitOverrides, TenantLimits, Tier } from './tiers.js';
