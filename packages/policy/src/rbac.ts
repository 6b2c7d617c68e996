import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';

/** The roles of the public contract; only `platform_admin` crosses tenants. */
export const ROLES = [
  'platform_admin',
  'tenant_admin',
  'workspace_admin',
  'workspace_operator',
  'workspace_developer',
  'workspace_qa',
  'workspace_viewer',
  'billing_viewer',
] as const;
/** A role. */
export type Role = (typeof ROLES)[number];

/** Every permission a route or command can require. */
export const PERMISSIONS = [
  'session:create',
  'session:read',
  'session:list',
  'session:interrupt',
  'session:pause',
  'session:end',
  'turn:create',
  'turn:read',
  'transcript:read',
  'event:read',
  'handoff:request',
  'handoff:accept',
  'recording:read',
  'recording:delete',
  'audit:read',
  'billing:read',
  'billing:manage',
  'metrics:read',
  'tenant:read',
  'tenant:create',
  'tenant:update',
  'tenant:delete',
  'apikey:create',
  'apikey:read',
  'apikey:revoke',
  'policy:read',
  'policy:update',
  'quota:read',
  'quota:update',
  'data:export',
  'data:erase',
  'assistant:read',
  'assistant:write',
] as const;
/** A permission. */
export type Permission = (typeof PERMISSIONS)[number];

const SESSION_CONTROL: readonly Permission[] = [
  'session:create',
  'session:read',
  'session:list',
  'session:interrupt',
  'session:pause',
  'session:end',
  'turn:create',
  'turn:read',
  'transcript:read',
  'event:read',
];
const OBSERVE: readonly Permission[] = [
  'session:read',
  'session:list',
  'turn:read',
  'event:read',
  'metrics:read',
];

/** What each role may do within its own tenant (platform_admin: everything, everywhere). */
export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  platform_admin: new Set(PERMISSIONS),
  tenant_admin: new Set(
    PERMISSIONS.filter(
      (p) => !['tenant:create', 'tenant:delete', 'quota:update', 'billing:manage'].includes(p),
    ),
  ),
  workspace_admin: new Set<Permission>([
    ...SESSION_CONTROL,
    'assistant:read',
    'assistant:write',
    'handoff:request',
    'handoff:accept',
    'recording:read',
    'recording:delete',
    'audit:read',
    'metrics:read',
    'apikey:create',
    'apikey:read',
    'apikey:revoke',
    'policy:read',
    'quota:read',
    'tenant:read',
  ]),
  workspace_operator: new Set<Permission>([
    ...SESSION_CONTROL,
    'assistant:read',
    'handoff:request',
    'handoff:accept',
    'recording:read',
    'metrics:read',
  ]),
  workspace_developer: new Set<Permission>([
    ...SESSION_CONTROL,
    'assistant:read',
    'assistant:write',
    'handoff:request',
    'recording:read',
    'metrics:read',
    'policy:read',
  ]),
  workspace_qa: new Set<Permission>([
    ...OBSERVE,
    'assistant:read',
    'session:create',
    'session:end',
    'turn:create',
    'transcript:read',
    'recording:read',
  ]),
  // Viewers see that sessions happen and how they perform, not what was said.
  workspace_viewer: new Set<Permission>(OBSERVE),
  billing_viewer: new Set<Permission>(['billing:read', 'quota:read', 'tenant:read']),
};

/** Who is asking: from a verified credential, never from a header or body. */
export interface Principal {
  readonly tenantId: TenantId;
  readonly role: Role;
  /** The credential's subject: an API key id or a JWT `sub`. */
  readonly subject: string;
  readonly kind: 'api_key' | 'jwt' | 'system';
}

/** An authorization decision. */
export type AuthorizationDecision =
  | { readonly kind: 'allowed' }
  | {
      readonly kind: 'denied';
      readonly reason: 'missing_permission' | 'cross_tenant';
      readonly message: string;
    };

/** Whether a string is a role. */
export function isRole(value: unknown): value is Role {
  return (ROLES as readonly unknown[]).includes(value);
}

/** Whether a role grants a permission (ignoring tenants). */
export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

/**
 * The one authorization decision every route uses: the role must grant the
 * permission, and the resource must belong to the principal's tenant unless
 * the principal is a platform admin.
 */
export function authorize(
  principal: Principal,
  permission: Permission,
  resourceTenantId: TenantId = principal.tenantId,
): AuthorizationDecision {
  if (!roleAllows(principal.role, permission)) {
    return {
      kind: 'denied',
      reason: 'missing_permission',
      message: `role ${principal.role} may not ${permission}`,
    };
  }
  if (resourceTenantId !== principal.tenantId && principal.role !== 'platform_admin') {
    return {
      kind: 'denied',
      reason: 'cross_tenant',
      message: 'the resource belongs to another tenant',
    };
  }
  return { kind: 'allowed' };
}

/** Like {@link authorize}, but a denial throws `FORBIDDEN`. */
export function assertAuthorized(
  principal: Principal,
  permission: Permission,
  resourceTenantId?: TenantId,
): void {
  const decision = authorize(principal, permission, resourceTenantId);
  if (decision.kind === 'denied') {
    throw new VoiceError('FORBIDDEN', {
      message: decision.message,
      details: { permission, reason: decision.reason },
    });
  }
}
