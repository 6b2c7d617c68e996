/** The HTTP metrics middleware: counts and times every request by method, matched route pattern and status. */
import type { MiddlewareHandler } from 'hono';
import type { Clock } from '@prx-voice/core';
import type { ControlEnv } from '../http/context.js';
import { finalRoute, internalMiddleware } from '../http/route-match.js';
import type { VoiceMetrics } from '@prx-voice/observe';

/** The route label of requests that matched no route (never the raw path: it would explode cardinality). */
export const UNMATCHED_ROUTE = 'unmatched';

/** Records `observeHttp` for each request once its response is known. */
export function httpMetricsMiddleware(opts: {
  readonly metrics: VoiceMetrics;
  readonly clock: Clock;
}): MiddlewareHandler<ControlEnv> {
  return internalMiddleware<MiddlewareHandler<ControlEnv>>(async (c, next) => {
    const started = opts.clock.now();
    try {
      await next();
    } finally {
      opts.metrics.observeHttp({
        method: c.req.method,
        route: finalRoute(c)?.path ?? UNMATCHED_ROUTE,
        status: c.res.status,
        seconds: Math.max(0, opts.clock.now() - started) / 1000,
      });
    }
  });
}
