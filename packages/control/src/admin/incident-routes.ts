/**
 * `GET /incidents` and `GET /incidents/{incident_id}`: what the degradation
 * controller opened (platform-wide, one per instance and episode, with its timeline)
 * and incidents of a tenant. A platform admin reads the platform's incidents (or a
 * tenant's with `?tenant_id=`); anyone else with `metrics:read` reads only their own
 * tenant's.
 */
import { z } from 'zod';
import type { IncidentRepository, IncidentRow, Repositories } from '@prx-voice/storage';
import { SEVERITIES, VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import { checkPermission } from '../auth/middleware.js';
import { principalOf } from '../http/context.js';
import type { ControlContext } from '../http/context.js';
import { ok } from '../http/envelope.js';
import { pageData, pageOptions, pageSchema, paginationQuerySchema } from '../http/pagination.js';
import type { DefineRoute } from '../http/routes.js';
import type { RouteModule } from '../http/route-module.js';
import { idSchema } from '../http/schemas.js';

const TAGS = ['incidents'];

/** An incident as the API shows it. */
export const incidentSchema = z.object({
  id: z.string(),
  /** null for a platform-wide incident. */
  tenant_id: z.string().nullable(),
  severity: z.enum(SEVERITIES),
  status: z.enum(['open', 'resolved']),
  title: z.string(),
  trigger: z.string(),
  /** For degradation: `instance_id`, `sev` (SEV1–SEV4) and the `timeline` of level changes. */
  details: z.record(z.string(), z.unknown()),
  opened_at: z.string(),
  resolved_at: z.string().nullable(),
});

function view(row: IncidentRow): z.infer<typeof incidentSchema> {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    severity: row.severity as z.infer<typeof incidentSchema>['severity'],
    status: row.status as 'open' | 'resolved',
    title: row.title,
    trigger: row.trigger,
    details: row.details,
    opened_at: row.opened_at.toISOString(),
    resolved_at: row.resolved_at?.toISOString() ?? null,
  };
}

/** The incident routes. */
export function incidentRoutes(deps: { readonly repos: Repositories }): RouteModule {
  return { name: 'incidents', mount: ({ route }) => mountIncidentRoutes(route, deps) };
}

function mountIncidentRoutes(
  define: DefineRoute,
  { repos }: { readonly repos: Repositories },
): void {
  const tenantIdField = idSchema('tenant')
    .optional()
    .describe(
      "A tenant's incidents (platform admins only); without it a platform admin reads the platform's.",
    );
  /** The incidents the caller asked for, checked. */
  const scope = (c: ControlContext, tenantId: TenantId | undefined): IncidentRepository => {
    const principal = principalOf(c);
    if (principal.role === 'platform_admin' && tenantId === undefined) {
      checkPermission(c, 'metrics:read', principal.tenantId);
      return repos.platformIncidents;
    }
    const target = tenantId ?? principal.tenantId;
    checkPermission(c, 'metrics:read', target);
    return repos.forTenant(target).incidents;
  };

  define({
    method: 'get',
    path: '/incidents',
    audit: { action: 'incident.list', resource: 'incident' },
    summary:
      'List incidents, newest first (platform-wide for a platform admin, else the tenant’s).',
    tags: TAGS,
    permission: 'metrics:read',
    query: paginationQuerySchema.extend({
      tenant_id: tenantIdField,
      status: z.enum(['open', 'resolved']).optional(),
    }),
    response: pageSchema(incidentSchema),
    handler: async (c, { query }) => {
      const incidents = scope(c, query.tenant_id);
      const page = await incidents.list({
        ...pageOptions(query),
        ...(query.status === undefined ? {} : { status: query.status }),
      });
      return ok(c, pageData(page, view));
    },
  });

  define({
    method: 'get',
    path: '/incidents/{incident_id}',
    audit: { action: 'incident.read', resource: 'incident' },
    summary: 'One incident with its timeline.',
    tags: TAGS,
    permission: 'metrics:read',
    params: z.object({ incident_id: idSchema('incident') }),
    query: z.object({ tenant_id: tenantIdField }),
    response: incidentSchema,
    errors: ['NOT_FOUND'],
    handler: async (c, { params, query }) => {
      const row = await scope(c, query.tenant_id).get(params.incident_id);
      if (row === undefined)
        throw new VoiceError('NOT_FOUND', { details: { incident_id: params.incident_id } });
      return ok(c, view(row));
    },
  });
}
