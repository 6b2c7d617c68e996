/**
 * Closing a tenant's billing period (`YYYY-MM`, UTC): once the month and its grace for
 * late usage are over, the period's usage is priced into the ledger — at the price
 * book versions in force when each part of the usage happened (the tenant's override
 * over its tier's book over the built-in list) — allowances are credited, a minimum fee is
 * charged up to, the SLA is credited, and the invoice lists the period's ledger entries
 * with a total that is their sum. Usage recorded after an earlier period's close time
 * (late usage) is priced into this period as an adjustment. Every ledger entry has a
 * deterministic key, so a close that crashed half way, or runs twice, or on two
 * instances, posts each entry once and ends with the same invoice.
 */
import type { InvoiceRow, NewLedgerEntry, PriceBookRow, Repositories } from '@prx-voice/storage';
import { BILLING_PERIOD } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import { DEFAULT_PRICE_BOOKS, amountMicros, priceOf } from './prices.js';
import type { PriceBookTerms } from './prices.js';

/** Default time after a period's end during which late usage is still waited for. */
export const DEFAULT_CLOSE_GRACE_MS = 24 * 60 * 60 * 1000;

/** A period's bounds. */
export function periodRange(period: string): { readonly from: Date; readonly to: Date } {
  if (!BILLING_PERIOD.test(period)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `period must be YYYY-MM, got "${period}"`,
      details: { field: 'period' },
    });
  }
  const [year = 0, month = 1] = period.split('-').map(Number);
  return { from: new Date(Date.UTC(year, month - 1, 1)), to: new Date(Date.UTC(year, month, 1)) };
}

/**
 * SLA credits, as the original PRX Voice specified: the share of a period's charges
 * credited when the tenant's availability (sessions that did not end in error, of the
 * sessions that ended in the period) fell below each level — the lowest level reached
 * applies.
 */
export const SLA_CREDITS: readonly { readonly below: number; readonly percent: number }[] = [
  { below: 0.95, percent: 50 },
  { below: 0.99, percent: 25 },
  { below: 0.999, percent: 10 },
];

/** The SLA credit percent for an availability (0–1); 0 at or above 99.9 %. */
export function slaCreditPercent(availability: number): number {
  return SLA_CREDITS.find((c) => availability < c.below)?.percent ?? 0;
}

