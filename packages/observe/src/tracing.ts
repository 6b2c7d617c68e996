/**
 * OpenTelemetry traces of a voice server, without the global OpenTelemetry
 * registry: a tracer provider of its own, spans started and ended at times the
 * caller gives (the server's clock, so a simulated clock makes exact traces),
 * and a bounded export queue ({@link createSpanQueue}) in front of the exporter
 * the config names — `none`, `otlp` (OTLP/HTTP JSON) or `console`.
 *
 * With `none` spans are not recorded, yet each still has its ids, so the
 * `traceparent` every event carries links it to the caller's trace either way.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  ConsoleSpanExporter,
  ParentBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { IdGenerator, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { TRACE_EXPORTER_KINDS } from '@prx-voice/core';
import type { Clock } from '@prx-voice/core';
import { LazyOtlpTraceExporter } from './lazy-otlp-exporter.js';
import { createSpanQueue } from './span-queue.js';
import type { SpanOutcome } from './span-queue.js';

/** Where spans go. */
export const TRACE_EXPORTERS = TRACE_EXPORTER_KINDS;
/** A trace exporter kind. */
export type TraceExporterKind = (typeof TRACE_EXPORTERS)[number];

/** A span attribute value; `undefined` values are skipped. */
export type TraceAttributes = Readonly<
  Record<string, string | number | boolean | readonly string[] | undefined>
>;

/** Options of {@link createVoiceTracing}. */
export interface VoiceTracingOptions {
  readonly exporter: TraceExporterKind;
  /** OTLP/HTTP traces URL, e.g. `http://collector:4318/v1/traces` (`otlp` only). */
  readonly endpoint?: string | undefined;
  /** Extra headers of OTLP requests (e.g. an API key of the collector). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Timers of the export queue. */
  readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** `service.name` and other resource attributes. */
  readonly resource?: TraceAttributes;
  /** Most spans waiting for export (default 2048); beyond it they are dropped and counted. */
  readonly maxQueue?: number;
  /** Longest a finished span waits for its batch, ms (default 1000). */
  readonly delayMs?: number;
  /** An export not answered by then is given up, ms (default 10 000). */
  readonly exportTimeoutMs?: number;
  /** Replaces the configured exporter (tests: an in-memory one). */
  readonly spanExporter?: SpanExporter;
  /** Trace and span ids (tests: deterministic ones); default random. */
  readonly idGenerator?: IdGenerator;
  /** Told of every exported, dropped or failed span, in counts. */
  readonly onOutcome?: (outcome: SpanOutcome, spans: number, error?: unknown) => void;
}

/** One span, open until {@link TraceSpan.end}. */
export interface TraceSpan {
  /** Its W3C `traceparent`: `00-{trace id}-{span id}-{flags}`. */
  readonly traceparent: string;
  readonly traceId: string;
  /** Whether it is recorded (and exported); with the `none` exporter it is not. */
  readonly recording: boolean;
  /** Adds or replaces attributes. */
  set(attributes: TraceAttributes): void;
  /** Records a point in time on the span (e.g. `barge_in`). */
  event(name: string, at: number, attributes?: TraceAttributes): void;
  /** Marks it failed: status ERROR and `error.type`. */
  fail(type: string, message?: string): void;
  /** Ends it at `at` (epoch ms); later calls are ignored. */
  end(at: number): void;
}

/** How a span starts. */
export interface StartSpanOptions {
  /** Start, epoch ms. */
  readonly at: number;
  /** The parent span, or a remote parent's `traceparent`; none starts a new trace. */
  readonly parent?: TraceSpan | string | undefined;
  readonly kind?: 'internal' | 'client' | 'server';
  readonly attributes?: TraceAttributes;
}

/** The server's tracer. */
export interface VoiceTracing {
  readonly exporter: TraceExporterKind;
  /** Starts a span. */
  startSpan(name: string, options: StartSpanOptions): TraceSpan;
  /** Spans waiting for export. */
  readonly queued: number;
  /** Exports everything finished so far. */
  flush(): Promise<void>;
  /** Exports what is left and stops. */
  shutdown(): Promise<void>;
}

const KINDS = {
  internal: SpanKind.INTERNAL,
  client: SpanKind.CLIENT,
  server: SpanKind.SERVER,
} as const;

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Attributes without their undefined entries. */
function defined(attributes: TraceAttributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) out[key] = value as Attributes[string];
  }
  return out;
}

