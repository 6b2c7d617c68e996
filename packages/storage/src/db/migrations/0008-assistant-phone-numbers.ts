import type { Kysely } from 'kysely';

/**
 * Phone numbers bound to assistants: a call to one of a tenant's numbers (Twilio's `To`)
 * runs the assistant it is bound to. A number belongs to at most one assistant of a
 * tenant (the primary key); deleting the assistant frees its numbers.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('assistant_phone_numbers')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('phone_number', 'text', (c) => c.notNull())
    .addColumn('assistant_id', 'text', (c) =>
      c.notNull().references('assistants.id').onDelete('cascade'),
    )
    .addPrimaryKeyConstraint('assistant_phone_numbers_pkey', ['tenant_id', 'phone_number'])
    .execute();
  await db.schema
    .createIndex('assistant_phone_numbers_assistant_idx')
    .on('assistant_phone_numbers')
    .column('assistant_id')
    .execute();
}
