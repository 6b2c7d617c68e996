/**
 * `GET /slo`: the service level objectives of this instance with their error-budget
 * burn rates over 5 m … 3 d and the alert tiers firing (see `@prx-voice/observe`'s
 * `createSloTracker`).
 */
import { z } from 'zod';
import { BURN_WINDOWS } from '@prx-voice/observe';
import type { BurnWindow, SloTracker } from '@prx-voice/observe';
import { ok } from '../http/envelope.js';
import type { DefineRoute } from '../http/routes.js';
import type { RouteModule } from '../http/route-module.js';

const windows = Object.keys(BURN_WINDOWS) as [BurnWindow, ...BurnWindow[]];
const windowEnum = z.enum(windows);

/** One objective as `GET /slo` shows it. */
export const sloSchema = z.object({
  name: z.string(),
  objective: z.number(),
  description: z.string(),
  threshold_ms: z.number().nullable(),
  good: z.number(),
  total: z.number(),
  burn_rates: z.record(windowEnum, z.number()),
  alerts: z.array(
    z.object({ severity: z.string(), long: windowEnum, short: windowEnum, factor: z.number() }),
  ),
});

/** The SLO route. */
export function sloRoutes(deps: { readonly slo: SloTracker }): RouteModule {
  return { name: 'slo', mount: ({ route }) => mountSloRoute(route, deps) };
}

function mountSloRoute(define: DefineRoute, { slo }: { readonly slo: SloTracker }): void {
  define({
    method: 'get',
    path: '/slo',
    audit: { action: 'slo.read', resource: 'slo' },
    summary:
      'Service level objectives of this instance with burn rates per window and firing alerts.',
    tags: ['slo'],
    permission: 'metrics:read',
    response: z.object({ instance_slos: z.array(sloSchema) }),
    handler: (c) =>
      Promise.resolve(
        ok(c, { instance_slos: slo.report().map((r) => ({ ...r, alerts: [...r.alerts] })) }),
      ),
  });
}
