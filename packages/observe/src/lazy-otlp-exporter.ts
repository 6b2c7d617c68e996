/**
 * The OTLP/HTTP span exporter, loaded on its first export: its module brings the whole
 * OTLP transformer (metrics and logs SDKs included) and costs a start that exports no
 * trace a noticeable share of its time. Batches given before it has loaded wait for it, in
 * order; a module that cannot load fails each batch as an export error would.
 */
import type { ExportResult } from '@opentelemetry/core';
import { ExportResultCode } from '@opentelemetry/core';
import type { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** What the OTLP/HTTP exporter is constructed with. */
type OtlpConfig = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>;

/** A {@link SpanExporter} that imports `@opentelemetry/exporter-trace-otlp-http` when first used. */
export class LazyOtlpTraceExporter implements SpanExporter {
  readonly #config: OtlpConfig;
  #loading: Promise<SpanExporter> | undefined;

  constructor(config: OtlpConfig) {
    this.#config = config;
  }

  #exporter(): Promise<SpanExporter> {
    this.#loading ??= import('@opentelemetry/exporter-trace-otlp-http').then(
      ({ OTLPTraceExporter }) => new OTLPTraceExporter(this.#config),
    );
    return this.#loading;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.#exporter().then(
      (exporter) => {
        exporter.export(spans, resultCallback);
      },
      (error: unknown) => {
        resultCallback({
          code: ExportResultCode.FAILED,
          error: error instanceof Error ? error : new Error(String(error)),
        });
      },
    );
  }

  async shutdown(): Promise<void> {
    if (this.#loading === undefined) return;
    await (await this.#loading.catch(() => undefined))?.shutdown();
  }

  async forceFlush(): Promise<void> {
    if (this.#loading === undefined) return;
    await (await this.#loading.catch(() => undefined))?.forceFlush?.();
  }
}
