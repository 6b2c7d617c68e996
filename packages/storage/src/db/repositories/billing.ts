import { VoiceError } from '@prx-voice/types';
import type { SessionId } from '@prx-voice/types';
import type { LedgerEntryRow, MeterEventRow } from '../schema.js';
import { decodeCursor, pageSize, storageError, toPage } from '../support.js';
import type { Page, PageOptions } from '../support.js';
import { nowDate } from './context.js';
import type { TenantContext } from './context.js';

/** A usage measurement as it happened. */
export interface NewMeterEvent {
  readonly sessionId?: SessionId | null;
  /** e.g. `session_seconds`, `asr_audio_ms`, `agent_prompt_tokens`, `tts_characters`. */
  readonly meter: string;
  /** A whole number of `unit`s. */
  readonly quantity: number;
  readonly unit: string;
  readonly provider?: string | null;
  /** The same key twice records once. */
  readonly idempotencyKey: string;
  readonly occurredAt: Date;
  readonly metadata?: Record<string, unknown>;
}

/** A priced money movement. */
export interface NewLedgerEntry {
  readonly kind: 'usage' | 'credit' | 'adjustment' | 'invoice';
  /** Integer micro-units of `currency` (1 USD = 1 000 000). */
  readonly amountMicros: number;
  readonly currency: string;
  /** Billing period, `YYYY-MM`. */
  readonly period: string;
  readonly description: string;
  readonly meterEventId?: string | null;
  readonly idempotencyKey: string;
}

/** A meter's usage of one provider in one unit over a range. */
export interface UsageTotal {
  meter: string;
  provider: string | null;
  unit: string;
  /** Sum of the events' quantities. */
  quantity: number;
  /** How many meter events were summed. */
  events: number;
}

/** Whether an idempotent write created the row or found it. */
export interface Recorded<T> {
  readonly row: T;
  readonly created: boolean;
}

/** Most meter events {@link BillingRepository.recordUsageMany} takes in one call (one statement). */
export const MAX_METER_EVENTS_PER_WRITE = 500;

/** What {@link BillingRepository.recordUsageMany} did. */
export interface RecordedMany {
  /** Events stored now. */
  readonly created: number;
  /** Events whose key was stored already (or came twice in the call): not stored again. */
  readonly duplicates: number;
}

/** A tenant's meter events and ledger. */
export interface BillingRepository {
  recordUsage(event: NewMeterEvent): Promise<Recorded<MeterEventRow>>;
  /**
   * Stores up to {@link MAX_METER_EVENTS_PER_WRITE} events in one statement, each once by
   * its key as {@link recordUsage} does; all or nothing (a refused row fails the call).
   */
  recordUsageMany(events: readonly NewMeterEvent[]): Promise<RecordedMany>;
  /** Sum of a meter's quantities with `from <= occurred_at < to` (of one session, if given). */
  sumUsage(
    meter: string,
    range: { readonly from: Date; readonly to: Date },
    opts?: { readonly sessionId?: SessionId },
  ): Promise<number>;
  listUsage(
    range: { readonly from: Date; readonly to: Date },
    opts?: PageOptions,
  ): Promise<Page<MeterEventRow>>;
  /**
   * Quantities summed by meter, provider and unit with from <= occurred_at < to,
   * optionally of one session / meter / provider, or recorded (written here) in
   * `[recordedFrom, recordedBefore)` — how a period's close tells usage that came in late;
   * ordered by meter then provider (null provider first).
   */
  usageTotals(
    range: { readonly from: Date; readonly to: Date },
    opts?: {
      readonly sessionId?: SessionId;
      readonly meter?: string;
      readonly provider?: string;
      readonly recordedFrom?: Date;
      readonly recordedBefore?: Date;
    },
  ): Promise<UsageTotal[]>;
  post(entry: NewLedgerEntry): Promise<Recorded<LedgerEntryRow>>;
  listLedger(opts?: PageOptions & { readonly period?: string }): Promise<Page<LedgerEntryRow>>;
  /** Sum of entries in a currency, optionally for one period. */
  balance(currency: string, period?: string): Promise<number>;
}

/** A billing period, `YYYY-MM` (UTC month): the one pattern storage, billing and the API check. */
export const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