function exporterOf(options: VoiceTracingOptions): SpanExporter | undefined {
  if (options.spanExporter !== undefined) return options.spanExporter;
  switch (options.exporter) {
    case 'none':
      return undefined;
    case 'console':
      return new ConsoleSpanExporter();
    case 'otlp':
      return new LazyOtlpTraceExporter({
        ...(options.endpoint === undefined ? {} : { url: options.endpoint }),
        ...(options.headers === undefined ? {} : { headers: { ...options.headers } }),
        timeoutMillis: options.exportTimeoutMs ?? 10_000,
      });
  }
}

class Handle implements TraceSpan {
  readonly traceparent: string;
  readonly traceId: string;
  readonly recording: boolean;
  private ended = false;

  constructor(readonly span: Span) {
    const ctx = span.spanContext();
    this.traceId = ctx.traceId;
    this.traceparent = `00-${ctx.traceId}-${ctx.spanId}-${ctx.traceFlags & TraceFlags.SAMPLED ? '01' : '00'}`;
    this.recording = span.isRecording();
  }

  set(attributes: TraceAttributes): void {
    if (this.recording) this.span.setAttributes(defined(attributes));
  }

  event(name: string, at: number, attributes?: TraceAttributes): void {
    if (this.recording)
      this.span.addEvent(name, attributes === undefined ? {} : defined(attributes), new Date(at));
  }

  fail(type: string, message?: string): void {
    if (!this.recording) return;
    this.span.setAttribute('error.type', type);
    this.span.setStatus({
      code: SpanStatusCode.ERROR,
      ...(message === undefined ? {} : { message }),
    });
  }

  end(at: number): void {
    if (this.ended) return;
    this.ended = true;
    this.span.end(new Date(at));
  }
}

/**
 * Creates the server's tracer.
 *
 * @example
 * const tracing = createVoiceTracing({ exporter: 'otlp', endpoint: 'http://127.0.0.1:4318/v1/traces', clock });
 * const session = tracing.startSpan('session', { at: clock.now() });
 * const turn = tracing.startSpan('turn', { at: clock.now(), parent: session });
 */
export function createVoiceTracing(options: VoiceTracingOptions): VoiceTracing {
  const exporter = exporterOf(options);
  const queue =
    exporter === undefined
      ? undefined
      : createSpanQueue({
          exporter,
          clock: options.clock,
          ...(options.maxQueue === undefined ? {} : { maxQueue: options.maxQueue }),
          ...(options.delayMs === undefined ? {} : { delayMs: options.delayMs }),
          ...(options.exportTimeoutMs === undefined
            ? {}
            : { exportTimeoutMs: options.exportTimeoutMs }),
          ...(options.onOutcome === undefined ? {} : { onOutcome: options.onOutcome }),
        });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(defined(options.resource ?? {})),
    // Not exported, not recorded: ids only. Exported: a caller's unsampled trace stays unsampled.
    sampler:
      queue === undefined
        ? new AlwaysOffSampler()
        : new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: queue === undefined ? [] : [queue],
    ...(options.idGenerator === undefined ? {} : { idGenerator: options.idGenerator }),
  });
  const tracer = provider.getTracer('@prx-voice/observe');

  const parentContext = (parent: TraceSpan | string | undefined) => {
    if (parent === undefined) return ROOT_CONTEXT;
    if (parent instanceof Handle) return trace.setSpan(ROOT_CONTEXT, parent.span);
    const match = TRACEPARENT.exec(typeof parent === 'string' ? parent : parent.traceparent);
    if (match === null) return ROOT_CONTEXT;
    return trace.setSpanContext(ROOT_CONTEXT, {
      traceId: match[1] as string,
      spanId: match[2] as string,
      traceFlags: Number.parseInt(match[3] as string, 16) & TraceFlags.SAMPLED,
      isRemote: true,
    });
  };

  return {
    exporter: options.exporter,
    startSpan(name, o) {
      const span = tracer.startSpan(
        name,
        {
          kind: KINDS[o.kind ?? 'internal'],
          startTime: new Date(o.at),
          ...(o.attributes === undefined ? {} : { attributes: defined(o.attributes) }),
        },
        parentContext(o.parent),
      );
      return new Handle(span);
    },
    get queued() {
      return queue?.depth ?? 0;
    },
    flush: () => queue?.forceFlush() ?? Promise.resolve(),
    shutdown: () => provider.shutdown(),
  };
}
