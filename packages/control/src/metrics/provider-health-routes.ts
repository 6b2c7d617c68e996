/**
 * `GET /providers/health`: each provider of this instance by kind — its place in
 * the configured chain, its circuit breaker's state, its recent calls as the
 * failover machinery saw them (calls, failures, error rate, call durations) and
 * its last active probe. For operators (`metrics:read`), like `GET /slo`; not
 * audited, as `/metrics` is not (the console reads it every few seconds).
 */
import { z } from 'zod';
import { ok } from '../http/envelope.js';
import type { DefineRoute } from '../http/routes.js';
import type { RouteModule } from '../http/route-module.js';
import type { ProviderStatus } from '../sessions/provider-health.js';

/** One provider as `GET /providers/health` shows it. */
export const providerStatusSchema = z.object({
  kind: z.enum(['asr', 'agent', 'tts']),
  provider: z.string(),
  /** 0 for the configured primary, then the fallbacks in order; null when only a session chose it. */
  position: z.number().int().nullable(),
  breaker: z.enum(['closed', 'open', 'half_open']),
  calls: z.object({
    window_ms: z.number().int(),
    /** Calls that ran (succeeded or failed) within the window. */
    total: z.number().int(),
    failures: z.number().int(),
    /** Calls the open breaker refused, failing over without trying. */
    refused: z.number().int(),
    error_rate: z.number().nullable(),
    latency_p50_ms: z.number().nullable(),
    latency_p95_ms: z.number().nullable(),
    last_failure_at: z.string().nullable(),
  }),
  probe: z
    .object({
      healthy: z.boolean(),
      latency_ms: z.number().nullable(),
      detail: z.string().nullable(),
    })
    .nullable(),
});

/** `data` of `GET /providers/health`. */
export const providerHealthSchema = z.object({
  instance_id: z.string(),
  providers: z.array(providerStatusSchema),
});

function view(s: ProviderStatus): z.infer<typeof providerStatusSchema> {
  const { calls, probe } = s;
  return {
    kind: s.kind,
    provider: s.provider,
    position: s.position,
    breaker: s.breaker,
    calls: {
      window_ms: calls.windowMs,
      total: calls.calls,
      failures: calls.failures,
      refused: calls.refused,
      error_rate: calls.errorRate,
      latency_p50_ms: calls.latencyP50Ms,
      latency_p95_ms: calls.latencyP95Ms,
      last_failure_at:
        calls.lastFailureAt === null ? null : new Date(calls.lastFailureAt).toISOString(),
    },
    probe:
      probe === null
        ? null
        : { healthy: probe.healthy, latency_ms: probe.latencyMs, detail: probe.detail ?? null },
  };
}

/** What the route reads. */
export interface ProviderHealthRouteDeps {
  readonly instanceId: string;
  /** The providers now (the session manager's `providerHealth.status`). */
  readonly status: () => readonly ProviderStatus[];
}

/** The provider health route. */
export function providerHealthRoutes(deps: ProviderHealthRouteDeps): RouteModule {
  return { name: 'provider-health', mount: ({ route }) => mountRoute(route, deps) };
}

function mountRoute(define: DefineRoute, deps: ProviderHealthRouteDeps): void {
  define({
    method: 'get',
    path: '/providers/health',
    summary:
      "This instance's providers by kind: chain position, breaker state, recent calls and errors, last probe.",
    description:
      'Calls are those the failover machinery made through each breaker in the last `calls.window_ms`; durations are of successful calls. A provider alone in a session chain runs without failover, so no breaker counts its calls. Instance-wide (providers are shared by every tenant).',
    tags: ['providers'],
    permission: 'metrics:read',
    response: providerHealthSchema,
    handler: (c) =>
      Promise.resolve(ok(c, { instance_id: deps.instanceId, providers: deps.status().map(view) })),
  });
}
