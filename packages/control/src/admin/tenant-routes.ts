/**
 * `POST/GET /tenants`, `GET/PATCH /tenants/{id}`. Creating and listing tenants
 * is for platform admins; tenant admins read and rename their own. Tier, limits
 * and status are platform decisions (`quota:update`).
 */
import { z } from 'zod';
import { createTenant, limitOverridesSchema, TIERS } from '@prx-voice/policy';
import type { Repositories, TenantPatch } from '@prx-voice/storage';
import { REDACTION_LEVELS, VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import { checkPermission } from '../auth/middleware.js';
import { principalOf } from '../http/context.js';
import { ok } from '../http/envelope.js';
import { pageData, pageOptions, pageSchema, paginationQuerySchema } from '../http/pagination.js';
import type { DefineRoute } from '../http/routes.js';
import type { RouteModule } from '../http/route-module.js';
import { idSchema } from '../http/schemas.js';
import { tenantView, tenantViewSchema } from './views.js';

const TAGS = ['tenants'];
const tenantParams = z.object({ id: idSchema('tenant') });
const days = z.number().int().min(1).max(36_500);
/**
 * Free-form settings, except: `redaction`, the tenant's redaction policy for what its
 * sessions say; `retention`, its retention periods in days over the server's;
 * `recording`, whether its sessions are recorded (over `audit.recording.enabled`).
 */
const settingsSchema = z
  .object({
    redaction: z.enum(REDACTION_LEVELS).optional(),
    recording: z.boolean().optional(),
    retention: z
      .strictObject({
        sessions_days: days.optional(),
        recordings_days: days.optional(),
        debug_events_days: days.optional(),
        billing_days: days.optional(),
        audit_days: days.optional(),
      })
      .optional(),
  })
  .catchall(z.unknown());

/** Body of `POST /tenants`. */
export const createTenantBody = z.strictObject({
  slug: z
    .string()
    .regex(
      /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
      '1–63 lower-case letters, digits or inner hyphens',
    ),
  name: z.string().trim().min(1).max(200),
  tier: z.enum(TIERS).default('trial'),
  limits: limitOverridesSchema.optional(),
  settings: settingsSchema.optional(),
});

/** Body of `PATCH /tenants/{id}`; `limits` replaces the stored overrides whole. */
export const updateTenantBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    settings: settingsSchema.optional(),
    tier: z.enum(TIERS).optional(),
    limits: limitOverridesSchema.optional(),
    status: z.enum(['active', 'suspended']).optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'expected at least one field');

function notFound(id: string): VoiceError {
  return new VoiceError('TENANT_NOT_FOUND', { details: { tenant_id: id } });
}

/** The tenant routes. */
export function tenantRoutes(deps: { readonly repos: Repositories }): RouteModule {
  return { name: 'tenants', mount: ({ route }) => mountTenantRoutes(route, deps) };
}

function mountTenantRoutes(define: DefineRoute, deps: { readonly repos: Repositories }): void {
  const { repos } = deps;

  define({
    method: 'post',
    path: '/tenants',
    audit: { action: 'tenant.create', resource: 'tenant' },
    summary: 'Create a tenant (platform admins).',
    tags: TAGS,
    permission: 'tenant:create',
    body: createTenantBody,
    response: tenantViewSchema,
    status: 201,
    errors: ['CONFLICT'],
    handler: async (c, { body }) => {
      let row = await createTenant(repos, {
        slug: body.slug,
        name: body.name,
        tier: body.tier,
        ...(body.limits === undefined ? {} : { limits: body.limits }),
      });
      if (body.settings !== undefined) {
        row = (await repos.tenants.update(row.id as TenantId, { settings: body.settings })) ?? row;
      }
      return ok(c, tenantView(row), 201);
    },
  });

  define({
    method: 'get',
    path: '/tenants',
    audit: { action: 'tenant.list', resource: 'tenant' },
    summary: 'List every tenant (platform admins).',
    tags: TAGS,
    permission: 'tenant:read',
    query: paginationQuerySchema,
    response: pageSchema(tenantViewSchema),
    handler: async (c, { query }) => {
      if (principalOf(c).role !== 'platform_admin') {
        throw new VoiceError('FORBIDDEN', {
          message: 'Only platform admins list tenants; read your own with GET /tenants/{id}.',
          details: { permission: 'tenant:read', reason: 'cross_tenant' },
        });
      }
      return ok(c, pageData(await repos.tenants.list(pageOptions(query)), tenantView));
    },
  });

  define({
    method: 'get',
    path: '/tenants/{id}',
    audit: { action: 'tenant.read', resource: 'tenant' },
    summary: 'One tenant: your own, or any for platform admins.',
    tags: TAGS,
    permission: 'tenant:read',
    params: tenantParams,
    response: tenantViewSchema,
    errors: ['TENANT_NOT_FOUND'],
    handler: async (c, { params }) => {
      checkPermission(c, 'tenant:read', params.id);
      const row = await repos.tenants.get(params.id);
      if (row === undefined) throw notFound(params.id);
      return ok(c, tenantView(row));
    },
  });

  define({
    method: 'patch',
    path: '/tenants/{id}',
    audit: { action: 'tenant.update', resource: 'tenant' },
    summary:
      'Update a tenant: name and settings (tenant admins); tier, limits and status (platform admins).',
    tags: TAGS,
    permission: 'tenant:update',
    params: tenantParams,
    body: updateTenantBody,
    response: tenantViewSchema,
    errors: ['TENANT_NOT_FOUND'],
    handler: async (c, { params, body }) => {
      checkPermission(c, 'tenant:update', params.id);
      if (body.tier !== undefined || body.limits !== undefined || body.status !== undefined) {
        checkPermission(c, 'quota:update', params.id);
      }
      if (body.status === 'suspended' && params.id === principalOf(c).tenantId) {
        throw new VoiceError('FORBIDDEN', {
          message: 'A caller cannot suspend its own tenant.',
          details: { reason: 'self_suspension' },
        });
      }
      const patch: TenantPatch = {
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.settings === undefined ? {} : { settings: body.settings }),
        ...(body.tier === undefined ? {} : { tier: body.tier }),
        ...(body.status === undefined ? {} : { status: body.status }),
        ...(body.limits === undefined
          ? {}
          : {
              limits: Object.fromEntries(
                Object.entries(body.limits).filter(
                  (e): e is [string, number | null] => e[1] !== undefined,
                ),
              ),
            }),
      };
      const row = await repos.tenants.update(params.id, patch);
      if (row === undefined) throw notFound(params.id);
      return ok(c, tenantView(row));
    },
  });
}
