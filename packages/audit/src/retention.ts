/**
 * The retention sweeper: for each tenant, deletes what is older than its retention
 * periods — recordings (their files from the object store, then their rows), sessions
 * (with their turns and events), debug events, billing records — in bounded batches, and
 * records what it deleted in the tenant's audit log. A tenant's `settings.retention`
 * overrides the defaults key by key. A session's recordings go before the session does.
 * The audit log's own records go only up to a signed checkpoint (see {@link AuditLog.expire}),
 * so what is left still verifies; the sweep's record is then the first after the cut.
 */
import type { Clock, TimerHandle } from '@prx-voice/core';
import type { ObjectStore, Repositories } from '@prx-voice/storage';
import type { TenantId } from '@prx-voice/types';
import type { AuditLog } from './audit-log.js';

const DAY_MS = 86_400_000;
const BATCH = 500;

/** Retention periods, days. */
export interface RetentionPeriods {
  readonly sessions_days: number;
  readonly recordings_days: number;
  readonly debug_events_days: number;
  readonly billing_days: number;
  /** Audit records (up to the newest signed checkpoint of records this old). */
  readonly audit_days: number;
}

/**
 * The original PRX Voice's defaults: sessions 90 days, recordings 30, debug events 7,
 * billing 3 years, audit records 2 years.
 */
export const DEFAULT_RETENTION: RetentionPeriods = {
  sessions_days: 90,
  recordings_days: 30,
  debug_events_days: 7,
  billing_days: 1_095,
  audit_days: 730,
};

/** What one tenant's sweep deleted. */
export interface TenantSweep {
  readonly tenantId: TenantId;
  readonly sessions: number;
  readonly recordings: number;
  readonly debugEvents: number;
  readonly meterEvents: number;
  readonly ledgerEntries: number;
  readonly invoices: number;
  /** Audit records deleted, up to the anchor the chain now verifies from. */
  readonly auditRecords: number;
}

/** The sweeper; see {@link createRetentionSweeper}. */
export interface RetentionSweeper {
  /** Sweeps every tenant now; returns what was deleted, for tenants where anything was. */
  sweep(): Promise<TenantSweep[]>;
  /** Sweeps every `intervalMs`. */
  start(): void;
  stop(): void;
}

/** Options of {@link createRetentionSweeper}. */
export interface RetentionSweeperOptions {
  readonly repos: Pick<Repositories, 'tenants' | 'forTenant'>;
  readonly clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  /** Where each sweep that deleted something is recorded, and whose old records expire. */
  readonly audit: Pick<AuditLog, 'record' | 'expire'>;
  /** Where recordings' files are; without it, recordings' rows are deleted and their files left. */
  readonly store?: Pick<ObjectStore, 'delete'>;
  readonly defaults?: RetentionPeriods;
  readonly intervalMs?: number;
  readonly onError?: (error: unknown, context: string) => void;
}

/** Everything one tenant's sweep deleted. */
function total(s: TenantSweep): number {
  return (
    s.sessions +
    s.recordings +
    s.debugEvents +
    s.meterEvents +
    s.ledgerEntries +
    s.invoices +
    s.auditRecords
  );
}

/** A tenant's periods: its `settings.retention` (positive whole days) over the defaults. */
export function retentionOf(
  settings: Readonly<Record<string, unknown>>,
  defaults: RetentionPeriods,
): RetentionPeriods {
  const own = settings['retention'];
  const pick = (key: keyof RetentionPeriods): number => {
    const v =
      typeof own === 'object' && own !== null ? (own as Record<string, unknown>)[key] : undefined;
    return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : defaults[key];
  };
  return {
    sessions_days: pick('sessions_days'),
    recordings_days: pick('recordings_days'),
    debug_events_days: pick('debug_events_days'),
    billing_days: pick('billing_days'),
    audit_days: pick('audit_days'),
  };
}

/**
 * Creates the sweeper.
 *
 * @example
 * const sweeper = createRetentionSweeper({ repos, clock, audit });
 * sweeper.start();
 */
