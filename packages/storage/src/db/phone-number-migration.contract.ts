import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from './connect.js';
import type { DatabaseHandle } from './connect.js';
import { MIGRATIONS } from './migrations/index.js';

/**
 * Migration 0009 (a phone number in one tenant only), on each database: a database where a
 * number is bound in two tenants is refused, naming the number, and left as it was; once the
 * operator has unbound it from one of them, the migration runs.
 */
export function describePhoneNumberMigrationContract(
  name: string,
  setup: () => Promise<{ handle: DatabaseHandle; cleanup(): Promise<void> }>,
): void {
  describe(`phone-number migration contract: ${name}`, () => {
    let cleanup: () => Promise<void>;
    let handle: DatabaseHandle;

    beforeAll(async () => {
      const ready = await setup();
      cleanup = () => ready.cleanup();
      handle = ready.handle;
    }, 120_000);
    afterAll(async () => {
      await cleanup();
    });

    it('refuses a number bound in two tenants, naming it, and runs once it is unbound', async () => {
      const { rows } = await sql<{
        schema: string;
      }>`select current_schema() as schema`.execute(handle.db);
      const migrator = new Migrator({
        db: handle.db,
        provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
        ...(rows[0]?.schema === undefined ? {} : { migrationTableSchema: rows[0].schema }),
      });
      const before = await migrator.migrateTo('0008-assistant-phone-numbers');
      expect(before.error).toBeUndefined();
      const at = new Date(Date.UTC(2026, 11, 6));
      for (const n of [1, 2]) {
        await sql`insert into tenants (id, slug, name, tier, status, created_at, updated_at)
          values (${`ten_mig${String(n)}`}, ${`mig-${String(n)}`}, 'Migration', 'starter', 'active', ${at}, ${at})`.execute(
          handle.db,
        );
        await sql`insert into assistants (id, tenant_id, name, version, definition, created_at, updated_at)
          values (${`ast_mig${String(n)}`}, ${`ten_mig${String(n)}`}, 'A', 1, '{}', ${at}, ${at})`.execute(
          handle.db,
        );
        await sql`insert into assistant_phone_numbers (tenant_id, phone_number, assistant_id)
          values (${`ten_mig${String(n)}`}, '+15557770001', ${`ast_mig${String(n)}`})`.execute(
          handle.db,
        );
      }
      const refused = await migrateToLatest(handle.db).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(Error);
      expect((refused as Error).message).toContain('0009-phone-number-owner');
      expect((refused as Error).message).toContain('+15557770001 (tenants ten_mig1, ten_mig2)');
      // Nothing was dropped.
      const kept = await sql<{
        n: number;
      }>`select count(*)::int as n from assistant_phone_numbers`.execute(handle.db);
      expect(kept.rows[0]?.n).toBe(2);
      await sql`delete from assistant_phone_numbers where tenant_id = 'ten_mig2'`.execute(
        handle.db,
      );
      const report = await migrateToLatest(handle.db);
      expect(report.applied).toContain('0009-phone-number-owner');
      const again =
        await sql`insert into assistant_phone_numbers (tenant_id, phone_number, assistant_id)
          values ('ten_mig2', '+15557770001', 'ast_mig2')`
          .execute(handle.db)
          .catch((e: unknown) => e);
      expect((again as { code?: string }).code).toBe('23505');
    });
  });
}
