/**
 * Billing: `GET /invoices`, `GET /invoices/{invoice_id}` (`billing:read`: a tenant's
 * admins and billing viewers read their own tenant's; a platform admin any tenant's
 * with `?tenant_id=`), `POST /invoices/close` (`billing:manage`: platform admins) and
 * the price books, `GET /price-books` and `POST /price-books` (`billing:manage`).
 */
import { z } from 'zod';
import {
  DEFAULT_PRICE_BOOKS,
  closePeriod,
  parsePriceBookTerms,
  periodOf,
} from '@prx-voice/billing';
import { BILLING_PERIOD } from '@prx-voice/storage';
import type { InvoiceRow, PriceBookRow, Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import { checkPermission } from '../auth/middleware.js';
import { principalOf } from '../http/context.js';
import type { ControlContext } from '../http/context.js';
import { ok } from '../http/envelope.js';
import { pageData, pageOptions, pageSchema, paginationQuerySchema } from '../http/pagination.js';
import type { DefineRoute } from '../http/routes.js';
import type { RouteModule } from '../http/route-module.js';
import { idSchema } from '../http/schemas.js';

const TAGS = ['billing'];
const periodSchema = z.string().regex(BILLING_PERIOD, { error: 'expected YYYY-MM' });

/** An invoice as the API shows it. */
export const invoiceSchema = z.object({
  id: z.string(),
  tenant_id: z.string(),
  period: z.string(),
  currency: z.string(),
  /** Integer micro-units of `currency`: the sum of `lines`. */
  total_micros: z.number().int(),
  status: z.string(),
  /** The period's ledger entries: usage priced per meter and provider, allowances, minimums. */
  lines: z.array(z.record(z.string(), z.unknown())),
  details: z.record(z.string(), z.unknown()),
  closed_at: z.string(),
});

/** A price book version as the API shows it. */
export const priceBookSchema = z.object({
  id: z.string(),
  tier: z.string().nullable(),
  tenant_id: z.string().nullable(),
  version: z.number().int(),
  currency: z.string(),
  effective_from: z.string(),
  prices: z.record(z.string(), z.unknown()),
  allowances: z.record(z.string(), z.number()),
  minimum_monthly_micros: z.number().int(),
});

const invoiceView = (r: InvoiceRow): z.infer<typeof invoiceSchema> => ({
  id: r.id,
  tenant_id: r.tenant_id,
  period: r.period,
  currency: r.currency,
  total_micros: r.total_micros,
  status: r.status,
  lines: r.lines,
  details: r.details,
  closed_at: r.closed_at.toISOString(),
});

const priceBookView = (r: PriceBookRow): z.infer<typeof priceBookSchema> => ({
  id: r.id,
  tier: r.tier,
  tenant_id: r.tenant_id,
  version: r.version,
  currency: r.currency,
  effective_from: r.effective_from.toISOString(),
  prices: r.prices,
  allowances: r.allowances,
  minimum_monthly_micros: r.minimum_monthly_micros,
});

const tenantQuery = idSchema('tenant')
  .optional()
  .describe('The tenant addressed; only platform admins may name another than their own.');

/** The tenant a request addresses, checked against the caller's permission there. */
function addressed(c: ControlContext, permission: 'billing:read', tenantId?: TenantId): TenantId {
  const id = tenantId ?? principalOf(c).tenantId;
  checkPermission(c, permission, id);
  return id;
}

/** The billing routes. */
export function billingRoutes(deps: {
  readonly repos: Repositories;
  readonly clock: { now(): number };
  /** Late usage waited for after a period's end before it may close, ms. */
  readonly closeGraceMs?: number;
}): RouteModule {
  return { name: 'billing', mount: ({ route }) => mountBillingRoutes(route, deps) };
}

function mountBillingRoutes(define: DefineRoute, deps: Parameters<typeof billingRoutes>[0]): void {
  const { repos } = deps;

  define({
    method: 'get',
    path: '/invoices',
    audit: { action: 'invoice.list', resource: 'invoice' },
    summary: "The tenant's invoices, newest period first.",
    tags: TAGS,
    permission: 'billing:read',
    query: paginationQuerySchema.extend({
      tenant_id: tenantQuery,
      period: periodSchema.optional(),
    }),
    response: pageSchema(invoiceSchema),
    handler: async (c, { query }) => {
      const tenantId = addressed(c, 'billing:read', query.tenant_id);
      const page = await repos.forTenant(tenantId).invoices.list({
        ...pageOptions(query),
        ...(query.period === undefined ? {} : { period: query.period }),
      });
      return ok(c, pageData(page, invoiceView));
    },
  });

  define({
    method: 'get',
    path: '/invoices/{invoice_id}',
    audit: { action: 'invoice.read', resource: 'invoice' },
    summary: 'One invoice, with its lines.',
    tags: TAGS,
    permission: 'billing:read',
    params: z.object({ invoice_id: idSchema('invoice') }),
    query: z.object({ tenant_id: tenantQuery }),
    response: invoiceSchema,
    errors: ['NOT_FOUND'],
    handler: async (c, { params, query }) => {
      const tenantId = addressed(c, 'billing:read', query.tenant_id);
      const row = await repos.forTenant(tenantId).invoices.get(params.invoice_id);
      if (row === undefined)
        throw new VoiceError('NOT_FOUND', {
          message: `invoice ${params.invoice_id} does not exist`,
          details: { invoice_id: params.invoice_id },
        });
      return ok(c, invoiceView(row));
    },
  });

  define({
    method: 'post',
    path: '/invoices/close',
    audit: { action: 'invoice.close', resource: 'invoice' },
    summary:
      "Close a period: price its usage into the ledger and issue each tenant's invoice (one tenant with `tenant_id`). Idempotent.",
    tags: TAGS,
    permission: 'billing:manage',
    body: z.object({
      period: periodSchema.describe(
        'The month to close, `YYYY-MM`; it must be over, grace included.',
      ),
      tenant_id: idSchema('tenant').optional(),
    }),
    response: z.object({ period: z.string(), invoices: z.array(invoiceSchema) }),
    errors: ['CONFLICT', 'TENANT_NOT_FOUND'],
    handler: async (c, { body }) => {
      const tenants = [];
      if (body.tenant_id !== undefined) {
        const t = await repos.tenants.get(body.tenant_id);
        if (t === undefined)
          throw new VoiceError('TENANT_NOT_FOUND', { details: { tenant_id: body.tenant_id } });
        tenants.push(t);
      } else {
        let cursor: string | null = null;
        do {
          const page = await repos.tenants.list({ limit: 200, cursor });
          tenants.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor !== null);
      }
      const invoices: InvoiceRow[] = [];
      for (const tenant of tenants) {
        const closed = await closePeriod({
          repos,
          tenant,
          period: body.period,
          now: deps.clock.now(),
          ...(deps.closeGraceMs === undefined ? {} : { graceMs: deps.closeGraceMs }),
        });
        invoices.push(closed.invoice);
      }
      return ok(c, { period: body.period, invoices: invoices.map(invoiceView) });
    },
  });

  define({
    method: 'get',
    path: '/billing/export/dead-letters',
    audit: { action: 'usage_export.dead_letters.list', resource: 'usage_export' },
    summary:
      'Usage events the export endpoint never took after every attempt (newest first); they are not retried.',
    tags: TAGS,
    permission: 'billing:manage',
    query: z.object({
      tenant_id: idSchema('tenant').optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
    response: z.object({
      items: z.array(
        z.object({
          id: z.string(),
          tenant_id: z.string(),
          meter_event_id: z.string(),
          attempts: z.number().int(),
          last_error: z.string(),
          created_at: z.string(),
        }),
      ),
      total: z.number().int(),
    }),
    handler: async (c, { query }) => {
      const [rows, total] = await Promise.all([
        repos.usageExport.deadLetters({
          limit: query.limit,
          ...(query.tenant_id === undefined ? {} : { tenantId: query.tenant_id }),
        }),
        repos.usageExport.deadLetterCount(),
      ]);
      return ok(c, {
        items: rows.map((r) => ({
          id: r.id,
          tenant_id: r.tenant_id,
          meter_event_id: r.meter_event_id,
          attempts: r.attempts,
          last_error: r.last_error,
          created_at: r.created_at.toISOString(),
        })),
        total,
      });
    },
  });

  define({
    method: 'get',
    path: '/price-books',
    audit: { action: 'price_book.list', resource: 'price_book' },
    summary: 'Every price book version: per tier and per-tenant overrides.',
    tags: TAGS,
    permission: 'billing:manage',
    response: z.object({ items: z.array(priceBookSchema), current_period: z.string() }),
    handler: async (c) =>
      ok(c, {
        items: (await repos.priceBooks.list()).map(priceBookView),
        current_period: periodOf(deps.clock.now()),
      }),
  });

  define({
    method: 'post',
    path: '/price-books',
    audit: { action: 'price_book.create', resource: 'price_book' },
    summary:
      "Add a version of a tier's price book or a tenant's override, effective from a date after its latest version's: the past is never repriced.",
    tags: TAGS,
    permission: 'billing:manage',
    body: z.object({
      tier: z.enum(['trial', 'starter', 'growth', 'enterprise']).optional(),
      tenant_id: idSchema('tenant').optional(),
      effective_from: z.iso.datetime({ offset: true }),
      currency: z.string(),
      prices: z.record(z.string(), z.unknown()),
      allowances: z.record(z.string(), z.unknown()).optional(),
      minimum_monthly_micros: z.number().optional(),
    }),
    response: priceBookSchema,
    status: 201,
    errors: ['CONFLICT', 'TENANT_NOT_FOUND'],
    handler: async (c, { body }) => {
      if ((body.tier === undefined) === (body.tenant_id === undefined)) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: 'give exactly one of tier and tenant_id',
          details: { field: 'tier' },
        });
      }
      const terms = parsePriceBookTerms({
        currency: body.currency,
        prices: body.prices,
        ...(body.allowances === undefined ? {} : { allowances: body.allowances }),
        ...(body.minimum_monthly_micros === undefined
          ? {}
          : { minimum_monthly_micros: body.minimum_monthly_micros }),
      });
      if (body.tenant_id !== undefined) {
        // An override bills in the currency of the tenant's tier.
        const tenant = await repos.tenants.get(body.tenant_id);
        if (tenant === undefined)
          throw new VoiceError('TENANT_NOT_FOUND', { details: { tenant_id: body.tenant_id } });
        const tierBook = (await repos.priceBooks.versions({ tier: tenant.tier })).at(-1);
        const tierCurrency = tierBook?.currency ?? DEFAULT_PRICE_BOOKS[tenant.tier]?.currency;
        if (tierCurrency !== undefined && tierCurrency !== terms.currency)
          throw new VoiceError('VALIDATION_FAILED', {
            message: `currency mismatch: the tenant's tier bills in ${tierCurrency}, not ${terms.currency}`,
            details: { field: 'currency' },
          });
      }
      const row = await repos.priceBooks.create({
        scope:
          body.tier !== undefined ? { tier: body.tier } : { tenantId: body.tenant_id as TenantId },
        currency: terms.currency,
        effectiveFrom: new Date(body.effective_from),
        prices: terms.prices,
        allowances: terms.allowances,
        minimumMonthlyMicros: terms.minimumMonthlyMicros,
      });
      return ok(c, priceBookView(row), 201);
    },
  });
}
