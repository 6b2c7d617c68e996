import type { Repositories } from '@prx-voice/storage';
import type { SessionId, TenantId } from '@prx-voice/types';
import { isMeter, metersOfBudget } from './meters.js';
import type { BudgetKind } from './meters.js';
import type { UsageEvent } from './meter-recorder.js';

/** The UTC calendar month holding `at`: `[from, to)`. */
export function monthOf(at: Date): { readonly from: Date; readonly to: Date } {
  const from = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const to = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  return { from, to };
}

/**
 * A tenant's recorded usage of a budget in the month holding `at`, from the
 * durable meter events (what a restart, a second instance or a coordination
 * store that lost its data agrees on).
 */
export async function durableMonthlyUsage(
  repos: Pick<Repositories, 'forTenant'>,
  tenantId: TenantId,
  budget: BudgetKind,
  at: Date,
): Promise<number> {
  const billing = repos.forTenant(tenantId).billing;
  const month = monthOf(at);
  let total = 0;
  for (const meter of metersOfBudget(budget)) total += await billing.sumUsage(meter, month);
  return total;
}

/**
 * Whole seconds of a session's time not yet recorded as `session_seconds`, from its
 * start to `until` (a started second counts): what is left to meter for a session
 * whose instance died before it could.
 */
export async function unmeteredSessionSeconds(
  repos: Pick<Repositories, 'forTenant'>,
  tenantId: TenantId,
  sessionId: SessionId,
  startedAt: Date,
  until: Date,
): Promise<number> {
  const total = Math.ceil(Math.max(0, until.getTime() - startedAt.getTime()) / 1000);
  const recorded = await repos
    .forTenant(tenantId)
    .billing.sumUsage(
      'session_seconds',
      { from: startedAt, to: new Date(until.getTime() + 366 * 86_400_000) },
      { sessionId },
    );
  return Math.max(0, total - recorded);
}

/** A session's `governance.usage_recorded` report, as its event data carries it. */
export interface UsageReport {
  readonly meter: string;
  readonly quantity: number;
  readonly provider?: string | undefined;
  /** Unique within the session (turn, run, meter, sequence). */
  readonly idempotency_key: string;
}

/**
 * The usage event of a session's usage report (its key made unique across sessions);
 * undefined for a meter billing does not know. The live session and the recovery of a
 * lost one both record through this, so the same report is one meter event.
 */
export function usageOfReport(
  tenantId: TenantId,
  sessionId: SessionId,
  report: UsageReport,
  occurredAt: number,
): UsageEvent | undefined {
  if (!isMeter(report.meter)) return undefined;
  return {
    tenantId,
    sessionId,
    meter: report.meter,
    quantity: report.quantity,
    ...(report.provider === undefined ? {} : { provider: report.provider }),
    idempotencyKey: `${sessionId}:${report.idempotency_key}`,
    occurredAt,
  };
}

/** Type of the event that carries a usage report. */
const USAGE_RECORDED = 'prx.voice.governance.usage_recorded';

/**
 * The usage a session reported in its durable event log: what the recovery of a session
 * whose instance died records again (keys already recorded are skipped), so usage whose
 * meter events were still queued in the dead process is not lost.
 */
export async function loggedUsage(
  repos: Pick<Repositories, 'forTenant'>,
  tenantId: TenantId,
  sessionId: SessionId,
): Promise<UsageEvent[]> {
  const events = repos.forTenant(tenantId).events;
  const found: UsageEvent[] = [];
  for (let after = 0; ;) {
    const page = await events.readAfter(sessionId, after, 500);
    for (const row of page) {
      if (row.type !== USAGE_RECORDED) continue;
      const data = (row.event as { data?: UsageReport }).data;
      if (data === undefined) continue;
      const usage = usageOfReport(tenantId, sessionId, data, row.time.getTime());
      if (usage !== undefined) found.push(usage);
    }
    const last = page.at(-1);
    if (last === undefined || page.length < 500) return found;
    after = last.seq;
  }
}
