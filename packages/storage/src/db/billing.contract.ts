import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { testSession } from '../testing/test-sessions.js';
import { migrateToLatest } from './connect.js';
import type { DatabaseHandle } from './connect.js';
import { rejectsWith } from './database-fixture.contract.js';
import { describeMeterEventCases } from './meter-events.contract.js';
import { createRepositories } from './repositories/index.js';
import type { Repositories, TenantRepositories } from './repositories/index.js';
import type { NewPriceBook } from './repositories/price-books.js';

const day = (d: number, h = 0) => new Date(Date.UTC(2026, 10, d, h));

/**
 * The billing storage contract (price books, invoices, usage totals), run identically
 * against each database implementation (PGlite, PostgreSQL) beside the database contract.
 */
export function describeBillingContract(
  name: string,
  setup: () => Promise<{ handle: DatabaseHandle; cleanup(): Promise<void> }>,
): void {
  describe(`billing storage contract: ${name}`, () => {
    let cleanup: () => Promise<void>;
    let repos: Repositories;
    const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
    // What the repositories write as now (recorded_at, ended_at); tests that move it put it back.
    let nowMs = NOW;
    const clock = { now: () => nowMs };
    const ids = createSequentialIdGenerator(Date.UTC(2026, 10, 21));
    let counter = 0;

    async function newTenant(): Promise<TenantRepositories> {
      const row = await repos.tenants.create({
        slug: `b-${++counter}`,
        name: `Billing tenant ${counter}`,
        tier: 'starter',
      });
      return repos.forTenant(row.id as TenantId);
    }
    const book = (
      overrides: Partial<NewPriceBook> & Pick<NewPriceBook, 'scope'>,
    ): NewPriceBook => ({
      currency: 'USD',
      effectiveFrom: day(1),
      prices: { session_seconds: { unit_micros: 100 } },
      allowances: { session_seconds: 600 },
      minimumMonthlyMicros: 0,
      ...overrides,
    });

    beforeAll(async () => {
      const ready = await setup();
      cleanup = () => ready.cleanup();
      await migrateToLatest(ready.handle.db);
      repos = createRepositories({ db: ready.handle.db, clock, ids });
    }, 120_000);
    afterAll(async () => {
      await cleanup();
    });

    describe('price books', () => {
      it('numbers versions 1, 2, … per scope and keeps tiers and tenants apart', async () => {
        const t = await newTenant();
        const s1 = await repos.priceBooks.create(
          book({
            scope: { tier: 'starter' },
            prices: { tiers: [{ up_to: 10, unit_micros: 5 }], note: null },
            minimumMonthlyMicros: 5_000_000_000_000,
          }),
        );
        const g1 = await repos.priceBooks.create(book({ scope: { tier: 'growth' } }));
        const o1 = await repos.priceBooks.create(
          book({ scope: { tenantId: t.tenantId }, currency: 'EUR' }),
        );
        const s2 = await repos.priceBooks.create(
          book({ scope: { tier: 'starter' }, effectiveFrom: day(15) }),
        );
        expect(s1.id).toMatch(/^pb_/);
        expect([s1.version, g1.version, o1.version, s2.version]).toEqual([1, 1, 1, 2]);
        expect(s1).toMatchObject({ tier: 'starter', tenant_id: null, currency: 'USD' });
        expect(o1).toMatchObject({ tier: null, tenant_id: t.tenantId, currency: 'EUR' });
        expect(s1.prices).toEqual({ tiers: [{ up_to: 10, unit_micros: 5 }], note: null });
        expect(s1.allowances).toEqual({ session_seconds: 600 });
        expect(s1.minimum_monthly_micros).toBe(5_000_000_000_000);
        expect(s1.effective_from).toEqual(day(1));
        expect(s1.created_at).toEqual(new Date(clock.now()));
        expect(
          (await repos.priceBooks.versions({ tier: 'starter' })).map((b) => b.version),
        ).toEqual([1, 2]);
        expect(
          (await repos.priceBooks.versions({ tenantId: t.tenantId })).map((b) => b.id),
        ).toEqual([o1.id]);
        expect(await repos.priceBooks.versions({ tier: 'enterprise' })).toEqual([]);
        const all = await repos.priceBooks.list();
        expect(all.map((b) => b.id)).toEqual([g1.id, s1.id, s2.id, o1.id]);
      });

      it('finds the version in force at each boundary', async () => {
        const scope = { tier: 'boundary' };
        const v1 = await repos.priceBooks.create(book({ scope, effectiveFrom: day(1) }));
        const v2 = await repos.priceBooks.create(book({ scope, effectiveFrom: day(10) }));
        const v3 = await repos.priceBooks.create(book({ scope, effectiveFrom: day(20, 6) }));
        const at = async (d: Date) => (await repos.priceBooks.inForce(scope, d))?.id;
        expect(await at(new Date(day(1).getTime() - 1))).toBeUndefined();
        expect(await at(day(1))).toBe(v1.id);
        expect(await at(new Date(day(10).getTime() - 1))).toBe(v1.id);
        expect(await at(day(10))).toBe(v2.id);
        expect(await at(day(20, 5))).toBe(v2.id);
        expect(await at(day(20, 6))).toBe(v3.id);
        expect(await at(new Date(Date.UTC(2030, 0, 1)))).toBe(v3.id);
        expect(await repos.priceBooks.inForce({ tier: 'nobody' }, day(30))).toBeUndefined();
      });

      it('refuses a version that rewrites the past or overlaps, writing nothing', async () => {
        const scope = { tier: 'rewrite' };
        await repos.priceBooks.create(book({ scope, effectiveFrom: day(5) }));
        for (const effectiveFrom of [day(5), day(4), day(1)]) {
          const err = await rejectsWith(
            repos.priceBooks.create(book({ scope, effectiveFrom })),
            'CONFLICT',
          );
          expect(err.message).toMatch(/never rewrite the past|overlap/);
          expect(err.details).toMatchObject({ latest_effective_from: day(5).toISOString() });
        }
        expect((await repos.priceBooks.versions(scope)).map((b) => b.version)).toEqual([1]);
      });

      it('refuses a currency other than the scope’s', async () => {
        const scope = { tier: 'currency' };
        await repos.priceBooks.create(book({ scope, currency: 'GBP' }));
        const err = await rejectsWith(
          repos.priceBooks.create(book({ scope, currency: 'USD', effectiveFrom: day(9) })),
          'VALIDATION_FAILED',
        );
        expect(err.message).toMatch(/currency mismatch/);
        expect(err.details).toMatchObject({ field: 'currency' });
        expect(await repos.priceBooks.versions(scope)).toHaveLength(1);
      });

      it('validates fields and the tenant', async () => {
        const scope = { tier: 'invalid' };
        const cases: [Partial<NewPriceBook> & Pick<NewPriceBook, 'scope'>, string][] = [
          [{ scope, currency: 'usd' }, 'currency'],
          [{ scope, currency: 'USDX' }, 'currency'],
          [{ scope, minimumMonthlyMicros: -1 }, 'minimum_monthly_micros'],
          [{ scope, minimumMonthlyMicros: 1.5 }, 'minimum_monthly_micros'],
          [{ scope, allowances: { asr_audio_ms: -5 } }, 'allowances.asr_audio_ms'],
          [{ scope, allowances: { tts_characters: 0.5 } }, 'allowances.tts_characters'],
          [{ scope: { tier: '' } }, 'tier'],
        ];
        for (const [overrides, field] of cases) {
          const err = await rejectsWith(
            repos.priceBooks.create(book(overrides)),
            'VALIDATION_FAILED',
          );
          expect(err.details).toMatchObject({ field });
        }
        await rejectsWith(
          repos.priceBooks.create(
            book({ scope: { tenantId: 'ten_01m9500000e000000000000000' as TenantId } }),
          ),
          'TENANT_NOT_FOUND',
        );
        expect(await repos.priceBooks.versions(scope)).toEqual([]);
      });

      it('never gives two concurrent creates the same version', async () => {
        const scope = { tier: 'race' };
        const settled = await Promise.allSettled(
          [3, 6, 9, 12, 15, 18].map((d) =>
            repos.priceBooks.create(book({ scope, effectiveFrom: day(d) })),
          ),
        );
        for (const s of settled) {
          if (s.status === 'rejected')
            expect((s.reason as { code?: string }).code).toBe('CONFLICT');
        }
        const versions = await repos.priceBooks.versions(scope);
        const created = settled.filter((s) => s.status === 'fulfilled');
        expect(created.length).toBeGreaterThan(0);
        expect(versions).toHaveLength(created.length);
        expect(versions.map((b) => b.version)).toEqual(versions.map((_, i) => i + 1));
        const times = versions.map((b) => b.effective_from.getTime());
        expect(times).toEqual([...times].sort((a, b) => a - b));
        expect(new Set(times).size).toBe(times.length);
      });
    });

    describe('invoices', () => {
      const invoice = (period: string, totalMicros = 1_000_000, currency = 'USD') => ({
        period,
        currency,
        totalMicros,
        lines: [
          { meter: 'session_seconds', quantity: 60, amount_micros: totalMicros },
          { kind: 'credit', amount_micros: 0, nested: { a: [1, 2] } },
        ],
        closedAt: day(1, 1),
      });

      it('stores a period’s invoice once per currency', async () => {
        const t = await newTenant();
        const first = await t.invoices.create({
          ...invoice('2026-10', -2_500_000),
          details: { price_book_version: 3 },
        });
        expect(first.created).toBe(true);
        expect(first.row.id).toMatch(/^inv_/);
        expect(first.row).toMatchObject({
          tenant_id: t.tenantId,
          period: '2026-10',
          currency: 'USD',
          total_micros: -2_500_000,
          status: 'closed',
          details: { price_book_version: 3 },
          closed_at: day(1, 1),
        });
        expect(first.row.lines).toEqual(invoice('2026-10', -2_500_000).lines);
        const again = await t.invoices.create(invoice('2026-10', 7));
        expect(again).toEqual({ row: first.row, created: false });
        const eur = await t.invoices.create(invoice('2026-10', 9_000_000_000_000, 'EUR'));
        expect(eur.created).toBe(true);
        expect(eur.row.total_micros).toBe(9_000_000_000_000);
        expect(eur.row.details).toEqual({});
        expect((await t.invoices.forPeriod('2026-10')).map((i) => i.id)).toEqual([
          eur.row.id,
          first.row.id,
        ]);
        expect(await t.invoices.get(first.row.id)).toEqual(first.row);
        expect(await t.invoices.forPeriod('2026-09')).toEqual([]);
        for (const bad of [{ period: '2026-13' }, { period: '26-01' }, { currency: 'usd' }]) {
          const err = await rejectsWith(
            t.invoices.create({ ...invoice('2026-11'), ...bad }),
            'VALIDATION_FAILED',
          );
          expect(err.details).toMatchObject({ field: Object.keys(bad)[0] });
        }
        await rejectsWith(
          t.invoices.create({ ...invoice('2026-11'), totalMicros: 0.5 }),
          'VALIDATION_FAILED',
        );
        expect(await t.invoices.forPeriod('2026-11')).toEqual([]);
      });

      it('keeps each tenant’s invoices to itself', async () => {
        const a = await newTenant();
        const b = await newTenant();
        const mine = await a.invoices.create(invoice('2026-08'));
        expect(await b.invoices.get(mine.row.id)).toBeUndefined();
        expect(await b.invoices.forPeriod('2026-08')).toEqual([]);
        expect((await b.invoices.list()).items).toEqual([]);
        const theirs = await b.invoices.create(invoice('2026-08', 5));
        expect(theirs.created).toBe(true);
        expect(theirs.row.id).not.toBe(mine.row.id);
        expect((await a.invoices.get(mine.row.id))?.total_micros).toBe(1_000_000);
      });

      it('lists newest period first, paged and filtered by period', async () => {
        const t = await newTenant();
        await t.invoices.create(invoice('2026-03'));
        await t.invoices.create(invoice('2026-01'));
        await t.invoices.create(invoice('2026-02', 1, 'EUR'));
        await t.invoices.create(invoice('2026-02'));
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page = await t.invoices.list({ limit: 2, cursor });
          expect(page.items.length).toBeLessThanOrEqual(2);
          seen.push(...page.items.map((i) => `${i.period} ${i.currency}`));
          cursor = page.nextCursor;
        } while (cursor !== null);
        expect(seen).toEqual(['2026-03 USD', '2026-02 USD', '2026-02 EUR', '2026-01 USD']);
        const feb = await t.invoices.list({ period: '2026-02' });
        expect(feb.items.map((i) => i.currency)).toEqual(['USD', 'EUR']);
        expect(feb.nextCursor).toBeNull();
        await rejectsWith(t.invoices.list({ cursor: 'garbage!' }), 'VALIDATION_FAILED');
      });
    });

    describeMeterEventCases({
      newTenant,
      day,
      setNow: (ms) => {
        nowMs = ms ?? NOW;
      },
    });

    describe('lost sessions not fully metered', () => {
      it('are the sessions ended with the reason and without their final meter event', async () => {
        const t = await newTenant();
        const lost = async (closeReason: string) =>
          (await testSession(t, { end: { at: day(20), outcome: 'error', closeReason } })).id;
        const a = await lost('instance_lost');
        const b = await lost('instance_lost');
        await lost('caller_hangup');
        await t.billing.recordUsage({
          meter: 'session_seconds',
          quantity: 3,
          unit: 's',
          provider: null,
          sessionId: b as SessionId,
          idempotencyKey: `${b}:session_seconds:final`,
          occurredAt: day(20),
        });
        const found = await repos.sessionRecovery.endedUnmetered(
          'instance_lost',
          'session_seconds:final',
          day(19),
          10,
        );
        expect(found.map((r) => r.id).filter((id) => id === a || id === b)).toEqual([a]);
        expect(
          await repos.sessionRecovery.endedUnmetered(
            'instance_lost',
            'session_seconds:final',
            day(21),
            10,
          ),
        ).toEqual([]);
      });
    });

    describe('session outcomes', () => {
      it('counts the sessions that ended in a half-open range by outcome', async () => {
        const t = await newTenant();
        const end = (outcome: string, at: Date) => testSession(t, { end: { at, outcome } });
        await end('completed', day(2));
        await end('completed', day(3));
        await end('error', day(4));
        await end('completed', day(1));
        await end('error', day(30));
        await testSession(t);
        expect(await t.sessions.outcomeCounts({ from: day(1), to: day(30) })).toEqual([
          { outcome: 'completed', count: 3 },
          { outcome: 'error', count: 1 },
        ]);
        expect(
          await (await newTenant()).sessions.outcomeCounts({ from: day(1), to: day(30) }),
        ).toEqual([]);
      });
    });
  });
}
