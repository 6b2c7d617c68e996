import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { SessionId, TenantId } from '@prx-voice/types';
import { migrateToLatest } from './connect.js';
import { rejectsWith, useContractDatabase } from './database-fixture.contract.js';
import type { ContractSetup } from './database-fixture.contract.js';
import { describeSessionCases } from './sessions.contract.js';
import { describeTenantIsolationCases } from './tenant-isolation.contract.js';
import { describeTenantRecordCases } from './tenant-records.contract.js';

/**
 * The database contract: migrations and every repository, including tenant
 * isolation, run identically against each implementation (PGlite, PostgreSQL).
 * Its cases share one migrated database per implementation; the ones of each
 * concern sit in their own file.
 */
export function describeDatabaseContract(name: string, setup: ContractSetup): void {
  describe(`database contract: ${name}`, () => {
    const ctx = useContractDatabase(setup);
    const { newTenant, newSession } = ctx;

    describe('migrations', () => {
      it('are recorded in the database and a second run applies nothing', async () => {
        const again = await migrateToLatest(ctx.handle.db);
        expect(again.applied).toEqual([]);
        expect(again.current).toContain('0009-phone-number-owner');
        const rows = await sql<{
          name: string;
        }>`select name from kysely_migration order by name`.execute(ctx.handle.db);
        expect(rows.rows.map((r) => r.name)).toEqual([
          '0001-initial',
          '0002-idempotency-lease',
          '0003-billing',
          '0004-usage-export',
          '0005-audit-checkpoints',
          '0006-subjects',
          '0007-assistants',
          '0008-assistant-phone-numbers',
          '0009-phone-number-owner',
        ]);
      });

      it('refuses a database that records a migration this build does not know (a newer version ran)', async () => {
        await sql`insert into kysely_migration (name, timestamp) values ('0099-from-the-future', '2030-01-01T00:00:00.000Z')`.execute(
          ctx.handle.db,
        );
        try {
          await rejectsWith(migrateToLatest(ctx.handle.db), 'STORAGE_UNAVAILABLE');
        } finally {
          await sql`delete from kysely_migration where name = '0099-from-the-future'`.execute(
            ctx.handle.db,
          );
        }
        expect((await migrateToLatest(ctx.handle.db)).applied).toEqual([]);
      });

      it('answers ping', async () => {
        await expect(ctx.handle.ping()).resolves.toBeUndefined();
      });
    });

    describe('tenants', () => {
      it('creates, finds by id and slug, updates and rejects a duplicate slug', async () => {
        const row = await ctx.repos.tenants.create({
          slug: 'acme-corp',
          name: 'Acme',
          tier: 'growth',
          limits: { concurrent_sessions: 7 },
        });
        expect(row.id).toMatch(/^ten_/);
        expect(row.status).toBe('active');
        expect(row.created_at).toBeInstanceOf(Date);
        expect((await ctx.repos.tenants.getBySlug('acme-corp'))?.id).toBe(row.id);
        expect((await ctx.repos.tenants.get(row.id as TenantId))?.limits).toEqual({
          concurrent_sessions: 7,
        });
        const updated = await ctx.repos.tenants.update(row.id as TenantId, {
          tier: 'enterprise',
          status: 'suspended',
        });
        expect(updated?.tier).toBe('enterprise');
        expect(updated?.status).toBe('suspended');
        await rejectsWith(
          ctx.repos.tenants.create({ slug: 'acme-corp', name: 'Other', tier: 'trial' }),
          'CONFLICT',
        );
      });

      it('rejects malformed slugs', async () => {
        for (const slug of ['', 'Upper', 'has space', '-lead', 'trail-', 'x'.repeat(64)]) {
          await rejectsWith(
            ctx.repos.tenants.create({ slug, name: 'x', tier: 'trial' }),
            'VALIDATION_FAILED',
          );
        }
      });

      it('deleting a tenant removes everything it owns', async () => {
        const t = await newTenant();
        const s = await newSession(t);
        await t.turns.create({ sessionId: s.id as SessionId, seq: 1, inputKind: 'text' });
        expect(await ctx.repos.tenants.delete(t.tenantId)).toBe(true);
        expect(await t.sessions.get(s.id as SessionId)).toBeUndefined();
        expect(
          (
            await sql<{
              n: number;
            }>`select count(*)::int as n from turns where tenant_id = ${t.tenantId}`.execute(
              ctx.handle.db,
            )
          ).rows[0]?.n,
        ).toBe(0);
        expect(await ctx.repos.tenants.delete(t.tenantId)).toBe(false);
      });

      it('forTenant refuses an ID that is not a tenant ID', () => {
        expect(() => ctx.repos.forTenant('sess_01m7yzmhg1e008000000000000' as TenantId)).toThrow(
          /is a session ID/,
        );
      });
    });

    describeSessionCases(ctx);
    describeTenantRecordCases(ctx);
    describeTenantIsolationCases(ctx);
  });
}