export function createRetentionSweeper(o: RetentionSweeperOptions): RetentionSweeper {
  const defaults = o.defaults ?? DEFAULT_RETENTION;
  const intervalMs = o.intervalMs ?? 3_600_000;
  let timer: TimerHandle | undefined;
  let running = false;

  /** Calls `step` until a call deletes nothing; the total. */
  async function drain(step: () => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await step();
      total += n;
      if (n === 0) return total;
    }
  }

  async function sweepTenant(
    id: TenantId,
    settings: Record<string, unknown>,
  ): Promise<TenantSweep> {
    const periods = retentionOf(settings, defaults);
    const now = o.clock.now();
    const before = (days: number): Date => new Date(now - days * DAY_MS);
    const r = o.repos.forTenant(id).retention;
    const recordings = await drain(async () => {
      const rows = await r.expiredRecordings(
        {
          createdBefore: before(periods.recordings_days),
          sessionEndedBefore: before(periods.sessions_days),
        },
        BATCH,
      );
      for (const row of rows) {
        await o.store?.delete(row.object_key); // the file first: a crash leaves the row to retry
        await r.deleteRecording(row.id);
      }
      return rows.length;
    });
    const sessions = await drain(() =>
      r.deleteSessionsEndedBefore(before(periods.sessions_days), BATCH),
    );
    const debugEvents = await drain(() =>
      r.deleteDebugEventsBefore(before(periods.debug_events_days), BATCH),
    );
    let meterEvents = 0;
    let ledgerEntries = 0;
    let invoices = 0;
    await drain(async () => {
      const d = await r.deleteBillingBefore(before(periods.billing_days), BATCH);
      meterEvents += d.meterEvents;
      ledgerEntries += d.ledgerEntries;
      invoices += d.invoices;
      return d.meterEvents + d.ledgerEntries + d.invoices;
    });
    // One cut, at the newest anchor: a single atomic delete leaves the chain anchored.
    const expiry = await o.audit.expire(id, before(periods.audit_days));
    const auditRecords = expiry.kind === 'cut' ? expiry.deleted : 0;
    const swept = {
      tenantId: id,
      sessions,
      recordings,
      debugEvents,
      meterEvents,
      ledgerEntries,
      invoices,
      auditRecords,
    };
    if (total(swept) > 0) {
      await o.audit.record(id, {
        actorType: 'system',
        actorId: 'retention',
        action: 'retention.sweep',
        resourceType: 'tenant',
        resourceId: id,
        outcome: 'success',
        details: {
          deleted: {
            sessions,
            recordings,
            debug_events: debugEvents,
            meter_events: meterEvents,
            ledger_entries: ledgerEntries,
            invoices,
            audit_records: auditRecords,
          },
          ...(expiry.kind === 'cut' && auditRecords > 0 ? { audit_anchor: expiry.anchor } : {}),
          periods_days: { ...periods },
        },
      });
    }
    return swept;
  }

  async function sweep(): Promise<TenantSweep[]> {
    const done: TenantSweep[] = [];
    let cursor: string | null = null;
    do {
      const page = await o.repos.tenants.list({ limit: 200, cursor });
      for (const t of page.items) {
        try {
          const s = await sweepTenant(t.id as TenantId, t.settings);
          if (total(s) > 0) done.push(s);
        } catch (err) {
          o.onError?.(err, `retention sweep of ${t.id}`);
        }
      }
      cursor = page.nextCursor;
    } while (cursor !== null);
    return done;
  }

  const tick = (): void => {
    timer = undefined;
    void sweep()
      .catch((err: unknown) => o.onError?.(err, 'retention sweep'))
      .finally(() => {
        if (running) timer = o.clock.setTimeout(tick, intervalMs);
      });
  };

  return {
    sweep,
    start() {
      if (running) return;
      running = true;
      timer = o.clock.setTimeout(tick, intervalMs);
    },
    stop() {
      running = false;
      if (timer !== undefined) o.clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
