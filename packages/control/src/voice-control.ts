/**
 * The control plane composed for a server: the event bus and durable log, the
 * session manager over the configured providers, readiness, metrics, the app
 * with every route module of {@link routeTable} mounted. The server reads
 * configuration, opens storage, picks providers, and serves what this returns.
 */
import type { ProviderRegistry } from '@prx-voice/adapter';
import type { Clock, Config, Logger } from '@prx-voice/core';
import { createEventBus, createEventLog } from '@prx-voice/event';
import { createMeterRecorder, durableMonthlyUsage } from '@prx-voice/billing';
import { createAdmissionService } from '@prx-voice/policy';
import type { ApiKeyService } from '@prx-voice/policy';
import type { Coordinator, ObjectStore, Repositories } from '@prx-voice/storage';
import type { IdGenerator, SessionId, TenantId } from '@prx-voice/types';
import { auditLogFromConfig, retentionSweeperFromConfig } from './admin/audit-log-config.js';
import { createControlApp } from './app.js';
import type { ControlApp } from './app.js';
import {
  DEGRADATION_ACTIONS,
  createDegradationController,
  createIncidentTracker,
  createVoiceMetrics,
  mergeMetricSeries,
} from '@prx-voice/observe';
import type { DegradationSignals, VoiceMetrics, VoiceTracing } from '@prx-voice/observe';
import type { AuditLog } from '@prx-voice/audit';
import { createReadiness } from './metrics/readiness.js';
import { routeTable } from './route-table.js';
import { createSessionManager } from './sessions/session-manager.js';
import type { SessionManager } from './sessions/session-manager-types.js';
import { checkEconomyProviders } from './sessions/session-providers.js';
import type { AutoProviderChoice } from './sessions/session-providers.js';
import { startDegradationSampler } from './metrics/degradation-sampler.js';
import { sloTrackerFromConfig } from './metrics/slo-config.js';
import { tracingFromConfig } from './metrics/tracing.js';
import { createProviderErrorRate } from './metrics/provider-error-rate.js';
import { startUsageExport } from './metrics/usage-export.js';
import type { UsageExportLoop } from './metrics/usage-export.js';
import type { DegradationSampler } from './metrics/degradation-sampler.js';
import { createLostSessionMetering } from './sessions/lost-session-metering.js';
import { createSessionRecovery } from './sessions/recovery.js';
import { sessionMetricsSink } from './sessions/session-metrics.js';
import { complianceFromConfig } from './compliance/subjects-config.js';
import { telnyxSettings } from './sessions/telnyx.js';
import { plivoSettings } from './sessions/plivo.js';
import { vonageSettings } from './sessions/vonage.js';
import { exotelSettings } from './sessions/exotel.js';
import { twilioSettings } from './sessions/twilio.js';
import type { HostMetrics, SocketHandoff } from './http/socket-routes.js';

/** How long readiness waits for each dependency before counting it as failed, ms. */
const READINESS_TIMEOUT_MS = 800;

/** What the composed control plane runs with. */
export interface VoiceControlDeps {
  readonly config: Config;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly repos: Repositories;
  readonly coordinator: Coordinator;
  readonly apiKeys: ApiKeyService;
  /** The configured providers, and what `auto` stands for on this machine. */
  readonly providers: ProviderRegistry;
  readonly autoProviders?: AutoProviderChoice;
  /** Where recordings and exports go (absent: nothing is recorded). */
  readonly objectStore?: ObjectStore;
  /** Checks the database answers (readiness). */
  readonly pingDatabase: () => Promise<void>;
  /**
   * No other process can use this database (embedded PGlite holds its data directory
   * alone): sessions left unended by an earlier run are ended at start-up, whatever
   * instance id that run had.
   */
  readonly soleDatabaseUser?: boolean;
  /** Environment for credentials the config leaves out (`TWILIO_AUTH_TOKEN`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The server's logger (`@prx-voice/observe`'s `createLogger`, configured by `logging.*`). */
  readonly logger: Logger;
  /** Replaces the tracer `observe.tracing` describes (tests: an in-memory exporter). */
  readonly tracing?: VoiceTracing;
  /** Where the playground and console were built (`/`, `/console`); absent: no pages. */
  readonly webAssetsDir?: string;
  /**
   * The server's workers on one host (`server.workers`): a connection for a session a sibling
   * holds is handed to it before the upgrade (absent: this process alone).
   */
  readonly socketHandoff?: SocketHandoff;
  /** With `server.workers`: `/metrics` answers with every worker's series, labelled `worker`. */
  readonly hostMetrics?: HostMetrics;
  /** Replaces the measured degradation signals (tests drive the levels with them). */
  readonly degradationSignals?: () => DegradationSignals;
}

