/** The `observe` section: how the server watches itself. */
import { z } from 'zod';
import {
  flag,
  integerIn,
  nonEmptyString,
  numberIn,
  recordName,
  urlString,
} from './schema-helpers.js';

/** Where OpenTelemetry spans go: nowhere (ids only), an OTLP/HTTP collector, or stdout. */
export const TRACE_EXPORTER_KINDS = ['none', 'otlp', 'console'] as const;

/** The objectives the server measures (see the README's Objectives). */
export const SLO_NAMES = [
  'availability',
  'control_plane',
  'asr_final_latency',
  'tts_first_audio',
  'voice_to_voice',
] as const;

/** One objective's overrides: the share promised and, for a latency objective, its threshold. */
const sloSchema = z.strictObject({
  /** e.g. 0.999 for 99.9 %. */
  objective: numberIn(0.5, 0.99999).optional(),
  /** Latency objectives only: a turn is good when its stage takes at most this. */
  threshold_ms: integerIn(1, 600_000).optional(),
});

/** The `observe` section. */
export const observeSchema = z.strictObject({
  /**
   * Check every event a session emits against its type's schema (and for fields the schema
   * lacks) as it is built. Off by default: the server trusts its own typed code, and
   * clients check what they receive (`parseEvent`); on, for development, it costs about
   * half of an event's work.
   */
  check_events: flag().default(false),
  /** Overrides of the built-in objectives, by name; unset fields keep the defaults. */
  slos: z.partialRecord(z.enum(SLO_NAMES), sloSchema).default({}),
  /** The degradation controller (levels L0–L4 from event-loop lag, load, heap use). */
  degradation: z
    .strictObject({
      /** How often the signals are sampled, ms. */
      sample_ms: integerIn(50, 600_000).default(5_000),
      /** Least time at a level before coming down from it, ms. */
      min_dwell_ms: integerIn(0, 3_600_000).default(30_000),
      /** How far below a level's threshold every signal must be to come down (fraction). */
      hysteresis: numberIn(0, 0.9).default(0.2),
      /**
       * From L2 up, new sessions that name no provider of a kind start on this one
       * (cheaper or lighter), the configured chain after it as fallbacks.
       */
      economy_providers: z
        .strictObject({
          asr: recordName('provider').optional(),
          agent: recordName('provider').optional(),
          tts: recordName('provider').optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Prometheus metrics. */
  metrics: z
    .strictObject({
      /** Also turn latency by tenant (`prx_voice_tenant_turn_latency_seconds`). */
      per_tenant: flag().default(false),
      /** Tenants labelled by id; the rest are `other`. */
      max_tenants: integerIn(1, 1000).default(50),
    })
    .prefault({}),
  /** OpenTelemetry traces: session → turn → asr / agent / tool / tts spans. */
  tracing: z
    .strictObject({
      exporter: z
        .enum(TRACE_EXPORTER_KINDS, { error: 'expected "none", "otlp" or "console"' })
        .default('none'),
      /** The collector's OTLP/HTTP traces URL (`otlp`). */
      endpoint: urlString(['http', 'https'], 'http://127.0.0.1:4318/v1/traces').default(
        'http://127.0.0.1:4318/v1/traces',
      ),
      /** Headers of every export request (e.g. a collector's API key). */
      headers: z.record(z.string(), z.string()).default({}),
      /** `service.name` of the spans' resource. */
      service_name: nonEmptyString().default('prx-voice'),
      /** Put transcripts, answers and tool arguments on spans, redacted at `redaction`. */
      include_text: flag().default(false),
      redaction: z
        .enum(['none', 'basic', 'strict'], { error: 'expected "none", "basic" or "strict"' })
        .default('basic'),
      /** Finished spans waiting for export; beyond it they are dropped and counted. */
      queue_size: integerIn(16, 1_000_000).default(2048),
      /** An export not answered by then is given up (its spans counted as failed), ms. */
      export_timeout_ms: integerIn(100, 120_000).default(10_000),
    })
    .prefault({}),
});

/** The validated `observe` section. */
export type ObserveConfig = z.output<typeof observeSchema>;
