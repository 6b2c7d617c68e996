/**
 * `POST/GET /api-keys`, `DELETE /api-keys/{id}`: the caller's tenant's keys
 * (platform admins may address another tenant with `tenant_id`). A caller
 * grants and revokes only roles whose permissions its own role holds; the
 * secret is shown once, on creation.
 */
import { z } from 'zod';
import { ROLE_PERMISSIONS, ROLES } from '@prx-voice/policy';
import type { ApiKeyService, Role } from '@prx-voice/policy';
import type { Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { ApiKeyId, TenantId } from '@prx-voice/types';
import { checkPermission } from '../auth/middleware.js';
import type { ControlContext } from '../http/context.js';
import { principalOf } from '../http/context.js';
import { ok } from '../http/envelope.js';
import { pageData, pageOptions, pageSchema, paginationQuerySchema } from '../http/pagination.js';
import type { DefineRoute } from '../http/routes.js';
import type { RouteModule } from '../http/route-module.js';
import { idSchema } from '../http/schemas.js';
import { apiKeyView, apiKeyViewSchema, createdApiKeySchema } from './views.js';

const TAGS = ['api-keys'];
const tenantIdField = idSchema('tenant')
  .optional()
  .describe('The tenant addressed; only platform admins may name another than their own.');

/** Body of `POST /api-keys`. */
export const createApiKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  role: z.enum(ROLES),
  expires_at: z.iso.datetime().optional(),
  tenant_id: tenantIdField,
});

/** Whether a role may hand out (or revoke) keys of another role: all of its permissions must be the granter's. */
export function canGrant(granter: Role, role: Role): boolean {
  const own = ROLE_PERMISSIONS[granter];
  for (const p of ROLE_PERMISSIONS[role]) if (!own.has(p)) return false;
  return true;
}

function assertCanGrant(c: ControlContext, role: Role, action: 'grant' | 'revoke'): void {
  const granter = principalOf(c).role;
  if (!canGrant(granter, role)) {
    throw new VoiceError('FORBIDDEN', {
      message: `role ${granter} may not ${action} keys with role ${role}`,
      details: { reason: 'role_escalation', role },
    });
  }
}

interface ApiKeyRouteDeps {
  readonly repos: Repositories;
  readonly apiKeys: ApiKeyService;
  readonly clock: { now(): number };
}

/** The API key routes. */
export function apiKeyRoutes(deps: ApiKeyRouteDeps): RouteModule {
  return { name: 'api-keys', mount: ({ route }) => mountApiKeyRoutes(route, deps) };
}

function mountApiKeyRoutes(define: DefineRoute, deps: ApiKeyRouteDeps): void {
  const { repos, apiKeys, clock } = deps;
  const target = (c: ControlContext, tenantId: TenantId | undefined): TenantId =>
    tenantId ?? principalOf(c).tenantId;

  define({
    method: 'post',
    path: '/api-keys',
    audit: { action: 'api_key.create', resource: 'api_key' },
    summary: 'Create an API key; the secret is in this response only.',
    tags: TAGS,
    permission: 'apikey:create',
    body: createApiKeyBody,
    response: createdApiKeySchema,
    status: 201,
    errors: ['TENANT_NOT_FOUND'],
    handler: async (c, { body }) => {
      const tenantId = target(c, body.tenant_id);
      checkPermission(c, 'apikey:create', tenantId);
      assertCanGrant(c, body.role, 'grant');
      if ((await repos.tenants.get(tenantId)) === undefined) {
        throw new VoiceError('TENANT_NOT_FOUND', { details: { tenant_id: tenantId } });
      }
      let expiresAt: Date | undefined;
      if (body.expires_at !== undefined) {
        expiresAt = new Date(body.expires_at);
        if (expiresAt.getTime() <= clock.now()) {
          throw new VoiceError('VALIDATION_FAILED', {
            message: 'expires_at must be in the future',
            details: {
              location: 'body',
              issues: [{ path: 'expires_at', message: 'must be in the future' }],
            },
          });
        }
      }
      const created = await apiKeys.create({
        tenantId,
        name: body.name,
        role: body.role,
        createdBy: principalOf(c).subject,
        ...(expiresAt === undefined ? {} : { expiresAt }),
      });
      return ok(c, { ...apiKeyView(created.row), key: created.key }, 201);
    },
  });

  define({
    method: 'get',
    path: '/api-keys',
    audit: { action: 'api_key.list', resource: 'api_key' },
    summary: "List the tenant's API keys (never their secrets).",
    tags: TAGS,
    permission: 'apikey:read',
    query: paginationQuerySchema.extend({ tenant_id: tenantIdField }),
    response: pageSchema(apiKeyViewSchema),
    handler: async (c, { query }) => {
      const tenantId = target(c, query.tenant_id);
      checkPermission(c, 'apikey:read', tenantId);
      const page = await repos.forTenant(tenantId).apiKeys.list(pageOptions(query));
      return ok(c, pageData(page, apiKeyView));
    },
  });

  define({
    method: 'delete',
    path: '/api-keys/{id}',
    audit: { action: 'api_key.revoke', resource: 'api_key' },
    summary: 'Revoke an API key (revoking twice is harmless).',
    tags: TAGS,
    permission: 'apikey:revoke',
    params: z.object({ id: idSchema('apiKey') }),
    query: z.object({ tenant_id: tenantIdField }),
    response: apiKeyViewSchema,
    errors: ['NOT_FOUND'],
    handler: async (c, { params, query }) => {
      const tenantId = target(c, query.tenant_id);
      checkPermission(c, 'apikey:revoke', tenantId);
      const keys = repos.forTenant(tenantId).apiKeys;
      const id: ApiKeyId = params.id;
      const row = await keys.get(id);
      if (row === undefined)
        throw new VoiceError('NOT_FOUND', {
          message: 'The API key does not exist.',
          details: { api_key_id: id },
        });
      assertCanGrant(c, row.role as Role, 'revoke');
      if (row.revoked_at === null) await apiKeys.revoke(tenantId, id);
      const after = (await keys.get(id)) ?? row;
      return ok(c, apiKeyView(after));
    },
  });
}
