import type { Kysely } from 'kysely';

/**
 * Data subjects (GDPR): each tenant's per-subject data keys, wrapped under the server's
 * master key, which seal a subject's recordings and stored transcripts; erasing a
 * subject deletes its key (crypto-shredding), so no copy can be read again. Sessions
 * and recordings carry the pseudonymous `subject_ref` they belong to (an HMAC of the
 * subject's metadata key and value, never the value itself), indexed for export.
 * Erasure deletes the subject's key row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('subject_keys')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('subject_ref', 'text', (c) => c.notNull())
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('subject_keys_pkey', ['tenant_id', 'subject_ref'])
    .execute();
  await db.schema.alterTable('sessions').addColumn('subject_ref', 'text').execute();
  await db.schema
    .createIndex('sessions_tenant_subject_idx')
    .on('sessions')
    .columns(['tenant_id', 'subject_ref'])
    .execute();
  await db.schema.alterTable('recordings').addColumn('subject_ref', 'text').execute();
  await db.schema
    .createIndex('recordings_tenant_created_idx')
    .on('recordings')
    .columns(['tenant_id', 'created_at'])
    .execute();
}
