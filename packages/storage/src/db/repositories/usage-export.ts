/**
 * Platform-level state of the usage export outbox: per tenant, a cursor over its meter
 * events in `(recorded_at, id)` order that only moves forward, and the dead letters of
 * events whose delivery was given up.
 */
import { sql } from 'kysely';
import type { Expression, SqlBool } from 'kysely';
import { VoiceError, parseId } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import type { MeterEventRow, UsageExportDeadLetterRow } from '../schema.js';
import { pageSize, storageError } from '../support.js';
import { nowDate } from './context.js';
import type { RepoContext } from './context.js';

/** Most meter events one {@link UsageExportRepository.pending} call returns. */
export const MAX_USAGE_EXPORT_BATCH = 1000;

/** A position in a tenant's meter events, in `(recorded_at, id)` order. */
export interface UsageExportPosition {
  readonly recordedAt: Date;
  readonly id: string;
}

/** Filters of the export's reads. */
export interface UsageExportReadOptions {
  /**
   * Only meter events recorded at or before this instant: an export that stays behind
   * "now" by more than writers' clock skew and commit delay never moves its cursor past
   * an event that commits later with an earlier `recorded_at`.
   */
  readonly recordedBefore?: Date;
}

/** A meter event given up on. */
export interface UsageExportDeadLetterInput {
  readonly meterEventId: string;
  readonly recordedAt: Date;
}

/** The usage export's cursors and dead letters (every tenant). */
export interface UsageExportRepository {
  /**
   * Tenants with meter events after their cursor (or without a cursor), at most `limit`
   * (1–1000): tenants without a cursor first, then the least recently advanced.
   */
  tenantsWithPending(limit: number, opts?: UsageExportReadOptions): Promise<string[]>;
  /** The next meter events of a tenant after its cursor, ordered by (recorded_at, id); `limit` 1–1000. */
  pending(
    tenantId: TenantId,
    limit: number,
    opts?: UsageExportReadOptions,
  ): Promise<MeterEventRow[]>;
  /** Moves the tenant's cursor to this event (never backwards: a call with an older position is ignored). */
  advance(tenantId: TenantId, to: UsageExportPosition): Promise<void>;
  /**
   * Stores dead letters (idempotent per meter event) and moves the cursor past the last of
   * them, in one transaction. Every event must be one of the tenant's (else `NOT_FOUND`).
   */
  deadLetter(
    tenantId: TenantId,
    events: readonly UsageExportDeadLetterInput[],
    attempts: number,
    lastError: string,
  ): Promise<void>;
  /** Dead letters, newest first, of one tenant or all (`limit` 1–200, default 50). */
  deadLetters(opts?: {
    readonly tenantId?: TenantId;
    readonly limit?: number;
  }): Promise<UsageExportDeadLetterRow[]>;
  /** Count of dead letters (all tenants). */
  deadLetterCount(): Promise<number>;
}

