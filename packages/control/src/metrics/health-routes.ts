/** `GET /health/live`, `GET /health/ready`, `GET /metrics` and `GET /openapi.json`. */
import { z } from 'zod';
import { VoiceError } from '@prx-voice/types';
import type { ControlContext } from '../http/context.js';
import { ok } from '../http/envelope.js';
import type { RouteModule } from '../http/route-module.js';
import type { VoiceMetrics } from '@prx-voice/observe';
import type { ReadinessReport } from './readiness.js';

/** `data` of the health routes. */
export const readinessSchema = z.object({
  ready: z.boolean(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() })),
});

/** `data` of `GET /health/live`. */
export const livenessSchema = z.object({ status: z.literal('ok'), instance_id: z.string() });

/** Always 200 while the process runs. */
export function liveHandler(instanceId: string) {
  return (c: ControlContext): Response => ok(c, { status: 'ok' as const, instance_id: instanceId });
}

/** 200 with the report when ready, else 503 `NOT_READY` naming the failing checks. */
export function readyHandler(readiness: () => Promise<ReadinessReport>) {
  return async (c: ControlContext): Promise<Response> => {
    let report: ReadinessReport;
    try {
      report = await readiness();
    } catch (err) {
      throw new VoiceError('NOT_READY', {
        message: 'The readiness check failed.',
        details: { failing: [{ name: 'readiness', ok: false }] },
        cause: err,
      });
    }
    if (!report.ready) {
      throw new VoiceError('NOT_READY', {
        details: { failing: report.checks.filter((check) => !check.ok), checks: report.checks },
      });
    }
    return ok(c, report);
  };
}

/** The Prometheus exposition of the registry. */
export function metricsHandler(metrics: VoiceMetrics) {
  return async (c: ControlContext): Promise<Response> => {
    const text = await metrics.render();
    return c.body(text, 200, { 'Content-Type': metrics.contentType });
  };
}

/**
 * The routes probes, scrapers and tooling use without a credential: liveness,
 * readiness and metrics (also at the server's root), and the OpenAPI document.
 */
export function metaRoutes(deps: {
  readonly instanceId: string;
  readonly readiness: () => Promise<ReadinessReport>;
  readonly metrics: VoiceMetrics;
  /** The document of every route mounted (read when requested). */
  readonly openApi: () => Record<string, unknown>;
}): RouteModule {
  return {
    name: 'meta',
    mount({ route }) {
      route({
        method: 'get',
        path: '/health/live',
        summary: 'Liveness probe.',
        tags: ['health'],
        auth: 'none',
        alsoAtRoot: true,
        response: livenessSchema,
        handler: liveHandler(deps.instanceId),
      });
      route({
        method: 'get',
        path: '/health/ready',
        summary: 'Readiness: storage, coordination, degradation.',
        tags: ['health'],
        auth: 'none',
        alsoAtRoot: true,
        response: readinessSchema,
        errors: ['NOT_READY'],
        handler: readyHandler(deps.readiness),
      });
      route({
        method: 'get',
        path: '/metrics',
        summary: 'Prometheus metrics.',
        tags: ['health'],
        auth: 'none',
        alsoAtRoot: true,
        contentType: 'text/plain; version=0.0.4',
        handler: metricsHandler(deps.metrics),
      });
      route({
        method: 'get',
        path: '/openapi.json',
        summary: 'This document.',
        tags: ['meta'],
        auth: 'none',
        contentType: 'application/json',
        handler: (c) => c.json(deps.openApi()),
      });
    },
  };
}
