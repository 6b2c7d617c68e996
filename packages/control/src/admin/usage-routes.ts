/**
 * `GET /usage`: this month's usage of every budget of the tenant (from policy's
 * admission service, i.e. the coordination counters admission enforces), its
 * live sessions and the limits in force; and the recorded meters of a period (by
 * meter and provider, optionally of one session, meter or provider) from the
 * durable meter events billing prices.
 */
import { z } from 'zod';
import { periodOf, periodRange } from '@prx-voice/billing';
import { USAGE_KINDS } from '@prx-voice/policy';
import type { AdmissionService } from '@prx-voice/policy';
import { BILLING_PERIOD } from '@prx-voice/storage';
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
  /** The month of `meters`, `YYYY-MM`. */
  meters_period: z.string(),
  /** The period's recorded usage, by meter and provider (durable meter events). */
  meters: z.array(
    z.object({
      meter: z.string(),
      provider: z.string().nullable(),
      unit: z.string(),
      quantity: z.number().int(),
      events: z.number().int(),
    }),
  ),
});

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
    audit: { action: 'usage.read', resource: 'usage' },
    summary: "This month's usage against the tenant's budgets.",
    tags: ['usage'],
    permission: 'quota:read',
    query: z.object({
      tenant_id: idSchema('tenant')
        .optional()
        .describe('The tenant addressed; only platform admins may name another than their own.'),
      period: z
        .string()
        .regex(BILLING_PERIOD, { error: 'expected YYYY-MM' })
        .optional()
        .describe('The month of `meters` (default: this month); budgets are always this month.'),
      meter: z.string().min(1).optional().describe('Only this meter.'),
      provider: z.string().min(1).optional().describe('Only this provider.'),
      session_id: idSchema('session').optional().describe('Only this session.'),
    }),
    response: usageSchema,
    errors: ['TENANT_NOT_FOUND'],
    handler: async (c, { query }) => {
      const tenantId = query.tenant_id ?? principalOf(c).tenantId;
      checkPermission(c, 'quota:read', tenantId);
      const tenant = await deps.repos.tenants.get(tenantId);
      if (tenant === undefined)
        throw new VoiceError('TENANT_NOT_FOUND', { details: { tenant_id: tenantId } });
      const period = query.period ?? periodOf(deps.clock.now());
      const [usage, live, meters] = await Promise.all([
        deps.admission.usage(tenant),
        deps.admission.liveSessions(tenantId),
        deps.repos.forTenant(tenantId).billing.usageTotals(periodRange(period), {
          ...(query.meter === undefined ? {} : { meter: query.meter }),
          ...(query.provider === undefined ? {} : { provider: query.provider }),
          ...(query.session_id === undefined ? {} : { sessionId: query.session_id }),
        }),
      ]);
      return ok(c, {
        tenant_id: tenant.id,
        period: periodOf(deps.clock.now()),
        usage: usage.map((u) => ({
          kind: u.kind,
          used: u.used,
          budget: u.budget,
          exceeded: u.exceeded,
        })),
        live_sessions: live,
        meters_period: period,
        meters,
        limits: effectiveLimitsView(tenant),
      });
    },
  });
}
