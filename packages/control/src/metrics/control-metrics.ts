/**
 * The Prometheus metrics of the control plane, in their own registry (never
 * prom-client's global one), every PRX Voice metric prefixed `prx_voice_`.
 * The session side reports through `sessionStarted`/`sessionEnded`,
 * `observeTurn`, `interruption` and `providerError`; the HTTP middleware
 * through `observeHttp`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TurnLatency } from '@prx-voice/storage';
import type { AdapterKind, SessionOutcome } from '@prx-voice/types';

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

/** Options of {@link createControlMetrics}. */
export interface ControlMetricsOptions {
  /** Also collect prom-client's process and Node.js metrics (default true), minus {@link PROMTOOL_REJECTED_DEFAULTS}. */
  readonly defaultMetrics?: boolean;
  /** Labels every series carries (the server sets `region` from `deploy.region`). */
  readonly labels?: Readonly<Record<string, string>>;
}

/** The control plane's metrics. */
export interface ControlMetrics {
  /** The registry `GET /metrics` serves. */
  readonly registry: Registry;
  /** A session started on this instance (live gauge +1). */
  sessionStarted(): void;
  /** A session ended (live gauge −1, outcome counted). */
  sessionEnded(outcome: SessionOutcome): void;
  /** Sets the live sessions gauge outright (e.g. from the session manager's count). */
  setLiveSessions(count: number): void;
  /** Records a completed turn's latency breakdown (ms in, seconds out); absent stages are skipped. */
  observeTurn(latency: TurnLatency): void;
  /** Counts a barge-in. */
  interruption(): void;
  /** Counts a provider error. */
  providerError(e: ProviderErrorObservation): void;
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
 * const metrics = createControlMetrics();
 * metrics.observeTurn({ asrMs: 180, voiceToVoiceMs: 820 });
 */
export function createControlMetrics(options: ControlMetricsOptions = {}): ControlMetrics {
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
    buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
    registers,
  });
  const interruptions = new Counter({
    name: `${METRIC_PREFIX}interruptions_total`,
    help: 'Barge-ins: the caller interrupted the bot.',
    registers,
  });
  const providerErrors = new Counter({
    name: `${METRIC_PREFIX}provider_errors_total`,
    help: 'Provider errors, by adapter kind, provider and error code.',
    labelNames: ['kind', 'provider', 'code'] as const,
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
    observeTurn: (latency) => {
      for (const stage of TURN_STAGES) {
        const ms = latency[STAGE_FIELDS[stage]];
        if (ms !== undefined && Number.isFinite(ms) && ms >= 0)
          turnLatency.observe({ stage }, ms / 1000);
      }
    },
    interruption: () => {
      interruptions.inc();
    },
    providerError: (e) => {
      providerErrors.inc({ kind: e.kind, provider: e.provider, code: e.code });
    },
    observeHttp: (o) => {
      httpRequests.inc({ method: o.method, route: o.route, status: String(o.status) });
      httpDuration.observe({ method: o.method, route: o.route }, o.seconds);
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
