import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * A phone number belongs to one tenant across the instance (a call to it runs in that
 * tenant): a unique index on `assistant_phone_numbers.phone_number`. A database in which
 * some number is bound in several tenants (allowed until now) is refused, naming the numbers
 * and their tenants, and left as it was: the operator unbinds each from all tenants but one
 * (`PATCH /assistants/{id}` with the remaining `phone_numbers`) and starts the server again.
 * No binding is dropped silently.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ phone_number: string; tenants: string }>`
    select phone_number, string_agg(tenant_id, ', ' order by tenant_id) as tenants
    from assistant_phone_numbers
    group by phone_number
    having count(*) > 1
    order by phone_number
    limit 20`.execute(db);
  if (rows.length > 0) {
    const list = rows.map((r) => `${r.phone_number} (tenants ${r.tenants})`).join('; ');
    throw new Error(
      `A phone number now belongs to one tenant across the instance, but these are bound in several: ${list}. Unbind each from all tenants but one (PATCH /api/v1/assistants/{id} with its remaining phone_numbers), then start again.`,
    );
  }
  await db.schema
    .createIndex('assistant_phone_numbers_number_key')
    .on('assistant_phone_numbers')
    .column('phone_number')
    .unique()
    .execute();
}
