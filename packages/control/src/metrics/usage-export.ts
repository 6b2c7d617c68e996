/**
 * The usage export of a deployment (`billing.export`): one instance at a time delivers
 * (a coordination lease, `billing:usage-export`, renewed at each pass and lapsing with
 * a dead instance), so events of a tenant leave in order; every pass is one
 * `runOnce` of billing's exporter. Delivered and dead-lettered events are metrics;
 * failures are log lines.
 */
import { createUsageExporter } from '@prx-voice/billing';
import type { UsageExporter } from '@prx-voice/billing';
import type { Clock, Config, Logger, TimerHandle } from '@prx-voice/core';
import type { VoiceMetrics } from '@prx-voice/observe';
import type { Coordinator, Repositories } from '@prx-voice/storage';

/** The coordination key whose single holder exports usage. */
export const USAGE_EXPORT_LEASE = 'billing:usage-export';

/** A running export loop. */
export interface UsageExportLoop {
  readonly exporter: UsageExporter;
  stop(): Promise<void>;
}

/** Starts the export loop the config describes, or nothing without an endpoint. */
export function startUsageExport(deps: {
  readonly config: Config;
  readonly clock: Clock;
  readonly repos: Repositories;
  readonly coordinator: Coordinator;
  readonly instanceId: string;
  readonly metrics: VoiceMetrics;
  readonly logger: Logger;
  /** Replaces global fetch (tests). */
  readonly fetch?: typeof globalThis.fetch;
}): UsageExportLoop | undefined {
  const cfg = deps.config.billing.export;
  if (cfg.endpoint === undefined) return undefined;
  const { clock, coordinator, instanceId, logger } = deps;
  const exporter = createUsageExporter({
    repos: deps.repos,
    clock,
    endpoint: cfg.endpoint,
    headers: cfg.headers,
    batchSize: cfg.batch_size,
    intervalMs: cfg.interval_ms,
    timeoutMs: cfg.timeout_ms,
    maxAttempts: cfg.max_attempts,
    backoffMs: cfg.backoff_ms,
    ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
    onError: (err, c) =>
      logger.warn(
        {
          tenant_id: c.tenantId === '' ? undefined : c.tenantId,
          attempt: c.attempt,
          retry_in_ms: c.retryInMs,
          error: err instanceof Error ? err.message : String(err),
        },
        c.retryInMs === null ? 'usage export: dead-lettered' : 'usage export: failed',
      ),
  });
  deps.metrics.gauge(
    'usage_export_delivered_events',
    'Usage events this instance delivered to the export endpoint since it started.',
    () => exporter.stats.delivered,
  );
  deps.metrics.gauge(
    'usage_export_dead_lettered_events',
    'Usage events this instance moved to the export dead letters since it started.',
    () => exporter.stats.deadLettered,
  );
  let timer: TimerHandle | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const ttlMs = Math.max(30_000, cfg.interval_ms * 3);
  const pass = async (): Promise<void> => {
    const lease = await coordinator.acquireLease({
      key: USAGE_EXPORT_LEASE,
      holder: instanceId,
      ttlMs,
      limit: 1,
    });
    if (lease.kind !== 'acquired') return;
    await exporter.runOnce();
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = clock.setTimeout(() => {
      running = pass()
        .catch((err: unknown) =>
          logger.warn({ error: err instanceof Error ? err.message : String(err) }, 'usage export'),
        )
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, cfg.interval_ms);
  };
  schedule();
  return {
    exporter,
    async stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      await running;
      await exporter.stop();
      await coordinator.releaseLease(USAGE_EXPORT_LEASE, instanceId).catch(() => false);
    },
  };
}
