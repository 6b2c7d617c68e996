/**
 * `GET /usage`: this month's usage of every budget of the tenant (from policy's
 * admission service, i.e. the coordination counters admission enforces), its
 * live sessions and the limits in force.
 */
import { z } from 'zod';
import { USAGE_KINDS } from '@prx-voice/policy';
import type { AdmissionService } from '@prx-voice/policy';
import type { Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import { checkPermission } from '../auth/middleware.js';
import { principalOf } from '../http/context.js';
import { ok } from '../http/envelope.js';
import type { DefineRoute } from '../http/routes.js';
import type { RouteModule } from '../http/route-module.js';
import { idSchema } from '../http/schemas.js';
import { effectiveLimitsSchema, effectiveLimitsView } from './views.js';

/** `data` of `GET /usage`. */
export const usageSchema = z.object({
  tenant_id: z.string(),
  /** The calendar month (UTC) the budgets count, `YYYY-MM`. */
  period: z.string(),
  usage: z.array(
    z.object({
      kind: z.enum(USAGE_KINDS),
      used: z.number(),
      budget: z.number().nullable(),
      exceeded: z.boolean(),
    }),
  ),
  live_sessions: z.number().int(),
  limits: effectiveLimitsSchema,
});

function monthOf(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** `GET /usage`. */
export function usageRoutes(deps: {
  readonly repos: Repositories;
  readonly admission: AdmissionService;
  readonly clock: { now(): number };
}): RouteModule {
  return { name: 'usage', mount: ({ route }) => mountUsageRoute(route, deps) };
}

function mountUsageRoute(define: DefineRoute, deps: Parameters<typeof usageRoutes>[0]): void {
  define({
    method: 'get',
    path: '/usage',
    summary: "This month's usage against the tenant's budgets.",
    tags: ['usage'],
    permission: 'quota:read',
    query: z.object({
      tenant_id: idSchema('tenant')
        .optional()
        .describe('The tenant addressed; only platform admins may name another than their own.'),
    }),
    response: usageSchema,
    errors: ['TENANT_NOT_FOUND'],
    handler: async (c, { query }) => {
      const tenantId = query.tenant_id ?? principalOf(c).tenantId;
      checkPermission(c, 'quota:read', tenantId);
      const tenant = await deps.repos.tenants.get(tenantId);
      if (tenant === undefined)
        throw new VoiceError('TENANT_NOT_FOUND', { details: { tenant_id: tenantId } });
      const [usage, live] = await Promise.all([
        deps.admission.usage(tenant),
        deps.admission.liveSessions(tenantId),
      ]);
      return ok(c, {
        tenant_id: tenant.id,
        period: monthOf(deps.clock.now()),
        usage: usage.map((u) => ({
          kind: u.kind,
          used: u.used,
          budget: u.budget,
          exceeded: u.exceeded,
        })),
        live_sessions: live,
        limits: effectiveLimitsView(tenant),
      });
    },
  });
}
