/**
 * The Prometheus metrics of a voice server, in their own registry (never
 * prom-client's global one), every PRX Voice metric prefixed `prx_voice_`.
 * Sessions report through `sessionStarted`/`sessionEnded`, `observeTurn`,
 * `bargeIn`, `providerError`, `fallback` and `audioDropped` (the server feeds
 * them from each session's events); the HTTP middleware through `observeHttp`.
 * Label values are bounded sets (stages, outcomes, adapter kinds, provider ids,
 * error codes, reasons): never a session or tenant id.
 */
import {
  AggregatorRegistry,
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
} from 'prom-client';
import type { TurnLatency } from '@prx-voice/storage';
import type { AdapterKind, SessionOutcome } from '@prx-voice/types';
import { registerTallyHistogram } from './tally-histogram.js';

/** What became of a barge-in, as `outcome` label values of `prx_voice_barge_ins_total`. */
export const BARGE_IN_OUTCOMES = ['issued', 'resolved', 'false_resumed'] as const;
/** A barge-in outcome. */
export type BargeInOutcome = (typeof BARGE_IN_OUTCOMES)[number];

/**
 * Turn latency buckets, seconds: fine where the objectives are (TTS first audio < 0.5 s,
 * ASR final p95 < 1.2 s, voice-to-voice) so a percentile against them is exact.
 */
export const TURN_LATENCY_BUCKETS = [
  0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 0.8, 1, 1.2, 1.5, 2, 3, 5, 10,
] as const;

/**
 * Outbound pacing lateness buckets, seconds: how late the pacer's timer fired past the
 * moment audio was due (a frame is 20 ms; a listener's jitter buffer hides a few ms).
 */
export const PACING_LATENESS_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25] as const;

/** The prefix of every PRX Voice metric. */
export const METRIC_PREFIX = 'prx_voice_';

/** prom-client default metrics that `promtool check metrics` rejects (gauges named `_total`). */
export const PROMTOOL_REJECTED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

/** The turn latency stages, as `stage` label values of `prx_voice_turn_latency_seconds`. */
export const TURN_STAGES = [
  'asr',
  'agent_first_token',
  'tts_first_audio',
  'first_audio_sent',
  'voice_to_voice',
] as const;
/** A turn latency stage. */
export type TurnStage = (typeof TURN_STAGES)[number];

const STAGE_FIELDS: Readonly<Record<TurnStage, keyof TurnLatency>> = {
  asr: 'asrMs',
  agent_first_token: 'agentFirstTokenMs',
  tts_first_audio: 'ttsFirstAudioMs',
  first_audio_sent: 'firstAudioSentMs',
  voice_to_voice: 'voiceToVoiceMs',
};

/** One HTTP request as the metrics see it. */
export interface HttpObservation {
  readonly method: string;
  /** The matched route pattern (`/api/v1/sessions/:id`), never the raw path. */
  readonly route: string;
  readonly status: number;
  readonly seconds: number;
}

/** A provider failure as the metrics see it. */
export interface ProviderErrorObservation {
  readonly kind: AdapterKind;
  readonly provider: string;
  /** The error code (registry code or the provider's own). */
  readonly code: string;
}

/** A switch to a fallback provider, as the metrics see it. */
export interface FallbackObservation {
  readonly kind: AdapterKind;
  readonly from: string;
  readonly to: string;
}

/** Options of {@link createVoiceMetrics}. */
export interface VoiceMetricsOptions {
  /** Also collect prom-client's process and Node.js metrics (default true), minus {@link PROMTOOL_REJECTED_DEFAULTS}. */
  readonly defaultMetrics?: boolean;
  /** Labels every series carries (the server sets `region` from `deploy.region`). */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Also `prx_voice_tenant_turn_latency_seconds{tenant,stage}`: the first `maxTenants`
   * tenants seen by id, the rest as `other` (bounded cardinality).
   */
  readonly perTenant?: { readonly maxTenants: number };
}