/** Creates a tenant's billing repository. */
export function billingRepository(ctx: TenantContext): BillingRepository {
  const { db, tenantId } = ctx;
  /** The row of a new meter event (its quantity checked). */
  const meterRow = (e: NewMeterEvent) => {
    if (!Number.isSafeInteger(e.quantity) || e.quantity < 0) {
      throw new VoiceError('VALIDATION_FAILED', {
        message: `meter quantity must be a non-negative integer, got ${e.quantity}`,
      });
    }
    return {
      id: ctx.ids.next('meter'),
      tenant_id: tenantId,
      session_id: e.sessionId ?? null,
      meter: e.meter,
      quantity: e.quantity,
      unit: e.unit,
      provider: e.provider ?? null,
      idempotency_key: e.idempotencyKey,
      occurred_at: e.occurredAt,
      recorded_at: nowDate(ctx),
      metadata: e.metadata ?? {},
    };
  };
  return {
    async recordUsage(e) {
      const inserted = await db
        .insertInto('meter_events')
        .values(meterRow(e))
        .onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
        .returningAll()
        .executeTakeFirst()
        .catch((err: unknown) => {
          throw storageError(err, 'meter event');
        });
      if (inserted !== undefined) return { row: inserted, created: true };
      const existing = await db
        .selectFrom('meter_events')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('idempotency_key', '=', e.idempotencyKey)
        .executeTakeFirstOrThrow();
      return { row: existing, created: false };
    },
    async recordUsageMany(events) {
      if (events.length === 0) return { created: 0, duplicates: 0 };
      if (events.length > MAX_METER_EVENTS_PER_WRITE) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `at most ${MAX_METER_EVENTS_PER_WRITE} meter events per write, got ${events.length}`,
        });
      }
      const rows = events.map(meterRow);
      // ON CONFLICT DO NOTHING also skips a key repeated within the statement.
      const inserted = await db
        .insertInto('meter_events')
        .values(rows)
        .onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
        .returning('id')
        .execute()
        .catch((err: unknown) => {
          throw storageError(err, 'meter events');
        });
      return { created: inserted.length, duplicates: events.length - inserted.length };
    },
    async sumUsage(meter, range, opts) {
      let q = db
        .selectFrom('meter_events')
        .select((eb) => eb.fn.sum<number | string | null>('quantity').as('total'))
        .where('tenant_id', '=', tenantId)
        .where('meter', '=', meter)
        .where('occurred_at', '>=', range.from)
        .where('occurred_at', '<', range.to);
      if (opts?.sessionId !== undefined) q = q.where('session_id', '=', opts.sessionId);
      const row = await q.executeTakeFirst();
      return Number(row?.total ?? 0);
    },
    async listUsage(range, opts) {
      const limit = pageSize(opts);
      let q = db
        .selectFrom('meter_events')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('occurred_at', '>=', range.from)
        .where('occurred_at', '<', range.to)
        .orderBy('id', 'asc')
        .limit(limit + 1);
      if (opts?.cursor != null) q = q.where('id', '>', decodeCursor(opts.cursor, 'string'));
      return toPage(await q.execute(), limit, (r) => r.id);
    },
    async usageTotals(range, opts) {
      let q = db
        .selectFrom('meter_events')
        .select(['meter', 'provider', 'unit'])
        .select((eb) => [
          eb.fn.sum<number | string>('quantity').as('quantity'),
          eb.fn.countAll<number | string>().as('events'),
        ])
        .where('tenant_id', '=', tenantId)
        .where('occurred_at', '>=', range.from)
        .where('occurred_at', '<', range.to)
        .groupBy(['meter', 'provider', 'unit'])
        .orderBy('meter', 'asc')
        .orderBy('provider', (ob) => ob.asc().nullsFirst())
        .orderBy('unit', 'asc');
      if (opts?.sessionId !== undefined) q = q.where('session_id', '=', opts.sessionId);
      if (opts?.meter !== undefined) q = q.where('meter', '=', opts.meter);
      if (opts?.provider !== undefined) q = q.where('provider', '=', opts.provider);
      if (opts?.recordedFrom !== undefined) q = q.where('recorded_at', '>=', opts.recordedFrom);
      if (opts?.recordedBefore !== undefined) q = q.where('recorded_at', '<', opts.recordedBefore);
      const rows = await q.execute();
      return rows.map((r) => ({
        meter: r.meter,
        provider: r.provider,
        unit: r.unit,
        quantity: safeInteger(r.quantity, 'usage total'),
        events: safeInteger(r.events, 'usage event count'),
      }));
    },
    async post(entry) {
      if (!Number.isSafeInteger(entry.amountMicros)) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `amount_micros must be an integer, got ${entry.amountMicros}`,
        });
      }
      if (!PERIOD.test(entry.period)) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `period must be YYYY-MM, got "${entry.period}"`,
        });
      }
      if (entry.meterEventId != null) {
        const own = await db
          .selectFrom('meter_events')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .where('id', '=', entry.meterEventId)
          .executeTakeFirst();
        if (own === undefined) {
          throw new VoiceError('NOT_FOUND', {
            message: `meter event ${entry.meterEventId} does not exist`,
          });
        }
      }
      const inserted = await db
        .insertInto('ledger_entries')
        .values({
          id: ctx.ids.next('ledger'),
          tenant_id: tenantId,
          kind: entry.kind,
          amount_micros: entry.amountMicros,
          currency: entry.currency,
          period: entry.period,
          description: entry.description,
          meter_event_id: entry.meterEventId ?? null,
          idempotency_key: entry.idempotencyKey,
          created_at: nowDate(ctx),
        })
        .onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
        .returningAll()
        .executeTakeFirst()
        .catch((err: unknown) => {
          throw storageError(err, 'ledger entry');
        });
      if (inserted !== undefined) return { row: inserted, created: true };
      const existing = await db
        .selectFrom('ledger_entries')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('idempotency_key', '=', entry.idempotencyKey)
        .executeTakeFirstOrThrow();
      return { row: existing, created: false };
    },
    async listLedger(opts) {
      const limit = pageSize(opts);
      let q = db
        .selectFrom('ledger_entries')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('id', 'asc')
        .limit(limit + 1);
      if (opts?.period !== undefined) q = q.where('period', '=', opts.period);
      if (opts?.cursor != null) q = q.where('id', '>', decodeCursor(opts.cursor, 'string'));
      return toPage(await q.execute(), limit, (r) => r.id);
    },
    async balance(currency, period) {
      let q = db
        .selectFrom('ledger_entries')
        .select((eb) => eb.fn.sum<number | string | null>('amount_micros').as('total'))
        .where('tenant_id', '=', tenantId)
        .where('currency', '=', currency);
      if (period !== undefined) q = q.where('period', '=', period);
      const row = await q.executeTakeFirst();
      return Number(row?.total ?? 0);
    },
  };
}

/** A numeric aggregate (`sum` of int8 is `numeric`, which drivers return as text) as a safe integer. */
function safeInteger(value: number | string, what: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new VoiceError('INTERNAL', {
      message: `${what} ${String(value)} exceeds the safe integer range`,
    });
  }
  return n;
}
