import type { Kysely } from 'kysely';

/**
 * The usage export outbox's state: where each tenant's export stands, and the meter
 * events it gave up on.
 *
 * `usage_export_cursors`: per tenant, the last exported meter event's position in the
 * `(recorded_at, id)` order. `usage_export_dead_letters`: meter events whose batch failed
 * every attempt, at most one per event; they are kept, never retried automatically. An
 * index on `meter_events (tenant_id, recorded_at, id)` serves the export's keyset reads.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('usage_export_cursors')
    .addColumn('tenant_id', 'text', (c) =>
      c.primaryKey().references('tenants.id').onDelete('cascade'),
    )
    .addColumn('last_recorded_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_id', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('usage_export_dead_letters')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('meter_event_id', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('usage_export_dead_letters_event_key', ['tenant_id', 'meter_event_id'])
    .execute();
  await db.schema
    .createIndex('usage_export_dead_letters_created_idx')
    .on('usage_export_dead_letters')
    .columns(['created_at', 'id'])
    .execute();

  await db.schema
    .createIndex('meter_events_tenant_recorded_idx')
    .on('meter_events')
    .columns(['tenant_id', 'recorded_at', 'id'])
    .execute();
}
