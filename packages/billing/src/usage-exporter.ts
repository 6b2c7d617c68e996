import { MAX_TIMER_DELAY_MS } from '@prx-voice/core';
import type { Clock, TimerHandle } from '@prx-voice/core';
import { MAX_USAGE_EXPORT_BATCH } from '@prx-voice/storage';
import type { MeterEventRow, Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';

/** A meter event as exported: a CloudEvents 1.0 event (OpenMeter's ingestion format). */
export interface UsageCloudEvent {
  readonly specversion: '1.0';
  /** The meter event's id: the receiver's deduplication key. */
  readonly id: string;
  readonly source: 'prx-voice';
  readonly type: 'prx.voice.usage';
  /** The tenant id. */
  readonly subject: string;
  /** When the usage happened, ISO 8601. */
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: {
    readonly meter: string;
    readonly quantity: number;
    readonly unit: string;
    readonly provider: string | null;
    readonly session_id: string | null;
    readonly idempotency_key: string;
  };
}

/** Options of {@link createUsageExporter}. */
export interface UsageExporterOptions {
  readonly repos: Pick<Repositories, 'usageExport'>;
  readonly clock: Clock;
  /** Where batches are POSTed, an http(s) URL. */
  readonly endpoint: string;
  /** Sent with every request, e.g. `Authorization`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Most events per request, 1–1000 (default 100). */
  readonly batchSize?: number;
  /** Poll period when idle, ms (default 5000). */
  readonly intervalMs?: number;
  /** Longest a request may take, ms (default 10 000); then it is aborted and counts as failed. */
  readonly timeoutMs?: number;
  /** Failed attempts of a batch before its events are dead-lettered (default 8). */
  readonly maxAttempts?: number;
  /** First retry delay of a batch, ms, doubled per attempt up to 5 minutes (default 1000). */
  readonly backoffMs?: number;
  /**
   * Events are exported once their `recorded_at` is this far behind the clock, ms
   * (default 5000): more than writers' clock skew and commit delay, so an event that
   * commits late with an earlier `recorded_at` is never behind a cursor that moved on.
   */
  readonly settleMs?: number;
  /** Tenants delivered at the same time (default 4). */
  readonly concurrency?: number;
  readonly fetch?: typeof globalThis.fetch;
  /**
   * A delivery attempt failed (`retryInMs` null: its events were dead-lettered) or
   * storage failed (`attempt` 0, `tenantId` empty when listing tenants failed; retried on
   * the next pass, `retryInMs` later).
   */
  readonly onError?: (
    error: unknown,
    context: { tenantId: string; attempt: number; retryInMs: number | null },
  ) => void;
  /** A batch of `events` was acknowledged and the cursor advanced. */
  readonly onDelivered?: (events: number) => void;
  /** `events` were dead-lettered. */
  readonly onDeadLettered?: (events: number) => void;
}

/** Counters of an exporter, for metrics. */
export interface UsageExporterStats {
  /** Events acknowledged by the endpoint. */
  readonly delivered: number;
  /** Events given up on. */
  readonly deadLettered: number;
  /** Failed delivery attempts. */
  readonly failures: number;
}

/** Delivers meter events to a usage endpoint. */
export interface UsageExporter {
  /** Starts the loop on the clock. */
  start(): void;
  /** One pass over every tenant with pending events (what the loop does); resolves when done. */
  runOnce(): Promise<{ delivered: number; deadLettered: number }>;
  /** Stops; waits for a batch in flight. */
  stop(): Promise<void>;
  readonly stats: UsageExporterStats;
}

/** Longest retry delay of a batch. */
const MAX_BACKOFF_MS = 5 * 60_000;
/** Batches one tenant sends in a pass before the others' turn (the next pass follows at once). */
const BATCHES_PER_TENANT_PER_PASS = 10;
/** Tenants one pass looks at; more are taken by the next passes. */
const TENANTS_PER_PASS = MAX_USAGE_EXPORT_BATCH;
/** Longest piece of an error answer kept in a message. */
const ERROR_SNIPPET = 300;

interface PassResult {
  delivered: number;
  deadLettered: number;
  /** Some tenant has more to send at once. */
  more: boolean;
}

/** The retry state of a tenant whose batch failed. */
interface Backoff {
  /** Failed attempts of the batch starting at `firstId`. */
  readonly attempts: number;
  readonly firstId: string;
  /** No attempt before this, epoch ms. */
  readonly retryAt: number;
}

/** A meter event as a CloudEvent of the export. */
export function toUsageCloudEvent(row: MeterEventRow): UsageCloudEvent {
  return {
    specversion: '1.0',
    id: row.id,
    source: 'prx-voice',
    type: 'prx.voice.usage',
    subject: row.tenant_id,
    time: row.occurred_at.toISOString(),
    datacontenttype: 'application/json',
    data: {
      meter: row.meter,
      quantity: row.quantity,
      unit: row.unit,
      provider: row.provider,
      session_id: row.session_id,
      idempotency_key: row.idempotency_key,
    },
  };
}

/**
 * Creates the usage exporter: an outbox over `meter_events` that delivers each tenant's
 * events in `(recorded_at, id)` order, at least once, as CloudEvents batches
 * (`application/cloudevents-batch+json`, OpenMeter's ingestion), one batch per tenant in
 * flight. A 2xx answer acknowledges a batch and moves the tenant's cursor past it; a
 * network error, a timeout or another status is retried with exponential backoff, and
 * after `maxAttempts` failures the batch's events are dead-lettered and delivery goes on.
 * A batch sent again (a retry, a restart before the cursor moved) carries the same event
 * ids, by which the receiver deduplicates.
 *
 * @example
 * const exporter = createUsageExporter({ repos, clock, endpoint: 'https://openmeter.example/api/v1/events',
 *   headers: { authorization: `Bearer ${token}` }, onError: (e, c) => log.warn({ err: e, ...c }) });
 * exporter.start();
 * // on shutdown
 * await exporter.stop();
 */
export function createUsageExporter(options: UsageExporterOptions): UsageExporter {
  const { clock } = options;
  const repo = options.repos.usageExport;
  const endpoint = parseEndpoint(options.endpoint);
  const batchSize = integerOption('batchSize', options.batchSize, 100, MAX_USAGE_EXPORT_BATCH);
  const intervalMs = integerOption('intervalMs', options.intervalMs, 5_000, MAX_TIMER_DELAY_MS);
  const timeoutMs = integerOption('timeoutMs', options.timeoutMs, 10_000, MAX_TIMER_DELAY_MS);
  const maxAttempts = integerOption('maxAttempts', options.maxAttempts, 8);
  const backoffMs = integerOption('backoffMs', options.backoffMs, 1_000, MAX_TIMER_DELAY_MS);
  const settleMs = integerOption('settleMs', options.settleMs, 5_000, MAX_TIMER_DELAY_MS, 0);
  const concurrency = integerOption('concurrency', options.concurrency, 4);
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const headers = new Headers(options.headers);
  headers.set('content-type', 'application/cloudevents-batch+json');

  const stats = { delivered: 0, deadLettered: 0, failures: 0 };
  const backoffs = new Map<string, Backoff>();
  let started = false;
  let stopped = false;
  let timer: TimerHandle | undefined;
  let timerDue = Number.POSITIVE_INFINITY;
  let running: Promise<PassResult> | undefined;
  let queued: Promise<PassResult> | undefined;

  const call = <A extends unknown[]>(fn: ((...args: A) => void) | undefined, ...args: A) => {
    try {
      fn?.(...args);
    } catch {
      // A throwing callback must not stop the export.
    }
  };
  const report = (
    error: unknown,
    context: { tenantId: string; attempt: number; retryInMs: number | null },
  ) => call(options.onError, error, context);
  const storageFailed = (error: unknown, tenantId: string) =>
    report(error, { tenantId, attempt: 0, retryInMs: intervalMs });
  const settled = () => ({ recordedBefore: new Date(clock.now() - settleMs) });

  /** Wakes the loop in `delayMs` unless it wakes sooner already. */
  const wake = (delayMs: number): void => {
    if (!started || stopped) return;
    const due = clock.now() + delayMs;
    if (timer !== undefined) {
      if (timerDue <= due) return;
      clock.clearTimeout(timer);
    }
    timerDue = due;
    timer = clock.setTimeout(() => {
      timer = undefined;
      timerDue = Number.POSITIVE_INFINITY;
      void runPass().then((r) => {
        wake(r.more ? 0 : intervalMs);
      });
    }, delayMs);
  };

  /** POSTs one batch; resolves on a 2xx answer, throws a VoiceError otherwise. */
  const send = async (rows: readonly MeterEventRow[]): Promise<void> => {
    const controller = new AbortController();
    const timeout = clock.setTimeout(() => {
      controller.abort();
    }, timeoutMs);
    try {
      const res = await fetchFn(endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify(rows.map(toUsageCloudEvent)),
        signal: controller.signal,
      });
      if (res.ok) {
        await res.body?.cancel();
        return;
      }
      const snippet = await readSnippet(res);
      throw new VoiceError('PROVIDER_ERROR', {
        message: `usage export: the endpoint answered HTTP ${res.status}${snippet === '' ? '' : `: ${snippet}`}`,
        retryable: true,
        details: { status: res.status },
      });
    } catch (error) {
      if (controller.signal.aborted) {
        throw new VoiceError('PROVIDER_TIMEOUT', {
          message: `usage export: the endpoint did not answer within ${timeoutMs} ms`,
          cause: error,
        });
      }
      if (VoiceError.is(error)) throw error;
      throw new VoiceError('PROVIDER_UNAVAILABLE', {
        message: `usage export: the request failed: ${messageOf(error)}`,
        cause: error,
      });
    } finally {
      clock.clearTimeout(timeout);
    }
  };

  /** Sends a tenant's batches until it is done, fails or had its share; true: it has more. */
  const drain = async (tenantId: TenantId, result: PassResult): Promise<boolean> => {
    for (let batch = 0; batch < BATCHES_PER_TENANT_PER_PASS; batch++) {
      if (stopped) return false;
      let rows: MeterEventRow[];
      try {
        rows = await repo.pending(tenantId, batchSize, settled());
      } catch (error) {
        storageFailed(error, tenantId);
        return false;
      }
      const first = rows[0];
      const last = rows[rows.length - 1];
      if (first === undefined || last === undefined) {
        backoffs.delete(tenantId);
        return false;
      }
      const previous = backoffs.get(tenantId);
      // Failures count per batch: another batch (the cursor moved meanwhile) starts over.
      const attempt = (previous?.firstId === first.id ? previous.attempts : 0) + 1;
      try {
        await send(rows);
      } catch (error) {
        stats.failures++;
        if (attempt < maxAttempts) {
          const retryInMs = Math.min(backoffMs * 2 ** (attempt - 1), MAX_BACKOFF_MS);
          backoffs.set(tenantId, {
            attempts: attempt,
            firstId: first.id,
            retryAt: clock.now() + retryInMs,
          });
          wake(retryInMs);
          report(error, { tenantId, attempt, retryInMs });
          return false;
        }
        try {
          const events = rows.map((r) => ({ meterEventId: r.id, recordedAt: r.recorded_at }));
          await repo.deadLetter(tenantId, events, attempt, messageOf(error));
        } catch (storageError) {
          // The next pass tries the batch once more, then dead-letters it again.
          backoffs.set(tenantId, {
            attempts: attempt - 1,
            firstId: first.id,
            retryAt: clock.now(),
          });
          report(error, { tenantId, attempt, retryInMs: intervalMs });
          storageFailed(storageError, tenantId);
          return false;
        }
        backoffs.delete(tenantId);
        stats.deadLettered += rows.length;
        result.deadLettered += rows.length;
        report(error, { tenantId, attempt, retryInMs: null });
        call(options.onDeadLettered, rows.length);
        continue;
      }
      backoffs.delete(tenantId);
      try {
        await repo.advance(tenantId, { recordedAt: last.recorded_at, id: last.id });
      } catch (error) {
        // Acknowledged but not recorded: the batch goes again, with the same ids.
        storageFailed(error, tenantId);
        return false;
      }
      stats.delivered += rows.length;
      result.delivered += rows.length;
      call(options.onDelivered, rows.length);
      if (rows.length < batchSize) return false;
    }
    return true;
  };

  const pass = async (): Promise<PassResult> => {
    const result: PassResult = { delivered: 0, deadLettered: 0, more: false };
    if (stopped) return result;
    let tenants: string[];
    try {
      tenants = await repo.tenantsWithPending(TENANTS_PER_PASS, settled());
    } catch (error) {
      storageFailed(error, '');
      return result;
    }
    const now = clock.now();
    const due = tenants.filter((t) => (backoffs.get(t)?.retryAt ?? now) <= now);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let t = due[next++]; t !== undefined && !stopped; t = due[next++]) {
        if (await drain(t as TenantId, result)) result.more = true;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
    return result;
  };

  /** Passes run one at a time; a pass asked for while one runs follows it. */
  const runPass = (): Promise<PassResult> => {
    if (queued !== undefined) return queued;
    const begin = (): Promise<PassResult> => {
      const p = pass()
        .catch((error: unknown) => {
          storageFailed(error, '');
          return { delivered: 0, deadLettered: 0, more: false };
        })
        .finally(() => {
          if (running === p) running = undefined;
        });
      running = p;
      return p;
    };
    if (running === undefined) return begin();
    const q = running.then(() => {
      queued = undefined;
      return begin();
    });
    queued = q;
    return q;
  };

  return {
    start() {
      if (started || stopped) return;
      started = true;
      wake(0);
    },
    async runOnce() {
      const { delivered, deadLettered } = await runPass();
      return { delivered, deadLettered };
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      await queued;
      await running;
    },
    get stats() {
      return { ...stats };
    },
  };
}

function parseEndpoint(endpoint: string): string {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `usage export endpoint must be an http(s) URL, got "${endpoint}"`,
      details: { field: 'endpoint' },
    });
  }
  return url.href;
}

function integerOption(
  name: string,
  value: number | undefined,
  fallback: number,
  max: number = Number.MAX_SAFE_INTEGER,
  min = 1,
): number {
  const n = value ?? fallback;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `usage exporter ${name} must be an integer from ${min} to ${max}, got ${String(n)}`,
      details: { field: name },
    });
  }
  return n;
}

/** The start of an error answer's body, for the message. */
async function readSnippet(res: Response): Promise<string> {
  const reader = res.body?.getReader();
  if (reader === undefined) return '';
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < ERROR_SNIPPET) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value as Uint8Array, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text.slice(0, ERROR_SNIPPET).trim();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
