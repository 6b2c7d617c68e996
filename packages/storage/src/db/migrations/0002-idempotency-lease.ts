import type { Kysely } from 'kysely';

/**
 * `idempotency_records.locked_until`: the lease of a request still in progress. Once it has
 * passed, a retry with the same key and body takes the key over (its first request died).
 * Rows without it (written before this migration) stay held until they expire, as before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('idempotency_records')
    .addColumn('locked_until', 'timestamptz')
    .execute();
}
