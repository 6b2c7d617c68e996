/**
 * The span processor between finished spans and an exporter: a bounded queue
 * drained in batches, one export in flight at a time. A slow or dead collector
 * never blocks a session and never grows memory: when the queue is full a span
 * is dropped and counted; a failed or hung export is counted and forgotten.
 */
import type { Context } from '@opentelemetry/api';
import { TraceFlags } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type {
  ReadableSpan,
  Span,
  SpanExporter,
  SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Clock, TimerHandle } from '@prx-voice/core';

/** What became of spans handed to the queue. */
export type SpanOutcome = 'exported' | 'dropped' | 'failed';

/** Options of {@link createSpanQueue}. */
export interface SpanQueueOptions {
  readonly exporter: SpanExporter;
  /** Timers for the batch delay and the export deadline. */
  readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** Most spans waiting; later ones are dropped. Default 2048. */
  readonly maxQueue?: number;
  /** Most spans per export. Default 512. */
  readonly maxBatch?: number;
  /** Longest a span waits for its batch, ms. Default 1000. */
  readonly delayMs?: number;
  /** An export not answered by then counts as failed, ms. Default 10 000. */
  readonly exportTimeoutMs?: number;
  /** Told of every span's fate, in counts. */
  readonly onOutcome?: (outcome: SpanOutcome, spans: number, error?: unknown) => void;
}

/** The queue, as the tracer provider's processor. */
export interface SpanQueue extends SpanProcessor {
  /** Spans waiting. */
  readonly depth: number;
}

/** Creates a bounded batching span processor. */
export function createSpanQueue(options: SpanQueueOptions): SpanQueue {
  const { exporter, clock, onOutcome } = options;
  const maxQueue = options.maxQueue ?? 2048;
  const maxBatch = options.maxBatch ?? 512;
  const delayMs = options.delayMs ?? 1000;
  const exportTimeoutMs = options.exportTimeoutMs ?? 10_000;
  let queue: ReadableSpan[] = [];
  let timer: TimerHandle | undefined;
  let inFlight: Promise<void> | undefined;
  let closed = false;

  /** Exports one batch; resolves when it is answered or given up. */
  const exportBatch = (batch: ReadableSpan[]): Promise<void> =>
    new Promise<void>((resolve) => {
      let settled = false;
      const settle = (ok: boolean, error?: unknown): void => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(deadline);
        onOutcome?.(ok ? 'exported' : 'failed', batch.length, error);
        resolve();
      };
      const deadline = clock.setTimeout(() => {
        settle(false, new Error(`span export not answered in ${exportTimeoutMs} ms`));
      }, exportTimeoutMs);
      try {
        exporter.export(batch, (result) => {
          settle(result.code === ExportResultCode.SUCCESS, result.error);
        });
      } catch (error) {
        settle(false, error);
      }
    });

  /** Starts the next export if none is running; the next one follows when it ends. */
  const drain = (): void => {
    if (timer !== undefined) {
      clock.clearTimeout(timer);
      timer = undefined;
    }
    if (inFlight !== undefined || queue.length === 0) return;
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    inFlight = exportBatch(batch).then(() => {
      inFlight = undefined;
      if (queue.length >= maxBatch) drain();
      else schedule();
    });
  };

  const schedule = (): void => {
    if (timer !== undefined || queue.length === 0) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      drain();
    }, delayMs);
  };

  const flush = async (): Promise<void> => {
    while (inFlight !== undefined || queue.length > 0) {
      drain();
      await inFlight;
    }
  };

  return {
    get depth() {
      return queue.length;
    },
    onStart(_span: Span, _parentContext: Context) {
      // Spans are exported when they end.
    },
    onEnd(span) {
      if (closed || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
      if (queue.length >= maxQueue) {
        onOutcome?.('dropped', 1);
        return;
      }
      queue.push(span);
      if (queue.length >= maxBatch) drain();
      else schedule();
    },
    forceFlush: flush,
    async shutdown() {
      if (closed) return;
      await flush();
      closed = true;
      await exporter.shutdown();
    },
  };
}
