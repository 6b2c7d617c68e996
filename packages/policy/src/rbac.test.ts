import { describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import { PERMISSIONS, ROLES, assertAuthorized, authorize, roleAllows } from './rbac.js';
import type { Permission, Role } from './rbac.js';

const A = 'ten_01m7yzmhg1e008000000000000' as TenantId;
const B = 'ten_01m7yzmhg2e008000000000000' as TenantId;
const who = (role: Role) => ({ tenantId: A, role, subject: 'key_x', kind: 'api_key' as const });

// The expected grants, written out independently of the implementation's role table.
const EXPECTED: Record<Role, readonly Permission[]> = {
  platform_admin: PERMISSIONS,
  tenant_admin: PERMISSIONS.filter(
    (p) => !['tenant:create', 'tenant:delete', 'quota:update', 'billing:manage'].includes(p),
  ),
  workspace_admin: [
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
    'metrics:read',
    'apikey:create',
    'apikey:read',
    'apikey:revoke',
    'policy:read',
    'quota:read',
    'tenant:read',
    'assistant:read',
    'assistant:write',
  ],
  workspace_operator: [
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
    'metrics:read',
    'assistant:read',
  ],
  workspace_developer: [
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
    'recording:read',
    'metrics:read',
    'policy:read',
    'assistant:read',
    'assistant:write',
  ],
  workspace_qa: [
    'session:create',
    'session:read',
    'session:list',
    'session:end',
    'turn:create',
    'turn:read',
    'transcript:read',
    'event:read',
    'recording:read',
    'metrics:read',
    'assistant:read',
  ],
  workspace_viewer: ['session:read', 'session:list', 'turn:read', 'event:read', 'metrics:read'],
  billing_viewer: ['billing:read', 'quota:read', 'tenant:read'],
};

describe('RBAC', () => {
  it.each(ROLES.flatMap((role) => PERMISSIONS.map((p) => [role, p] as const)))(
    '%s × %s',
    (role, permission) => {
      const expected = EXPECTED[role].includes(permission);
      expect(roleAllows(role, permission)).toBe(expected);
      expect(authorize(who(role), permission).kind).toBe(expected ? 'allowed' : 'denied');
    },
  );

  it('lets only platform_admin cross tenants', () => {
    for (const role of ROLES) {
      const d = authorize(who(role), 'session:read', B);
      if (role === 'platform_admin') expect(d.kind).toBe('allowed');
      else if (roleAllows(role, 'session:read'))
        expect(d).toMatchObject({ kind: 'denied', reason: 'cross_tenant' });
      else expect(d).toMatchObject({ kind: 'denied', reason: 'missing_permission' });
    }
  });

  it('viewers cannot read what was said', () => {
    expect(authorize(who('workspace_viewer'), 'transcript:read')).toMatchObject({
      kind: 'denied',
      reason: 'missing_permission',
    });
    expect(authorize(who('workspace_viewer'), 'recording:read').kind).toBe('denied');
  });

  it('assertAuthorized throws FORBIDDEN with the reason', () => {
    expect(() => {
      assertAuthorized(who('workspace_operator'), 'session:read');
    }).not.toThrow();
    try {
      assertAuthorized(who('workspace_operator'), 'session:read', B);
      expect.unreachable();
    } catch (err) {
      expect(VoiceError.is(err)).toBe(true);
      expect((err as VoiceError).code).toBe('FORBIDDEN');
      expect((err as VoiceError).details).toEqual({
        permission: 'session:read',
        reason: 'cross_tenant',
      });
    }
  });
});
