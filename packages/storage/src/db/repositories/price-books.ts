import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import type { PriceBookRow } from '../schema.js';
import { isUniqueViolation, storageError } from '../support.js';
import { nowDate } from './context.js';
import type { RepoContext } from './context.js';

/** Whose price book: a tier's, or one tenant's override. */
export type PriceBookScope = { readonly tier: string } | { readonly tenantId: TenantId };

/** The next version of a scope's price book. */
export interface NewPriceBook {
  readonly scope: PriceBookScope;
  /** ISO 4217, three upper-case letters; the same for every version of a scope. */
  readonly currency: string;
  /** Strictly after the scope's latest version's: versions never rewrite the past. */
  readonly effectiveFrom: Date;
  /** Stored as given (billing validates the shape). */
  readonly prices: Record<string, unknown>;
  /** Meter → quantity included each month (non-negative safe integers). */
  readonly allowances: Record<string, number>;
  /** Non-negative safe integer micro-units of `currency`. */
  readonly minimumMonthlyMicros: number;
}

/** Versioned price books of tiers and tenants: a platform-level repository. */
export interface PriceBookRepository {
  /** Adds the scope's next version (1, 2, …). */
  create(book: NewPriceBook): Promise<PriceBookRow>;
  /** The scope's versions, oldest first. */
  versions(scope: PriceBookScope): Promise<PriceBookRow[]>;
  /** Every book, by scope then version. */
  list(): Promise<PriceBookRow[]>;
  /** The version in force at `at`: the highest version whose effective_from <= at. */
  inForce(scope: PriceBookScope, at: Date): Promise<PriceBookRow | undefined>;
}

/** An ISO 4217 currency code. */
export const CURRENCY = /^[A-Z]{3}$/;

/** How many times a create that lost the race for a version number tries the next one. */
const VERSION_ATTEMPTS = 10;

/** Creates the price book repository. */
export function priceBookRepository(ctx: RepoContext): PriceBookRepository {
  const { db } = ctx;
  const scoped = (scope: PriceBookScope) => {
    const q = db.selectFrom('price_books').selectAll();
    return 'tier' in scope
      ? q.where('tier', '=', scope.tier).where('tenant_id', 'is', null)
      : q.where('tenant_id', '=', scope.tenantId).where('tier', 'is', null);
  };
  const latest = (scope: PriceBookScope) =>
    scoped(scope).orderBy('version', 'desc').limit(1).executeTakeFirst();
  return {
    async create(book) {
      validate(book);
      const { scope } = book;
      const tenantNotFound = () =>
        new VoiceError('TENANT_NOT_FOUND', {
          details: { tenant_id: 'tenantId' in scope ? scope.tenantId : null },
        });
      if ('tenantId' in scope) {
        const tenant = await db
          .selectFrom('tenants')
          .select('id')
          .where('id', '=', scope.tenantId)
          .executeTakeFirst();
        if (tenant === undefined) throw tenantNotFound();
      }
      // The unique (scope, version) constraint decides a race: the loser reads the new
      // latest version and checks against it again.
      for (let attempt = 0; attempt < VERSION_ATTEMPTS; attempt++) {
        const last = await latest(scope);
        if (last !== undefined) {
          if (last.currency !== book.currency) {
            throw new VoiceError('VALIDATION_FAILED', {
              message: `currency mismatch: the price book is in ${last.currency}, got ${book.currency}`,
              details: { field: 'currency', expected: last.currency },
            });
          }
          if (book.effectiveFrom.getTime() <= last.effective_from.getTime()) {
            throw new VoiceError('CONFLICT', {
              message:
                `a price book version must take effect after version ${last.version} ` +
                `(${last.effective_from.toISOString()}): versions never rewrite the past or overlap`,
              details: { latest_effective_from: last.effective_from.toISOString() },
            });
          }
        }
        try {
          return await db
            .insertInto('price_books')
            .values({
              id: ctx.ids.next('priceBook'),
              tier: 'tier' in scope ? scope.tier : null,
              tenant_id: 'tenantId' in scope ? scope.tenantId : null,
              version: (last?.version ?? 0) + 1,
              currency: book.currency,
              effective_from: book.effectiveFrom,
              prices: book.prices,
              allowances: book.allowances,
              minimum_monthly_micros: book.minimumMonthlyMicros,
              created_at: nowDate(ctx),
            })
            .returningAll()
            .executeTakeFirstOrThrow();
        } catch (err) {
          // A tenant deleted meanwhile fails its foreign key.
          if (!isUniqueViolation(err)) throw storageError(err, 'price book', tenantNotFound());
        }
      }
      throw new VoiceError('CONFLICT', {
        message: 'the price book is too contended to add a version',
      });
    },
    async versions(scope) {
      return scoped(scope).orderBy('version', 'asc').execute();
    },
    async list() {
      return db
        .selectFrom('price_books')
        .selectAll()
        .orderBy('tier', 'asc')
        .orderBy('tenant_id', 'asc')
        .orderBy('version', 'asc')
        .execute();
    },
    async inForce(scope, at) {
      return scoped(scope)
        .where('effective_from', '<=', at)
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
    },
  };
}

function validate(book: NewPriceBook): void {
  const invalid = (field: string, message: string) =>
    new VoiceError('VALIDATION_FAILED', { message, details: { field } });
  if ('tier' in book.scope && book.scope.tier.trim() === '') {
    throw invalid('tier', 'a price book tier must not be empty');
  }
  if (!CURRENCY.test(book.currency)) {
    throw invalid('currency', `currency must be 3 upper-case letters, got "${book.currency}"`);
  }
  if (Number.isNaN(book.effectiveFrom.getTime())) {
    throw invalid('effective_from', 'effective_from must be a valid date');
  }
  if (!isNonNegativeInteger(book.minimumMonthlyMicros)) {
    throw invalid(
      'minimum_monthly_micros',
      `minimum_monthly_micros must be a non-negative integer, got ${book.minimumMonthlyMicros}`,
    );
  }
  for (const [meter, quantity] of Object.entries(book.allowances)) {
    if (!isNonNegativeInteger(quantity)) {
      throw invalid(
        `allowances.${meter}`,
        `allowance of ${meter} must be a non-negative integer, got ${String(quantity)}`,
      );
    }
  }
}

function isNonNegativeInteger(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
