import { sql } from 'kysely';
import { VoiceError } from '@prx-voice/types';
import type { InvoiceLine, InvoiceRow } from '../schema.js';
import { decodeCursor, pageSize, storageError, toPage } from '../support.js';
import type { Page, PageOptions } from '../support.js';
import { PERIOD } from './billing.js';
import type { Recorded } from './billing.js';
import { nowDate } from './context.js';
import type { TenantContext } from './context.js';
import { CURRENCY } from './price-books.js';

/** A closed period's invoice. */
export interface NewInvoice {
  /** `YYYY-MM`. */
  readonly period: string;
  /** ISO 4217, three upper-case letters. */
  readonly currency: string;
  /** Safe integer micro-units of `currency` (may be negative after credits). */
  readonly totalMicros: number;
  /** Stored in `lines` as given. */
  readonly lines: readonly Record<string, unknown>[];
  readonly details?: Record<string, unknown>;
  readonly closedAt: Date;
}

/** A tenant's invoices, at most one per period and currency. */
export interface InvoiceRepository {
  /** Stores the period's invoice once: a second call for the same period and currency returns the first (created: false). */
  create(invoice: NewInvoice): Promise<Recorded<InvoiceRow>>;
  get(id: string): Promise<InvoiceRow | undefined>;
  /** The period's invoices, by currency. */
  forPeriod(period: string): Promise<InvoiceRow[]>;
  /** Newest period first. */
  list(opts?: PageOptions & { readonly period?: string }): Promise<Page<InvoiceRow>>;
}

/** Creates a tenant's invoice repository. */
export function invoiceRepository(ctx: TenantContext): InvoiceRepository {
  const { db, tenantId } = ctx;
  const own = () => db.selectFrom('invoices').selectAll().where('tenant_id', '=', tenantId);
  return {
    async create(invoice) {
      checkPeriod(invoice.period);
      if (!CURRENCY.test(invoice.currency)) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `currency must be 3 upper-case letters, got "${invoice.currency}"`,
          details: { field: 'currency' },
        });
      }
      if (!Number.isSafeInteger(invoice.totalMicros)) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `total_micros must be an integer, got ${invoice.totalMicros}`,
          details: { field: 'total_micros' },
        });
      }
      if (Number.isNaN(invoice.closedAt.getTime())) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: 'closed_at must be a valid date',
          details: { field: 'closed_at' },
        });
      }
      const inserted = await db
        .insertInto('invoices')
        .values({
          id: ctx.ids.next('invoice'),
          tenant_id: tenantId,
          period: invoice.period,
          currency: invoice.currency,
          total_micros: invoice.totalMicros,
          // `pg` would send a top-level array as a PostgreSQL array, not JSON: send text.
          lines: sql<InvoiceLine[]>`cast(${JSON.stringify(invoice.lines)} as text)::jsonb`,
          status: 'closed',
          details: invoice.details ?? {},
          closed_at: invoice.closedAt,
          created_at: nowDate(ctx),
        })
        .onConflict((oc) => oc.columns(['tenant_id', 'period', 'currency']).doNothing())
        .returningAll()
        .executeTakeFirst()
        .catch((err: unknown) => {
          throw storageError(
            err,
            'invoice',
            new VoiceError('TENANT_NOT_FOUND', { details: { tenant_id: tenantId } }),
          );
        });
      if (inserted !== undefined) return { row: inserted, created: true };
      const existing = await own()
        .where('period', '=', invoice.period)
        .where('currency', '=', invoice.currency)
        .executeTakeFirstOrThrow();
      return { row: existing, created: false };
    },
    async get(id) {
      return own().where('id', '=', id).executeTakeFirst();
    },
    async forPeriod(period) {
      checkPeriod(period);
      return own().where('period', '=', period).orderBy('currency', 'asc').execute();
    },
    async list(opts) {
      const limit = pageSize(opts);
      let q = own()
        .orderBy('period', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1);
      if (opts?.period !== undefined) {
        checkPeriod(opts.period);
        q = q.where('period', '=', opts.period);
      }
      if (opts?.cursor != null) {
        const [period, id] = decodePosition(opts.cursor);
        q = q.where((eb) => eb(eb.refTuple('period', 'id'), '<', eb.tuple(period, id)));
      }
      return toPage(await q.execute(), limit, (r) => `${r.period}/${r.id}`);
    },
  };
}

function checkPeriod(period: string): void {
  if (!PERIOD.test(period)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `period must be YYYY-MM, got "${period}"`,
      details: { field: 'period' },
    });
  }
}

/** The (period, id) keyset position of a listing cursor. */
function decodePosition(cursor: string): [string, string] {
  const position = decodeCursor(cursor, 'string');
  const sep = position.indexOf('/');
  const period = position.slice(0, sep);
  const id = position.slice(sep + 1);
  if (sep < 0 || !PERIOD.test(period) || id === '') {
    throw new VoiceError('VALIDATION_FAILED', {
      message: 'cursor is malformed',
      details: { field: 'cursor' },
    });
  }
  return [period, id];
}