/** Creates the usage export repository. */
export function usageExportRepository(ctx: RepoContext): UsageExportRepository {
  const { db } = ctx;
  /** `m` is after the cursor `c` (a missing cursor: everything is). */
  const afterCursor: Expression<SqlBool> = sql<SqlBool>`(c.tenant_id is null or (m.recorded_at, m.id) > (c.last_recorded_at, c.last_id))`;
  const tenantNotFound = (tenantId: string) =>
    new VoiceError('TENANT_NOT_FOUND', { details: { tenant_id: tenantId } });

  const upsertCursor = async (
    q: typeof db,
    tenantId: TenantId,
    to: UsageExportPosition,
  ): Promise<void> => {
    await q
      .insertInto('usage_export_cursors')
      .values({
        tenant_id: tenantId,
        last_recorded_at: to.recordedAt,
        last_id: to.id,
        updated_at: nowDate(ctx),
      })
      .onConflict((oc) =>
        oc
          .column('tenant_id')
          .doUpdateSet((eb) => ({
            last_recorded_at: eb.ref('excluded.last_recorded_at'),
            last_id: eb.ref('excluded.last_id'),
            updated_at: eb.ref('excluded.updated_at'),
          }))
          .where(
            sql<SqlBool>`(excluded.last_recorded_at, excluded.last_id) > (usage_export_cursors.last_recorded_at, usage_export_cursors.last_id)`,
          ),
      )
      .execute()
      .catch((err: unknown) => {
        throw storageError(err, 'usage export cursor', tenantNotFound(tenantId));
      });
  };

  return {
    async tenantsWithPending(limit, opts) {
      checkLimit(limit);
      const before = recordedBefore(opts);
      const rows = await db
        .selectFrom('tenants as t')
        .leftJoin('usage_export_cursors as c', 'c.tenant_id', 't.id')
        .select('t.id')
        .where((eb) => {
          let q = eb
            .selectFrom('meter_events as m')
            .select(sql.lit(1).as('one'))
            .whereRef('m.tenant_id', '=', 't.id')
            .where(afterCursor);
          if (before !== undefined) q = q.where('m.recorded_at', '<=', before);
          return eb.exists(q);
        })
        .orderBy('c.updated_at', (ob) => ob.asc().nullsFirst())
        .orderBy('t.id', 'asc')
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },
    async pending(tenantId, limit, opts) {
      checkLimit(limit);
      const id = parseId('tenant', tenantId);
      const before = recordedBefore(opts);
      let q = db
        .selectFrom('meter_events as m')
        .leftJoin('usage_export_cursors as c', 'c.tenant_id', 'm.tenant_id')
        .selectAll('m')
        .where('m.tenant_id', '=', id)
        .where(afterCursor)
        .orderBy('m.recorded_at', 'asc')
        .orderBy('m.id', 'asc')
        .limit(limit);
      if (before !== undefined) q = q.where('m.recorded_at', '<=', before);
      return q.execute();
    },
    async advance(tenantId, to) {
      const id = parseId('tenant', tenantId);
      checkPosition(to);
      await upsertCursor(db, id, to);
    },
    async deadLetter(tenantId, events, attempts, lastError) {
      const id = parseId('tenant', tenantId);
      if (!Number.isSafeInteger(attempts) || attempts < 1) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `attempts must be a positive integer, got ${String(attempts)}`,
          details: { field: 'attempts' },
        });
      }
      if (events.length === 0) return;
      let last: UsageExportPosition | undefined;
      for (const e of events) {
        const at = { recordedAt: e.recordedAt, id: e.meterEventId };
        checkPosition(at);
        if (last === undefined || comparePositions(at, last) > 0) last = at;
      }
      const eventIds = [...new Set(events.map((e) => e.meterEventId))];
      const createdAt = nowDate(ctx);
      await db.transaction().execute(async (tx) => {
        const own = await tx
          .selectFrom('meter_events')
          .select('id')
          .where('tenant_id', '=', id)
          .where('id', 'in', eventIds)
          .execute();
        if (own.length !== eventIds.length) {
          const found = new Set(own.map((r) => r.id));
          throw new VoiceError('NOT_FOUND', {
            message: `meter event ${eventIds.find((e) => !found.has(e)) ?? ''} of tenant ${id} does not exist`,
          });
        }
        await tx
          .insertInto('usage_export_dead_letters')
          .values(
            eventIds.map((meterEventId) => ({
              id: deadLetterId(meterEventId),
              tenant_id: id,
              meter_event_id: meterEventId,
              attempts,
              last_error: lastError,
              created_at: createdAt,
            })),
          )
          .onConflict((oc) => oc.columns(['tenant_id', 'meter_event_id']).doNothing())
          .execute()
          .catch((err: unknown) => {
            throw storageError(err, 'usage export dead letter', tenantNotFound(id));
          });
        if (last !== undefined) await upsertCursor(tx, id, last);
      });
    },
    async deadLetters(opts) {
      const limit = pageSize(opts);
      let q = db
        .selectFrom('usage_export_dead_letters')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit);
      if (opts?.tenantId !== undefined) {
        q = q.where('tenant_id', '=', parseId('tenant', opts.tenantId));
      }
      return q.execute();
    },
    async deadLetterCount() {
      const row = await db
        .selectFrom('usage_export_dead_letters')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
  };
}

/** A dead letter's id, derived from its meter event's (unique per event, so idempotent). */
function deadLetterId(meterEventId: string): string {
  return `dlq_${meterEventId.slice(meterEventId.indexOf('_') + 1)}`;
}

function comparePositions(a: UsageExportPosition, b: UsageExportPosition): number {
  const byTime = a.recordedAt.getTime() - b.recordedAt.getTime();
  if (byTime !== 0) return byTime;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_USAGE_EXPORT_BATCH) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `limit must be an integer from 1 to ${MAX_USAGE_EXPORT_BATCH}, got ${String(limit)}`,
      details: { field: 'limit' },
    });
  }
}

function checkPosition(at: UsageExportPosition): void {
  if (Number.isNaN(at.recordedAt.getTime()) || at.id === '') {
    throw new VoiceError('VALIDATION_FAILED', {
      message: 'a usage export position needs a valid recorded_at and a meter event id',
      details: { field: 'position' },
    });
  }
}

function recordedBefore(opts: UsageExportReadOptions | undefined): Date | undefined {
  const before = opts?.recordedBefore;
  if (before !== undefined && Number.isNaN(before.getTime())) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: 'recordedBefore must be a valid date',
      details: { field: 'recorded_before' },
    });
  }
  return before;
}
