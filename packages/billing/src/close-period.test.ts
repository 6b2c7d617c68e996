/**
 * Closing periods on each database (PGlite, and PostgreSQL with `DATABASE_URL`): usage
 * that comes in after its period closed is billed once, in the next period to close, at
 * the price in force when it happened; SLA credits from the sessions' outcomes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, testDatabaseKinds, testSession } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import type { TenantRepositories } from '@prx-voice/storage';
import type { TenantId } from '@prx-voice/types';
import { closePeriod, slaCreditPercent } from './close-period.js';

const DAY = 86_400_000;
const at = (month: number, day: number, hour = 0): number => Date.UTC(2026, month - 1, day, hour);

describe.each(testDatabaseKinds())('closing periods on %s', (kind) => {
  let db: TestDatabase;
  // What the repositories write as now (recorded_at): moved by each test.
  let now = at(1, 1);
  let tenants = 0;

  beforeAll(async () => {
    db = await openTestDatabase({ clock: { now: () => now }, kind });
  }, 60_000);
  afterAll(() => db.close());

  /** A tenant whose own price book charges 1 000 micros a TTS character from `priceFrom`, 2 000 from `dearerFrom`. */
  async function tenant(): Promise<{ id: TenantId; t: TenantRepositories }> {
    const row = await db.repos.tenants.create({
      slug: `close-${String(++tenants)}`,
      name: 'Close',
      tier: 'starter',
    });
    const id = row.id as TenantId;
    for (const [from, micros] of [
      [at(1, 1), 1_000],
      [at(2, 15), 2_000],
    ] as const) {
      await db.repos.priceBooks.create({
        scope: { tenantId: id },
        currency: 'USD',
        effectiveFrom: new Date(from),
        prices: { tts_characters: { default: { micros, per: 1 } } },
        allowances: {},
        minimumMonthlyMicros: 0,
      });
    }
    return { id, t: db.repos.forTenant(id) };
  }

  /** Records `characters` of TTS that happened at `occurred`, written at `recorded`. */
  async function use(
    t: TenantRepositories,
    key: string,
    characters: number,
    occurred: number,
    recorded: number,
  ): Promise<void> {
    now = recorded;
    await t.billing.recordUsage({
      meter: 'tts_characters',
      quantity: characters,
      unit: 'character',
      provider: 'mock',
      sessionId: null,
      idempotencyKey: key,
      occurredAt: new Date(occurred),
    });
  }

  const close = async (tenantId: TenantId, period: string, when: number) =>
    (
      await closePeriod({
        repos: db.repos,
        tenant: { id: tenantId, tier: 'starter' },
        period,
        now: when,
        graceMs: DAY,
      })
    ).invoice;

  it('bills late usage once, in the next period to close, at the price in force when it happened', async () => {
    const { id, t } = await tenant();
    await use(t, 'jan-on-time', 10, at(1, 10), at(1, 10));
    // Recorded within January's grace (before Feb 2nd 00:00): January's.
    await use(t, 'jan-in-grace', 20, at(1, 31, 23), at(2, 1, 12));
    const jan = await close(id, '2026-01', at(2, 3));
    expect(jan.total_micros).toBe(30 * 1_000);

    // After January closed: usage of January written late, and February's own.
    await use(t, 'jan-late', 5, at(1, 30), at(2, 5));
    await use(t, 'feb', 7, at(2, 20), at(2, 20));
    // Recorded after February's close time: not February's (its invoice is issued later, on
    // March 10th, and must not take it), but March's.
    await use(t, 'jan-later', 3, at(1, 29), at(3, 5));
    const feb = await close(id, '2026-02', at(3, 10));
    const late = feb.lines.filter((l) => String(l['description']).startsWith('late usage'));
    expect(late).toMatchObject([
      {
        kind: 'adjustment',
        amount_micros: 5 * 1_000, // January's price, not February's
        description:
          'late usage from before 2026-02: tts_characters mock: 5 character at 1000 micros per 1',
      },
    ]);
    expect(feb.total_micros).toBe(5 * 1_000 + 7 * 2_000);

    // Closing January again changes nothing; March takes what came after February's close.
    expect((await close(id, '2026-01', at(3, 11))).id).toBe(jan.id);
    const mar = await close(id, '2026-03', at(4, 2));
    expect(mar.total_micros).toBe(3 * 1_000);
    // Every event billed exactly once: the invoices add up to all usage, priced when it happened.
    expect(jan.total_micros + feb.total_micros + mar.total_micros).toBe(
      (10 + 20 + 5 + 3) * 1_000 + 7 * 2_000,
    );
    for (const invoice of [jan, feb, mar]) {
      expect(await t.billing.balance('USD', invoice.period)).toBe(invoice.total_micros);
    }
  });

  it('credits a share of the charges when availability fell below the promise', async () => {
    const { id, t } = await tenant();
    await use(t, 'use', 1_000, at(4, 10), at(4, 10));
    // 97 sessions that ended well and 3 that failed in April: 97 % available → 25 %.
    for (let i = 0; i < 100; i++)
      await testSession(t, {
        end: { at: new Date(at(4, 12)), outcome: i < 3 ? 'error' : 'completed' },
      });
    const april = await close(id, '2026-04', at(5, 3));
    const credit = april.lines.find((l) => String(l['description']).startsWith('SLA credit'));
    expect(credit).toMatchObject({
      kind: 'credit',
      amount_micros: -500_000, // 25 % of 1 000 characters at 2 000 micros
      description: 'SLA credit 25 %: availability 97.00 % (3 of 100 sessions failed)',
    });
    expect(april.total_micros).toBe(1_500_000);
    expect(await t.billing.balance('USD', '2026-04')).toBe(1_500_000);
    // A month without failures: no credit.
    await use(t, 'may', 10, at(5, 10), at(5, 10));
    const may = await close(id, '2026-05', at(6, 3));
    expect(may.lines.some((l) => String(l['description']).startsWith('SLA credit'))).toBe(false);
  });
});

describe('SLA credit levels', () => {
  it('are 10 % below 99.9 %, 25 % below 99 %, 50 % below 95 %', () => {
    expect([1, 0.999, 0.9989, 0.99, 0.9899, 0.95, 0.9499, 0].map(slaCreditPercent)).toEqual([
      0, 0, 10, 10, 25, 25, 50, 50,
    ]);
  });
});