/** The period (`YYYY-MM`) holding `at`. */
export function periodOf(at: number): string {
  const d = new Date(at);
  return `${String(d.getUTCFullYear())}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Price-book terms in force over part of a period. */
interface PricedSpan {
  readonly from: Date;
  readonly to: Date;
  /** `default:<tier>` for the built-in list. */
  readonly bookId: string;
  readonly terms: PriceBookTerms;
}

function termsOf(row: PriceBookRow): PriceBookTerms {
  return {
    currency: row.currency,
    prices: row.prices,
    allowances: row.allowances,
    minimumMonthlyMicros: row.minimum_monthly_micros,
  };
}

/** The version of `versions` (oldest first) in force at `at`. */
function inForceAt(versions: readonly PriceBookRow[], at: Date): PriceBookRow | undefined {
  let found: PriceBookRow | undefined;
  for (const v of versions) if (v.effective_from <= at) found = v;
  return found;
}

/**
 * The terms in force over `[from, to)`, split where a version of the tier's book or of
 * the tenant's override takes effect: the tenant's override over the tier's book (meter
 * by meter; its allowances, minimum and currency when it has one), the tier's book over
 * the built-in list.
 */
async function pricedSpans(
  repos: Repositories,
  tenant: { readonly id: string; readonly tier: string },
  from: Date,
  to: Date,
): Promise<PricedSpan[]> {
  const own = await repos.priceBooks.versions({ tenantId: tenant.id as TenantId });
  const tier = await repos.priceBooks.versions({ tier: tenant.tier });
  const builtIn = DEFAULT_PRICE_BOOKS[tenant.tier] ?? DEFAULT_PRICE_BOOKS['starter'];
  const cuts = [...own, ...tier]
    .map((v) => v.effective_from.getTime())
    .filter((t) => t > from.getTime() && t < to.getTime());
  const starts = [...new Set([from.getTime(), ...cuts])].sort((a, b) => a - b);
  return starts.map((start, i) => {
    const at = new Date(start);
    const tierBook = inForceAt(tier, at);
    const ownBook = inForceAt(own, at);
    const base: PriceBookTerms | undefined = tierBook === undefined ? builtIn : termsOf(tierBook);
    const over = ownBook === undefined ? undefined : termsOf(ownBook);
    const terms: PriceBookTerms = {
      currency: over?.currency ?? base?.currency ?? 'USD',
      prices: { ...base?.prices, ...over?.prices },
      allowances: over?.allowances ?? base?.allowances ?? {},
      minimumMonthlyMicros: over?.minimumMonthlyMicros ?? base?.minimumMonthlyMicros ?? 0,
    };
    const bookId = [ownBook?.id, tierBook?.id ?? `default:${tenant.tier}`]
      .filter((x) => x !== undefined)
      .join('+');
    return { from: at, to: new Date(starts[i + 1] ?? to.getTime()), bookId, terms };
  });
}

/** The sum of a period's ledger entries in `currency`, leaving out the entry keyed `except`. */
async function netOf(
  t: ReturnType<Repositories['forTenant']>,
  period: string,
  currency: string,
  except: string,
): Promise<number> {
  let net = 0;
  let cursor: string | undefined;
  do {
    const page = await t.billing.listLedger({
      period,
      limit: 200,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const e of page.items)
      if (e.currency === currency && e.idempotency_key !== except) net += e.amount_micros;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return net;
}

/** What {@link closePeriod} is given. */
export interface ClosePeriodOptions {
  readonly repos: Repositories;
  readonly tenant: { readonly id: string; readonly tier: string };
  readonly period: string;
  /** Now, epoch ms. */
  readonly now: number;
  /** Late usage waited for after the period's end, ms (default a day). */
  readonly graceMs?: number;
}

/** A closed period. */
export interface ClosedPeriod {
  readonly invoice: InvoiceRow;
  /** False when the period had been closed already (the same invoice). */
  readonly created: boolean;
}

/**
 * Closes a period of a tenant (idempotent).
 *
 * @throws VoiceError `VALIDATION_FAILED` for a malformed period; `CONFLICT` while the
 * period (or its grace) is still running.
 */
export async function closePeriod(o: ClosePeriodOptions): Promise<ClosedPeriod> {
  const { from, to } = periodRange(o.period);
  const grace = o.graceMs ?? DEFAULT_CLOSE_GRACE_MS;
  if (o.now < to.getTime() + grace) {
    throw new VoiceError('CONFLICT', {
      message: `period ${o.period} is still open: it closes at ${new Date(to.getTime() + grace).toISOString()} (its end plus the grace for late usage)`,
      details: { period: o.period, closes_at: new Date(to.getTime() + grace).toISOString() },
    });
  }
  const t = o.repos.forTenant(o.tenant.id as TenantId);
  const spans = await pricedSpans(o.repos, o.tenant, from, to);
  const last = spans.at(-1);
  const currency = last?.terms.currency ?? 'USD';
  const mixed = spans.find((sp) => sp.terms.currency !== currency);
  if (mixed !== undefined) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `currency mismatch: period ${o.period} is priced in ${mixed.terms.currency} and ${currency}`,
      details: { field: 'currency' },
    });
  }
  const existing = (await t.invoices.forPeriod(o.period)).find((i) => i.currency === currency);
  if (existing !== undefined) return { invoice: existing, created: false };
  // What counts as the period's usage is what was recorded before its close time (its end
  // plus the grace); what was recorded after that for an earlier period is late, and goes
  // to the period whose close time comes next. Each event is billed once, whenever and
  // in whatever order periods are closed (the grace is taken as constant).
  const cutoff = new Date(to.getTime() + grace);
  const lateFrom = new Date(from.getTime() + grace);

  const post = async (entry: Omit<NewLedgerEntry, 'currency' | 'period'>): Promise<void> => {
    if (entry.amountMicros === 0) return;
    await t.billing.post({ ...entry, currency, period: o.period });
  };
  // Usage, priced per version in force; what no price covers is listed at zero.
  const used = new Map<
    string,
    { quantity: number; lines: { quantity: number; perUnit: ReturnType<typeof priceOf> }[] }
  >();
  for (const span of spans) {
    const totals = await t.billing.usageTotals(
      { from: span.from, to: span.to },
      { recordedBefore: cutoff },
    );
    for (const u of totals) {
      const price = priceOf(span.terms.prices, u.meter, u.provider);
      const amount = price === undefined ? 0 : amountMicros(u.quantity, price);
      const provider = u.provider ?? '-';
      await post({
        kind: 'usage',
        amountMicros: amount,
        description: `${u.meter} ${provider}: ${String(u.quantity)} ${u.unit}${price === undefined ? ' (no price)' : ` at ${String(price.micros)} micros per ${String(price.per)}`}`,
        idempotencyKey: `usage:${o.period}:${u.meter}:${provider}:${span.bookId}`,
      });
      const m = used.get(u.meter) ?? { quantity: 0, lines: [] };
      m.quantity += u.quantity;
      m.lines.push({ quantity: u.quantity, perUnit: price });
      used.set(u.meter, m);
    }
  }
  // Late usage of earlier periods, priced at the versions in force when it happened.
  for (const span of await pricedSpans(o.repos, o.tenant, new Date(0), from)) {
    const late = await t.billing.usageTotals(
      { from: span.from, to: span.to },
      { recordedFrom: lateFrom, recordedBefore: cutoff },
    );
    if (late.length > 0 && span.terms.currency !== currency) {
      throw new VoiceError('VALIDATION_FAILED', {
        message: `currency mismatch: late usage from before ${o.period} is priced in ${span.terms.currency}, the period in ${currency}`,
        details: { field: 'currency' },
      });
    }
    for (const u of late) {
      const price = priceOf(span.terms.prices, u.meter, u.provider);
      const provider = u.provider ?? '-';
      await post({
        kind: 'adjustment',
        amountMicros: price === undefined ? 0 : amountMicros(u.quantity, price),
        description: `late usage from before ${o.period}: ${u.meter} ${provider}: ${String(u.quantity)} ${u.unit}${price === undefined ? '' : ` at ${String(price.micros)} micros per ${String(price.per)}`}`,
        idempotencyKey: `late:${o.period}:${u.meter}:${provider}:${span.bookId}`,
      });
    }
  }
  // Allowances of the version in force at the period's end, used up line by line.
  const terms = last?.terms;
  for (const [meter, allowance] of Object.entries(terms?.allowances ?? {})) {
    let left = Math.min(allowance, used.get(meter)?.quantity ?? 0);
    let credit = 0;
    for (const line of used.get(meter)?.lines ?? []) {
      if (left <= 0) break;
      const covered = Math.min(left, line.quantity);
      if (line.perUnit !== undefined) credit += amountMicros(covered, line.perUnit);
      left -= covered;
    }
    await post({
      kind: 'credit',
      amountMicros: -credit,
      description: `${meter}: ${String(allowance)} included`,
      idempotencyKey: `allowance:${o.period}:${meter}`,
    });
  }
  // A minimum monthly fee: charged up to. (The SLA credit, posted after it, never counts:
  // a close that crashed after posting it and runs again decides the same.)
  const slaKey = `sla:${o.period}`;
  const minimum = terms?.minimumMonthlyMicros ?? 0;
  const net = await netOf(t, o.period, currency, slaKey);
  if (minimum > net) {
    await post({
      kind: 'adjustment',
      amountMicros: minimum - net,
      description: `minimum monthly fee ${String(minimum)} micros`,
      idempotencyKey: `minimum:${o.period}`,
    });
  }
  // The SLA credit: a share of the charges when the tenant's sessions that ended in the
  // period were available less than promised (the availability objective's measure).
  const outcomes = await t.sessions.outcomeCounts({ from, to });
  const ended = outcomes.reduce((n, c) => n + c.count, 0);
  const failed = outcomes.find((c) => c.outcome === 'error')?.count ?? 0;
  const availability = ended === 0 ? 1 : (ended - failed) / ended;
  const percent = slaCreditPercent(availability);
  const charged = await netOf(t, o.period, currency, slaKey);
  if (percent > 0 && charged > 0) {
    await post({
      kind: 'credit',
      amountMicros: -Number((BigInt(charged) * BigInt(percent) + 50n) / 100n),
      description: `SLA credit ${String(percent)} %: availability ${(availability * 100).toFixed(2)} % (${String(failed)} of ${String(ended)} sessions failed)`,
      idempotencyKey: slaKey,
    });
  }
  // The invoice: every ledger entry of the period, its total their sum.
  const lines: Record<string, unknown>[] = [];
  let total = 0;
  let cursor: string | undefined;
  do {
    const page = await t.billing.listLedger({
      period: o.period,
      limit: 200,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const e of page.items) {
      if (e.currency !== currency) continue;
      const amount = e.amount_micros;
      total += amount;
      lines.push({
        ledger_entry_id: e.id,
        kind: e.kind,
        description: e.description,
        amount_micros: amount,
      });
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  const created = await t.invoices.create({
    period: o.period,
    currency,
    totalMicros: total,
    lines,
    details: {
      price_books: spans.map((s) => ({
        id: s.bookId,
        from: s.from.toISOString(),
        to: s.to.toISOString(),
      })),
    },
    closedAt: new Date(o.now),
  });
  return { invoice: created.row, created: created.created };
}
