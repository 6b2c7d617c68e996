/**
 * `@prx-voice/observe`: the Prometheus metrics of a voice server — live sessions and
 * outcomes, turn latency per stage, barge-ins, provider errors and fallbacks, dropped
 * audio, HTTP requests — in a registry of their own with prom-client's process metrics;
 * OpenTelemetry traces with a bounded export queue; the structured logger; SLOs with
 * burn rates; the degradation controller and the incidents it opens.
 *
 * @packageDocumentation
 */
export {
  BARGE_IN_OUTCOMES,
  METRIC_PREFIX,
  PACING_LATENESS_BUCKETS,
  PROMTOOL_REJECTED_DEFAULTS,
  TURN_LATENCY_BUCKETS,
  TURN_STAGES,
  createVoiceMetrics,
  mergeMetricSeries,
} from './voice-metrics.js';
export type {
  BargeInOutcome,
  FallbackObservation,
  HttpObservation,
  ProviderErrorObservation,
  TurnStage,
  VoiceMetrics,
  VoiceMetricsOptions,
} from './voice-metrics.js';
export { createLogger } from './logger.js';
export type { CreateLoggerOptions, LogDestination } from './logger.js';
export {
  DEFAULT_DEGRADATION_THRESHOLDS,
  DEGRADATION_ACTIONS,
  createDegradationController,
} from './degradation.js';
export type {
  DegradationActions,
  DegradationChange,
  DegradationController,
  DegradationControllerOptions,
  DegradationLevel,
  DegradationSignal,
  DegradationSignals,
  DegradationThresholds,
} from './degradation.js';
export { createIncidentTracker, sevOfLevel } from './incidents.js';
export type { IncidentTimelineEntry, IncidentTracker } from './incidents.js';
export { BURN_ALERTS, BURN_WINDOWS, DEFAULT_SLOS, createSloTracker } from './slo.js';
export type { BurnWindow, SloDefinition, SloReport, SloTracker } from './slo.js';
export { TRACE_EXPORTERS, createVoiceTracing } from './tracing.js';
export type {
  StartSpanOptions,
  TraceAttributes,
  TraceExporterKind,
  TraceSpan,
  VoiceTracing,
  VoiceTracingOptions,
} from './tracing.js';
export type { SpanOutcome } from './span-queue.js';
