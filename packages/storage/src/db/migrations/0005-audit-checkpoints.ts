import type { Kysely } from 'kysely';

/**
 * Signed checkpoints of each tenant's audit chain: its size and head hash at a moment,
 * as a signed note (the shape transparency logs publish), one per tree size. An index on
 * `audit_records (tenant_id, action, seq)` serves the log's filtered reads.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('tree_size', 'bigint', (c) => c.notNull())
    .addColumn('head_hash', 'text', (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_checkpoints_pkey', ['tenant_id', 'tree_size'])
    .execute();
  await db.schema
    .createIndex('audit_records_tenant_action_idx')
    .on('audit_records')
    .columns(['tenant_id', 'action', 'seq'])
    .execute();
}
