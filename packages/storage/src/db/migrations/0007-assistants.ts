import type { Kysely } from 'kysely';

/**
 * Stored assistants: a tenant's named agent definitions (prompt, first message,
 * providers, settings, tools, flow), versioned on every change — `assistants` holds the
 * current version, `assistant_versions` every version ever saved, immutable. A session
 * records which assistant and version it ran.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('assistants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('definition', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('assistants_tenant_idx')
    .on('assistants')
    .columns(['tenant_id', 'id'])
    .execute();
  await db.schema
    .createTable('assistant_versions')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('assistant_id', 'text', (c) =>
      c.notNull().references('assistants.id').onDelete('cascade'),
    )
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('definition', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('assistant_versions_pkey', ['assistant_id', 'version'])
    .execute();
  await db.schema.alterTable('sessions').addColumn('assistant_id', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('assistant_version', 'integer').execute();
}
