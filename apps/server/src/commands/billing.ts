/**
 * `prx-voice billing close --period YYYY-MM [--tenant SLUG_OR_ID]` and
 * `prx-voice billing usage --tenant SLUG_OR_ID [--period YYYY-MM]`: the operator's view
 * of billing on the configured database.
 */
import { closePeriod, periodOf, periodRange } from '@prx-voice/billing';
import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import type { CliIo } from '../cli.js';
import { openRuntime } from '../runtime.js';
import { allTenants, tenantOf } from './tenant-ref.js';

const money = (micros: number, currency: string): string =>
  `${(micros / 1_000_000).toFixed(6)} ${currency}`;

/** `billing close`: closes a period for one tenant or all; prints each invoice. */
export async function billingCloseCommand(
  io: CliIo,
  o: { period?: string; tenant?: string },
): Promise<number> {
  if (o.period === undefined)
    throw new VoiceError('VALIDATION_FAILED', { message: '--period YYYY-MM is required' });
  periodRange(o.period);
  const rt = await openRuntime({ ...(io.load === undefined ? {} : { load: io.load }) });
  try {
    const tenants =
      o.tenant === undefined ? await allTenants(rt.repos) : [await tenantOf(rt.repos, o.tenant)];
    for (const tenant of tenants) {
      const { invoice, created } = await closePeriod({
        repos: rt.repos,
        tenant,
        period: o.period,
        now: rt.clock.now(),
        graceMs: rt.config.billing.close_grace_ms,
      });
      io.out(
        `${tenant.slug} ${o.period}: invoice ${invoice.id} ${money(invoice.total_micros, invoice.currency)}${created ? '' : ' (already closed)'}`,
      );
    }
    return 0;
  } finally {
    await rt.close();
  }
}

/** `billing usage`: a tenant's recorded meters of a period, by meter and provider. */
export async function billingUsageCommand(
  io: CliIo,
  o: { period?: string; tenant?: string },
): Promise<number> {
  if (o.tenant === undefined)
    throw new VoiceError('VALIDATION_FAILED', { message: '--tenant SLUG_OR_ID is required' });
  const rt = await openRuntime({ ...(io.load === undefined ? {} : { load: io.load }) });
  try {
    const tenant = await tenantOf(rt.repos, o.tenant);
    const period = o.period ?? periodOf(rt.clock.now());
    const totals = await rt.repos
      .forTenant(tenant.id as TenantId)
      .billing.usageTotals(periodRange(period));
    io.out(`${tenant.slug} ${period}:`);
    if (totals.length === 0) io.out('  no usage recorded');
    for (const t of totals)
      io.out(
        `  ${t.meter} ${t.provider ?? '-'}: ${String(t.quantity)} ${t.unit} (${String(t.events)} events)`,
      );
    return 0;
  } finally {
    await rt.close();
  }
}
