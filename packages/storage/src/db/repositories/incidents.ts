import type { Id, Severity, TenantId } from '@prx-voice/types';
import type { IncidentRow } from '../schema.js';
import { decodeCursor, pageSize, toPage } from '../support.js';
import type { Page, PageOptions } from '../support.js';
import { nowDate } from './context.js';
import type { RepoContext } from './context.js';

/** A new incident. */
export interface NewIncident {
  readonly severity: Severity;
  readonly title: string;
  /** What opened it, e.g. `burn_rate`, `provider_error_rate`, `event_loop_lag`. */
  readonly trigger: string;
  readonly details?: Record<string, unknown>;
}

/** Incidents of one scope: a tenant's, or the platform's (tenant `null`). */
export interface IncidentRepository {
  open(incident: NewIncident): Promise<IncidentRow>;
  /** Changes an open incident's severity or details (its timeline); undefined when not open here. */
  update(
    id: Id<'incident'>,
    patch: { readonly severity?: Severity; readonly details?: Record<string, unknown> },
  ): Promise<IncidentRow | undefined>;
  /** Resolves an open incident; false when it is not open in this scope. */
  resolve(id: Id<'incident'>): Promise<boolean>;
  get(id: Id<'incident'>): Promise<IncidentRow | undefined>;
  /** Newest first. */
  list(opts?: PageOptions & { readonly status?: 'open' | 'resolved' }): Promise<Page<IncidentRow>>;
}

/** Creates the incident repository of a tenant, or of the platform when `tenantId` is null. */
export function incidentRepository(
  ctx: RepoContext,
  tenantId: TenantId | null,
): IncidentRepository {
  const { db } = ctx;
  const scoped = () => {
    const q = db.selectFrom('incidents').selectAll();
    return tenantId === null
      ? q.where('tenant_id', 'is', null)
      : q.where('tenant_id', '=', tenantId);
  };
  return {
    async open(i) {
      return db
        .insertInto('incidents')
        .values({
          id: ctx.ids.next('incident'),
          tenant_id: tenantId,
          severity: i.severity,
          status: 'open',
          title: i.title,
          trigger: i.trigger,
          details: i.details ?? {},
          opened_at: nowDate(ctx),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    async update(id, patch) {
      let q = db
        .updateTable('incidents')
        .set({
          ...(patch.severity === undefined ? {} : { severity: patch.severity }),
          ...(patch.details === undefined ? {} : { details: patch.details }),
        })
        .where('id', '=', id)
        .where('status', '=', 'open');
      q =
        tenantId === null ? q.where('tenant_id', 'is', null) : q.where('tenant_id', '=', tenantId);
      return q.returningAll().executeTakeFirst();
    },
    async resolve(id) {
      let q = db
        .updateTable('incidents')
        .set({ status: 'resolved', resolved_at: nowDate(ctx) })
        .where('id', '=', id)
        .where('status', '=', 'open');
      q =
        tenantId === null ? q.where('tenant_id', 'is', null) : q.where('tenant_id', '=', tenantId);
      const r = await q.executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async get(id) {
      return scoped().where('id', '=', id).executeTakeFirst();
    },
    async list(opts) {
      const limit = pageSize(opts);
      let q = scoped()
        .orderBy('id', 'desc')
        .limit(limit + 1);
      if (opts?.status !== undefined) q = q.where('status', '=', opts.status);
      if (opts?.cursor != null) q = q.where('id', '<', decodeCursor(opts.cursor, 'string'));
      return toPage(await q.execute(), limit, (r) => r.id);
    },
  };
}