/** A voice server's metrics. */
export interface VoiceMetrics {
  /** The registry `GET /metrics` serves. */
  readonly registry: Registry;
  /** A session started on this instance (live gauge +1). */
  sessionStarted(): void;
  /** A session ended (live gauge −1, outcome counted). */
  sessionEnded(outcome: SessionOutcome): void;
  /** Sets the live sessions gauge outright (e.g. from the session manager's count). */
  setLiveSessions(count: number): void;
  /**
   * Records a completed turn's latency breakdown (ms in, seconds out); absent stages are
   * skipped. With `perTenant`, also by tenant.
   */
  observeTurn(latency: TurnLatency, tenantId?: string): void;
  /** Live sessions by tenant tier, read at scrape (`prx_voice_live_sessions_by_tier{tier}`). */
  liveSessionsByTier(read: () => ReadonlyMap<string, number>): void;
  /** Counts a barge-in step: issued, then resolved (it stands) or false_resumed (it did not). */
  bargeIn(outcome: BargeInOutcome): void;
  /** Counts a provider error. */
  providerError(e: ProviderErrorObservation): void;
  /** Counts a switch to a fallback provider. */
  fallback(e: FallbackObservation): void;
  /** Counts audio frames dropped instead of processed or sent. */
  audioDropped(direction: 'inbound' | 'outbound', reason: string, frames: number): void;
  /**
   * Records how late an outbound pacer's timer fired past its due time, ms in (seconds
   * out); allocation-free, for the audio path.
   */
  pacingLateness(lateMs: number): void;
  /**
   * Counts a recording's lifecycle: started, stopped, or a failed write (`chunk` or
   * `finalize`) and the audio it left silent, ms in (seconds out).
   */
  recording(
    outcome: 'started' | 'stopped' | 'chunk_failed' | 'finalize_failed',
    gapMs?: number,
  ): void;
  /** Records a write of the durable event log: events in the batch, seconds it took. */
  eventLogWrite(events: number, seconds: number): void;
  /**
   * A gauge read when scraped (e.g. a queue's depth): `prx_voice_` + `name`. A reader
   * that throws leaves the gauge at its last value.
   */
  gauge(name: string, help: string, read: () => number): void;
  /** Counts spans by what became of them: exported, dropped (queue full) or failed (export). */
  traceSpans(outcome: 'exported' | 'dropped' | 'failed', spans: number): void;
  /** Counts a refused credential by its reason (`missing`, `revoked`, `expired`, …). */
  authFailure(reason: string): void;
  /** Counts a carrier call hung up when its session ended: `hung_up`, or `failed` after retries. */
  carrierHangUp(carrier: string, outcome: 'hung_up' | 'failed'): void;
  /** Records an HTTP request. */
  observeHttp(o: HttpObservation): void;
  /** The exposition text. */
  render(): Promise<string>;
  /** The exposition content type. */
  readonly contentType: string;
}

/**
 * Creates the metrics in a fresh registry.
 *
 * @example
 * const metrics = createVoiceMetrics();
 * metrics.observeTurn({ asrMs: 180, voiceToVoiceMs: 820 });
 */