/** The composed control plane. */
export interface VoiceControl {
  readonly control: ControlApp;
  readonly manager: SessionManager;
  readonly metrics: VoiceMetrics;
  readonly tracing: VoiceTracing;
  /** The audit log every audited route writes to. */
  readonly audit: AuditLog;
  /** Starts the manager (forwarded commands) and the provider health probes. */
  start(): Promise<void>;
  /**
   * Stops admitting, lets live sessions finish up to `server.shutdown_timeout_ms`,
   * ends the rest, closes the sockets, and flushes the event log.
   */
  shutdown(): Promise<{ ended: number; forced: number }>;
}

/** Composes the control plane of a server. */
export function createVoiceControl(deps: VoiceControlDeps): VoiceControl {
  const { config, clock, ids, repos, coordinator, logger } = deps;
  checkEconomyProviders(config, deps.providers);
  const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
  // Usage is recorded durably off the audio path; the budgets' counters are seeded from it.
  const meters = createMeterRecorder({
    repos,
    clock,
    onError: (err, c) =>
      logger.warn(
        {
          tenant_id: c.event.tenantId,
          session_id: c.event.sessionId,
          meter: c.event.meter,
          code: err.code,
          retry_in_ms: c.retryInMs,
        },
        `usage: ${err.message}`,
      ),
  });
  const admission = createAdmissionService({
    coordinator,
    clock,
    durableUsage: (tenantId, kind, at) => durableMonthlyUsage(repos, tenantId, kind, at),
  });
  const lostMetering = createLostSessionMetering({ repos, meters, admission, clock, logger });
  const region = config.deploy.region;
  const host = deps.hostMetrics;
  const labels = {
    ...(region === undefined ? {} : { region }),
    ...(host === undefined ? {} : { worker: host.worker }),
  };
  const metrics = createVoiceMetrics({
    ...(Object.keys(labels).length === 0 ? {} : { labels }),
    ...(config.observe.metrics.per_tenant
      ? { perTenant: { maxTenants: config.observe.metrics.max_tenants } }
      : {}),
  });
  // Levels L0–L4 from measured signals (L4 sheds, fails readiness); each episode is an incident.
  const incidents = createIncidentTracker({
    incidents: repos.platformIncidents,
    clock,
    instanceId: config.deploy.instance_id,
    onError: (err) => logger.warn({ error: message(err) }, 'incident: storing failed'),
    onOpened: (row) => logger.warn({ incident_id: row.id, title: row.title }, 'incident opened'),
  });
  const degradation = createDegradationController({
    clock,
    minDwellMs: config.observe.degradation.min_dwell_ms,
    hysteresis: config.observe.degradation.hysteresis,
    onChange: (c) => {
      (c.to > c.from ? logger.warn : logger.info)(
        { from: c.from, to: c.to, signal: c.signal, value: c.value },
        'degradation level changed',
      );
      incidents.levelChanged(c);
      manager.degradationChanged(c);
    },
  });
  const actions = () => DEGRADATION_ACTIONS[degradation.level];
  // Objectives with burn rates: sessions' outcomes, API answers, turn latencies.
  const slo = sloTrackerFromConfig(config, clock, metrics.registry);
  host?.provide(() => metrics.registry.getMetricsAsJSON());
  const appMetrics: VoiceMetrics = {
    ...metrics,
    observeHttp: (o) => {
      metrics.observeHttp(o);
      slo.record('control_plane', o.status < 500);
    },
    // A scrape of a host's workers: all of them, whichever one it reaches.
    ...(host === undefined ? {} : { render: async () => mergeMetricSeries(await host.gather()) }),
  };
  metrics.gauge(
    'degradation_level',
    'Degradation level of the instance: 0 normal … 4 shedding new sessions.',
    () => degradation.level,
  );
  metrics.gauge(
    'event_loop_lag_seconds',
    'p99 of the event loop delay over the last degradation sample.',
    () => (sampler?.last.eventLoopLagMs ?? 0) / 1000,
  );
  metrics.gauge(
    'usage_queue_depth',
    'Usage events waiting to be recorded.',
    () => meters.stats.queued,
  );
  metrics.gauge(
    'usage_events_refused',
    'Usage events refused since start because the queue was full (each also logged).',
    () => meters.stats.dropped,
  );
  const tracing = deps.tracing ?? tracingFromConfig(config, clock, metrics, logger);
  metrics.liveSessionsByTier(() => manager.liveByTier());
  const feedMetrics = sessionMetricsSink(metrics, slo);
  const providerErrors = createProviderErrorRate();
  const bus = createEventBus();
  const compliance = complianceFromConfig(config, repos, deps.objectStore, logger);
  const eventLog = createEventLog({
    repos,
    clock,
    onError: (err, f) =>
      logger.warn(
        {
          tenant_id: f.tenantId,
          session_id: f.sessionId,
          attempt: f.attempt,
          retry_in_ms: f.retryInMs,
        },
        `event log: ${err.message}`,
      ),
    onWritten: (events, ms) => metrics.eventLogWrite(events, ms / 1000),
    // Another instance continued the log: the session was recovered elsewhere, stop it here.
    onFenced: (tenantId, id) => manager.fence(tenantId, id),
    // A data subject's content is sealed with its key a batch at a time (see README, Compliance).
    ...(compliance.events.sealing ? { codec: compliance.events } : {}),
  });
  const instanceId = config.deploy.instance_id;
  const manager = createSessionManager({
    config,
    clock,
    ids,
    repos,
    admission,
    providers: deps.providers,
    ...(deps.autoProviders === undefined ? {} : { autoProviders: deps.autoProviders }),
    // Commands for sessions live on other instances are forwarded over coordination.
    coordinator,
    bus,
    log: eventLog,
    instanceId,
    meters,
    subjects: compliance.subjects,
    assistantSecrets: compliance.assistantSecrets,
    objectStore: compliance.store,
    degradation: actions,
    onEvent: (event) => {
      feedMetrics(event);
      providerErrors.observe(event);
    },
    checkEvents: config.observe.check_events,
    tracing: {
      tracing,
      includeText: config.observe.tracing.include_text,
      redaction: config.observe.tracing.redaction,
    },
    onPacingLateness: (lateMs) => {
      metrics.pacingLateness(lateMs);
    },
    onSessionStarted: () => metrics.setLiveSessions(manager.liveCount),
    onSessionEnded: (outcome) => {
      slo.record('availability', outcome !== 'error');
      metrics.sessionEnded(outcome);
      metrics.setLiveSessions(manager.liveCount);
    },
    onError: (err, context, fields) => logger.warn({ ...fields, error: message(err) }, context),
    // Recovery is created below (it asks the manager which sessions run here).
    recovery: {
      isLost: (owner) => recovery.isLost(owner),
      recover: (tenantId, id) => recovery.recover(tenantId, id),
    },
  });
  const recovery = createSessionRecovery({
    coordinator,
    repos,
    clock,
    ids,
    instanceId,
    bus,
    log: eventLog,
    isLive: (row) => manager.live(row.tenant_id as TenantId, row.id as SessionId) !== undefined,
    ttlMs: config.deploy.instance_ttl_ms,
    soleInstance: deps.soleDatabaseUser === true,
    intervalMs: config.deploy.recovery_interval_ms,
    onHeartbeatRetaken: () => {
      manager
        .fenceEndedElsewhere()
        .catch((err: unknown) => logger.warn({ error: message(err) }, 'recovery: ownership check'));
    },
    onRecovered: (row, lastActiveAt) => {
      slo.record('availability', false);
      metrics.sessionEnded('error');
      logger.warn(
        { tenant_id: row.tenant_id, session_id: row.id, instance: row.instance_id },
        'session ended: its instance was lost',
      );
      void compliance.recoverRecordings(row);
      lostMetering
        .meter(row, lastActiveAt)
        .catch((err: unknown) =>
          logger.warn(
            { tenant_id: row.tenant_id, session_id: row.id, error: message(err) },
            'metering the last minutes of a lost session failed',
          ),
        );
    },
    onError: (err, context) => logger.warn({ error: message(err) }, `recovery: ${context}`),
  });
  const readiness = createReadiness({
    clock,
    // A dependency that hangs (Redis paused) is a prompt 503, within a probe's usual 1 s timeout.
    timeoutMs: READINESS_TIMEOUT_MS,
    probes: {
      database: deps.pingDatabase,
      coordination: () => coordinator.ping(),
      accepting: () =>
        manager.accepting ? Promise.resolve() : Promise.reject(new Error('draining')),
      // Every kind has a provider whose probe passed and whose breaker is not open.
      providers: () => manager.providerHealth.ready(),
      degradation: () =>
        degradation.level >= 4
          ? Promise.reject(new Error('level 4: shedding new sessions'))
          : Promise.resolve(`level ${String(degradation.level)}`),
    },
  });
  const audit = auditLogFromConfig({ config, repos, clock, logger });
  const { store } = compliance;
  const retention = retentionSweeperFromConfig({ config, repos, clock, audit, logger, store });
  const control = createControlApp({
    config,
    clock,
    ids,
    repos,
    coordinator,
    apiKeys: deps.apiKeys,
    metrics: appMetrics,
    log: logger,
    audit,
    tenantRateFactor: () => actions().tenantRateFactor,
    ...(deps.socketHandoff === undefined ? {} : { socketHandoff: deps.socketHandoff }),
  });
  control.mount(
    ...routeTable(control, {
      clock,
      repos,
      coordinator,
      apiKeys: deps.apiKeys,
      metrics: appMetrics,
      readiness,
      instanceId,
      admission,
      slo,
      audit,
      ...{ compliance, config, ids },
      closeGraceMs: config.billing.close_grace_ms,
      sessions: {
        manager,
        bus,
        log: eventLog,
        publicUrl: config.server.public_url,
        maxFrameBytes: config.limits.max_ws_frame_bytes,
      },
      twilio: twilioSettings(config, deps.env ?? {}, (m) =>
        logger.warn({ setting: 'adapters.providers.twilio' }, m),
      ),
      telnyx: telnyxSettings(config),
      plivo: plivoSettings(config),
      vonage: vonageSettings(config),
      exotel: exotelSettings(config),
      web: deps.webAssetsDir === undefined ? undefined : { assetsDir: deps.webAssetsDir },
      onError: (err, context) => logger.warn({ error: message(err) }, context),
    }),
  );
  let sampler: DegradationSampler | undefined;
  let usageExport: UsageExportLoop | undefined;
  return {
    control,
    manager,
    metrics,
    tracing,
    audit,
    async start() {
      audit.start();
      retention.start();
      await manager.start();
      manager.providerHealth.start();
      await recovery.start();
      lostMetering.start();
      sampler ??= startDegradationSampler({
        clock,
        controller: degradation,
        everyMs: config.observe.degradation.sample_ms,
        load: () => manager.liveCount / config.limits.max_sessions_per_instance,
        providerErrorRate: providerErrors.take,
        burnRate: () => slo.firingFactor(),
        ...(deps.degradationSignals === undefined ? {} : { signals: deps.degradationSignals }),
      });
      usageExport ??= startUsageExport({
        config,
        clock,
        repos,
        coordinator,
        instanceId,
        metrics,
        logger,
      });
    },
    async shutdown() {
      sampler?.stop();
      lostMetering.stop();
      retention.stop();
      const result = await manager.drain(config.server.shutdown_timeout_ms);
      await recovery.stop();
      control.closeSockets(1001, 'server shutting down');
      await meters.close();
      await usageExport?.stop();
      await control.flushAuthFailures();
      await audit
        .stop()
        .catch((err: unknown) =>
          logger.warn({ error: message(err) }, 'audit: final checkpoint failed'),
        );
      await eventLog.close();
      bus.close();
      // Bounded by the export timeout; a dead collector costs at most that.
      await tracing
        .shutdown()
        .catch((err: unknown) =>
          logger.warn({ error: message(err) }, 'tracing: final export failed'),
        );
      return result;
    },
  };
}
