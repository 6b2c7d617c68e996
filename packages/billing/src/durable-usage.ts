import type { Repositories } from '@prx-voice/storage';
import type { SessionId, TenantId } from '@prx-voice/types';
import { metersOfBudget } from './meters.js';
import type { BudgetKind } from './meters.js';

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