export function createVoiceMetrics(options: VoiceMetricsOptions = {}): VoiceMetrics {
  const registry = new Registry();
  if (options.labels !== undefined) registry.setDefaultLabels({ ...options.labels });
  const registers = [registry];
  const live = new Gauge({
    name: `${METRIC_PREFIX}live_sessions`,
    help: 'Sessions live on this instance.',
    registers,
  });
  const sessions = new Counter({
    name: `${METRIC_PREFIX}sessions_total`,
    help: 'Sessions ended on this instance, by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const httpRequests = new Counter({
    name: `${METRIC_PREFIX}http_requests_total`,
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'HTTP request handling time, by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const turnLatency = new Histogram({
    name: `${METRIC_PREFIX}turn_latency_seconds`,
    help: 'Turn latency breakdown: asr, agent_first_token, tts_first_audio, first_audio_sent, voice_to_voice.',
    labelNames: ['stage'] as const,
    buckets: [...TURN_LATENCY_BUCKETS],
    registers,
  });
  const perTenant =
    options.perTenant === undefined
      ? undefined
      : {
          max: options.perTenant.maxTenants,
          seen: new Set<string>(),
          histogram: new Histogram({
            name: `${METRIC_PREFIX}tenant_turn_latency_seconds`,
            help: 'Turn latency breakdown by tenant (the first tenants seen by id, the rest as "other").',
            labelNames: ['tenant', 'stage'] as const,
            buckets: [...TURN_LATENCY_BUCKETS],
            registers,
          }),
        };
  const bargeIns = new Counter({
    name: `${METRIC_PREFIX}barge_ins_total`,
    help: 'Barge-ins, by outcome: issued (the bot stopped for the caller), resolved (the interruption stood), false_resumed (it was not one; the bot resumed).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const fallbacks = new Counter({
    name: `${METRIC_PREFIX}provider_fallbacks_total`,
    help: 'Switches to a fallback provider, by adapter kind and providers.',
    labelNames: ['kind', 'from', 'to'] as const,
    registers,
  });
  const dropped = new Counter({
    name: `${METRIC_PREFIX}audio_dropped_frames_total`,
    help: 'Audio frames dropped instead of processed or sent, by direction and reason.',
    labelNames: ['direction', 'reason'] as const,
    registers,
  });
  const providerErrors = new Counter({
    name: `${METRIC_PREFIX}provider_errors_total`,
    help: 'Provider errors, by adapter kind, provider and error code.',
    labelNames: ['kind', 'provider', 'code'] as const,
    registers,
  });
  const eventLogWrites = new Histogram({
    name: `${METRIC_PREFIX}event_log_write_seconds`,
    help: 'Time to store one batch of the durable event log.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const eventLogEvents = new Counter({
    name: `${METRIC_PREFIX}event_log_events_stored_total`,
    help: 'Events stored in the durable event log.',
    registers,
  });
  const pacing = registerTallyHistogram(registry, {
    name: `${METRIC_PREFIX}outbound_pacing_lateness_seconds`,
    help: 'How late the outbound audio pacer woke past the moment audio was due to be sent.',
    buckets: PACING_LATENESS_BUCKETS,
  });
  const authFailures = new Counter({
    name: `${METRIC_PREFIX}auth_failures_total`,
    help: 'Refused credentials, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  const recordings = new Counter({
    name: `${METRIC_PREFIX}recordings_total`,
    help: 'Recordings by outcome: started, stopped, or a write that failed (chunk_failed: the session goes on with a gap; finalize_failed: the file was not assembled).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const recordingGaps = new Counter({
    name: `${METRIC_PREFIX}recording_gap_seconds_total`,
    help: 'Audio left silent in recordings because a chunk could not be written.',
    registers,
  });
  const hangUps = new Counter({
    name: `${METRIC_PREFIX}carrier_hangups_total`,
    help: 'Carrier calls hung up when their session ended, by carrier and outcome (hung_up, failed after retries).',
    labelNames: ['carrier', 'outcome'] as const,
    registers,
  });
  const spans = new Counter({
    name: `${METRIC_PREFIX}trace_spans_total`,
    help: 'Finished spans by outcome: exported, dropped (export queue full) or failed (export failed or timed out).',
    labelNames: ['outcome'] as const,
    registers,
  });
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    for (const name of PROMTOOL_REJECTED_DEFAULTS) registry.removeSingleMetric(name);
  }
  return {
    registry,
    sessionStarted: () => {
      live.inc();
    },
    sessionEnded: (outcome) => {
      live.dec();
      sessions.inc({ outcome });
    },
    setLiveSessions: (count) => {
      live.set(count);
    },
    observeTurn: (latency, tenantId) => {
      let tenant: string | undefined;
      if (perTenant !== undefined && tenantId !== undefined) {
        if (perTenant.seen.has(tenantId) || perTenant.seen.size < perTenant.max) {
          perTenant.seen.add(tenantId);
          tenant = tenantId;
        } else tenant = 'other';
      }
      for (const stage of TURN_STAGES) {
        const ms = latency[STAGE_FIELDS[stage]];
        if (ms !== undefined && Number.isFinite(ms) && ms >= 0) {
          turnLatency.observe({ stage }, ms / 1000);
          if (tenant !== undefined) perTenant?.histogram.observe({ tenant, stage }, ms / 1000);
        }
      }
    },
    liveSessionsByTier: (read) => {
      new Gauge({
        name: `${METRIC_PREFIX}live_sessions_by_tier`,
        help: 'Sessions live on this instance, by tenant tier.',
        labelNames: ['tier'] as const,
        registers,
        collect() {
          this.reset();
          for (const [tier, count] of read()) this.set({ tier }, count);
        },
      });
    },
    bargeIn: (outcome) => {
      bargeIns.inc({ outcome });
    },
    providerError: (e) => {
      providerErrors.inc({ kind: e.kind, provider: e.provider, code: e.code });
    },
    fallback: (e) => {
      fallbacks.inc({ kind: e.kind, from: e.from, to: e.to });
    },
    audioDropped: (direction, reason, frames) => {
      if (frames > 0) dropped.inc({ direction, reason }, frames);
    },
    pacingLateness: (lateMs) => {
      pacing.observe(lateMs / 1000);
    },
    carrierHangUp: (carrier, outcome) => {
      hangUps.inc({ carrier, outcome });
    },
    recording: (outcome, gapMs) => {
      recordings.inc({ outcome });
      if (gapMs !== undefined && gapMs > 0) recordingGaps.inc(gapMs / 1000);
    },
    eventLogWrite: (events, seconds) => {
      eventLogWrites.observe(seconds);
      eventLogEvents.inc(events);
    },
    gauge: (name, help, read) => {
      new Gauge({
        name: `${METRIC_PREFIX}${name}`,
        help,
        registers,
        collect() {
          try {
            this.set(read());
          } catch {
            // Keep the last value.
          }
        },
      });
    },
    traceSpans: (outcome, n) => {
      if (n > 0) spans.inc({ outcome }, n);
    },
    authFailure: (reason) => {
      authFailures.inc({ reason });
    },
    observeHttp: (o) => {
      httpRequests.inc({ method: o.method, route: o.route, status: String(o.status) });
      httpDuration.observe({ method: o.method, route: o.route }, o.seconds);
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/**
 * One exposition of several registries' series, each part a registry's
 * `getMetricsAsJSON()` — a host's workers, whose series a `worker` label keeps apart
 * (series with the same labels would be summed).
 */
export async function mergeMetricSeries(parts: readonly (readonly object[])[]): Promise<string> {
  return AggregatorRegistry.aggregate(parts.map((part) => [...part])).metrics();
}
