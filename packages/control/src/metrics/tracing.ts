/**
 * The server's tracer from `observe.tracing`: spans exported as the config says,
 * every exported, dropped and failed span counted in `prx_voice_trace_spans_total`,
 * a failing collector logged (at most once a minute) and never waited on.
 */
import type { Clock, Config, Logger } from '@prx-voice/core';
import { createVoiceTracing } from '@prx-voice/observe';
import type { VoiceMetrics, VoiceTracing } from '@prx-voice/observe';

/** How often a failing collector is logged, ms. */
const FAILURE_LOG_INTERVAL_MS = 60_000;

/** Creates the tracer the config describes. */
export function tracingFromConfig(
  config: Config,
  clock: Clock,
  metrics: VoiceMetrics,
  logger: Logger,
): VoiceTracing {
  const t = config.observe.tracing;
  let lastLogged = Number.NEGATIVE_INFINITY;
  return createVoiceTracing({
    exporter: t.exporter,
    endpoint: t.endpoint,
    headers: t.headers,
    clock,
    maxQueue: t.queue_size,
    exportTimeoutMs: t.export_timeout_ms,
    resource: {
      'service.name': t.service_name,
      'service.instance.id': config.deploy.instance_id,
      'cloud.region': config.deploy.region,
    },
    onOutcome: (outcome, spans, error) => {
      metrics.traceSpans(outcome, spans);
      if (outcome === 'exported' || clock.now() - lastLogged < FAILURE_LOG_INTERVAL_MS) return;
      lastLogged = clock.now();
      logger.warn(
        {
          outcome,
          spans,
          endpoint: t.exporter === 'otlp' ? t.endpoint : t.exporter,
          error: error instanceof Error ? error.message : undefined,
        },
        outcome === 'dropped'
          ? 'tracing: export queue full, spans dropped'
          : 'tracing: export failed',
      );
    },
  });
}
