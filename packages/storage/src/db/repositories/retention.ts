import type { RecordingRow } from '../schema.js';
import type { TenantContext } from './context.js';

/** What one call of {@link RetentionRepository.deleteBillingBefore} deleted. */
export interface BillingDeleted {
  readonly meterEvents: number;
  readonly ledgerEntries: number;
  readonly invoices: number;
}

/**
 * Deleting a tenant's data past its retention period, in bounded batches (call again
 * until a call deletes nothing). Every delete is by age alone, so running it twice or
 * on two instances at once deletes nothing twice.
 */
export interface RetentionRepository {
  /** Up to `limit` sessions that ended before `before`, their turns and events with them. */
  deleteSessionsEndedBefore(before: Date, limit: number): Promise<number>;
  /** Up to `limit` debug-severity events (of any session) that happened before `before`. */
  deleteDebugEventsBefore(before: Date, limit: number): Promise<number>;
  /**
   * Up to `limit` each: meter events that happened before `before`, and the ledger
   * entries and invoices of periods (`YYYY-MM`) that ended by then.
   */
  deleteBillingBefore(before: Date, limit: number): Promise<BillingDeleted>;
  /**
   * Up to `limit` recordings (deleted ones included: their objects may remain) made
   * before `createdBefore`, or of sessions that ended before `sessionEndedBefore` (whose
   * rows are about to go); the caller deletes each object, then {@link deleteRecording}.
   */
  expiredRecordings(
    cutoffs: { readonly createdBefore: Date; readonly sessionEndedBefore: Date },
    limit: number,
  ): Promise<RecordingRow[]>;
  /** Deletes a recording's row (after its object); whether there was one. */
  deleteRecording(id: string): Promise<boolean>;
}

/** The period (`YYYY-MM`) holding `at`: periods before it ended by `at`. */
function periodOf(at: Date): string {
  return `${String(at.getUTCFullYear())}-${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Creates a tenant's retention repository. */
export function retentionRepository(ctx: TenantContext): RetentionRepository {
  const { db, tenantId } = ctx;
  const count = (r: { numDeletedRows: bigint } | undefined): number =>
    Number(r?.numDeletedRows ?? 0n);
  return {
    async deleteSessionsEndedBefore(before, limit) {
      const r = await db
        .deleteFrom('sessions')
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('sessions')
            .select('id')
            .where('tenant_id', '=', tenantId)
            .where('ended_at', '<', before)
            .limit(limit),
        )
        .executeTakeFirst();
      return count(r);
    },
    async expiredRecordings(cutoffs, limit) {
      return db
        .selectFrom('recordings')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where((eb) =>
          eb.or([
            eb('created_at', '<', cutoffs.createdBefore),
            eb(
              'session_id',
              'in',
              eb
                .selectFrom('sessions')
                .select('id')
                .where('tenant_id', '=', tenantId)
                .where('ended_at', '<', cutoffs.sessionEndedBefore),
            ),
          ]),
        )
        .orderBy('id', 'asc')
        .limit(limit)
        .execute();
    },
    async deleteRecording(id) {
      const r = await db
        .deleteFrom('recordings')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return count(r) > 0;
    },
    async deleteDebugEventsBefore(before, limit) {
      const r = await db
        .deleteFrom('session_events')
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('session_events')
            .select('id')
            .where('tenant_id', '=', tenantId)
            .where('severity', '=', 'debug')
            .where('time', '<', before)
            .limit(limit),
        )
        .executeTakeFirst();
      return count(r);
    },
    async deleteBillingBefore(before, limit) {
      const period = periodOf(before);
      const meterEvents = await db
        .deleteFrom('meter_events')
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('meter_events')
            .select('id')
            .where('tenant_id', '=', tenantId)
            .where('occurred_at', '<', before)
            .limit(limit),
        )
        .executeTakeFirst();
      const ledgerEntries = await db
        .deleteFrom('ledger_entries')
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('ledger_entries')
            .select('id')
            .where('tenant_id', '=', tenantId)
            .where('period', '<', period)
            .limit(limit),
        )
        .executeTakeFirst();
      const invoices = await db
        .deleteFrom('invoices')
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('invoices')
            .select('id')
            .where('tenant_id', '=', tenantId)
            .where('period', '<', period)
            .limit(limit),
        )
        .executeTakeFirst();
      return {
        meterEvents: count(meterEvents),
        ledgerEntries: count(ledgerEntries),
        invoices: count(invoices),
      };
    },
  };
}
