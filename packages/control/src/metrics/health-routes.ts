/** `GET /health/live`, `GET /health/ready` and `GET /metrics`. */
import { z } from 'zod';
import { VoiceError } from '@prx-voice/types';
import type { ControlContext } from '../http/context.js';
import { ok } from '../http/envelope.js';
import type { ControlMetrics } from './control-metrics.js';
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
export function metricsHandler(metrics: ControlMetrics) {
  return async (c: ControlContext): Promise<Response> => {
    const text = await metrics.render();
    return c.body(text, 200, { 'Content-Type': metrics.contentType });
  };
}
