/**
 * `GET /audit` and `GET /audit/verify`: a tenant's audit log, filtered and paged in
 * chain order, and the verification of its whole hash chain and signed checkpoints
 * (the first record or checkpoint that does not hold). Callers with `audit:read` read
 * their own tenant's; platform admins any tenant's with `?tenant_id=`.
 */
import { z } from 'zod';
import type { AuditLog } from '@prx-voice/audit';
import type { AuditRow, Repositories } from '@prx-voice/storage';
import type { TenantId } from '@prx-voice/types';
import { checkPermission } from '../auth/middleware.js';
import { principalOf } from '../http/context.js';
import type { ControlContext } from '../http/context.js';
import { ok } from '../http/envelope.js';
import { pageData, pageOptions, pageSchema, paginationQuerySchema } from '../http/pagination.js';
import type { DefineRoute } from '../http/routes.js';
import type { RouteModule } from '../http/route-module.js';
import { idSchema } from '../http/schemas.js';

const TAGS = ['audit'];

/** An audit record as the API shows it. */
export const auditRecordSchema = z.object({
  id: z.string(),
  seq: z.number(),
  actor_type: z.string(),
  actor_id: z.string().nullable(),
  action: z.string(),
  resource_type: z.string(),
  resource_id: z.string().nullable(),
  outcome: z.enum(['success', 'denied', 'failure']),
  request_id: z.string().nullable(),
  ip: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  prev_hash: z.string(),
  hash: z.string(),
  created_at: z.string(),
});

function view(row: AuditRow): z.infer<typeof auditRecordSchema> {
  return {
    id: row.id,
    seq: row.seq,
    actor_type: row.actor_type,
    actor_id: row.actor_id,
    action: row.action,
    resource_type: row.resource_type,
    resource_id: row.resource_id,
    outcome: row.outcome as 'success' | 'denied' | 'failure',
    request_id: row.request_id,
    ip: row.ip,
    details: row.details,
    prev_hash: row.prev_hash,
    hash: row.hash,
    created_at: row.created_at.toISOString(),
  };
}

/** What `GET /audit/verify` answers. */
export const auditVerificationSchema = z.object({
  ok: z.boolean(),
  records: z.number(),
  head: z.string(),
  first_bad_record: z
    .object({
      seq: z.number(),
      id: z.string(),
      reason: z.enum(['missing_record', 'broken_link', 'altered']),
    })
    .optional(),
  checkpoints: z.object({
    checked: z.number(),
    first_bad: z
      .object({
        tree_size: z.number(),
        reason: z.enum([
          'bad_signature',
          'note_mismatch',
          'head_mismatch',
          'truncated',
          'unverifiable',
        ]),
      })
      .optional(),
  }),
  verifier_key: z.string().optional(),
  /** Where the chain starts once retention deleted its first records. */
  anchor: z.object({ tree_size: z.number(), head: z.string() }).optional(),
});

/** The audit routes. */
export function auditRoutes(deps: {
  readonly repos: Repositories;
  readonly audit: AuditLog;
}): RouteModule {
  return { name: 'audit', mount: ({ route }) => mountAuditRoutes(route, deps) };
}

function mountAuditRoutes(
  define: DefineRoute,
  { repos, audit }: { readonly repos: Repositories; readonly audit: AuditLog },
): void {
  const tenantIdField = idSchema('tenant')
    .optional()
    .describe("Another tenant's log (platform admins only).");
  const target = (c: ControlContext, tenantId: TenantId | undefined): TenantId => {
    const t = tenantId ?? principalOf(c).tenantId;
    checkPermission(c, 'audit:read', t);
    return t;
  };

  define({
    method: 'get',
    path: '/audit',
    audit: { action: 'audit.list', resource: 'audit' },
    summary: 'The tenant’s audit log in chain order, filtered, paged by cursor.',
    tags: TAGS,
    permission: 'audit:read',
    query: paginationQuerySchema.extend({
      tenant_id: tenantIdField,
      action: z.string().min(1).max(100).optional(),
      actor_id: z.string().min(1).max(200).optional(),
      outcome: z.enum(['success', 'denied', 'failure']).optional(),
      since: z.iso.datetime({ offset: true }).optional().describe('Records at or after this time.'),
      until: z.iso.datetime({ offset: true }).optional().describe('Records before this time.'),
    }),
    response: pageSchema(auditRecordSchema),
    handler: async (c, { query }) => {
      const page = await repos.forTenant(target(c, query.tenant_id)).audit.list({
        ...pageOptions(query),
        ...(query.action === undefined ? {} : { action: query.action }),
        ...(query.actor_id === undefined ? {} : { actorId: query.actor_id }),
        ...(query.outcome === undefined ? {} : { outcome: query.outcome }),
        ...(query.since === undefined ? {} : { since: new Date(query.since) }),
        ...(query.until === undefined ? {} : { until: new Date(query.until) }),
      });
      return ok(c, pageData(page, view));
    },
  });

  define({
    method: 'get',
    path: '/audit/verify',
    audit: { action: 'audit.verify', resource: 'audit' },
    summary:
      'Recompute the tenant’s audit hash chain and check every signed checkpoint; names the first record or checkpoint that does not hold.',
    tags: TAGS,
    permission: 'audit:read',
    query: z.object({ tenant_id: tenantIdField }),
    response: auditVerificationSchema,
    handler: async (c, { query }) => ok(c, await audit.verify(target(c, query.tenant_id))),
  });
}
