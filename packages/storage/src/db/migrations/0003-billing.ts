import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Billing's price books and invoices.
 *
 * `price_books`: a scope is a tier or one tenant (exactly one is set); its versions are
 * unique, and unique constraints treat NULLs as distinct, so `(tier, version)` only binds
 * tier books and `(tenant_id, version)` only tenant overrides. `invoices`: one per tenant,
 * period and currency. Money and quantities are int8, read back as safe JS integers.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('price_books')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tier', 'text')
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('effective_from', 'timestamptz', (c) => c.notNull())
    .addColumn('prices', 'jsonb', (c) => c.notNull())
    .addColumn('allowances', 'jsonb', (c) => c.notNull())
    .addColumn('minimum_monthly_micros', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('price_books_one_scope', sql`(tier is null) <> (tenant_id is null)`)
    .addCheckConstraint('price_books_version_positive', sql`version >= 1`)
    .addUniqueConstraint('price_books_tier_version_key', ['tier', 'version'])
    .addUniqueConstraint('price_books_tenant_version_key', ['tenant_id', 'version'])
    .execute();

  await db.schema
    .createTable('invoices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('total_micros', 'bigint', (c) => c.notNull())
    .addColumn('lines', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('closed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('invoices_tenant_period_currency_key', ['tenant_id', 'period', 'currency'])
    .execute();
}
