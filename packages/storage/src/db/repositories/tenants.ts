import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import type { TenantRow } from '../schema.js';
import { decodeCursor, pageSize, storageError, toPage } from '../support.js';
import type { Page, PageOptions } from '../support.js';
import { nowDate } from './context.js';
import type { RepoContext } from './context.js';

/** A new tenant. */
export interface NewTenant {
  readonly id?: TenantId;
  /** URL-safe unique handle, e.g. `default`. */
  readonly slug: string;
  readonly name: string;
  readonly tier: string;
  readonly limits?: Record<string, number | null>;
  readonly settings?: Record<string, unknown>;
}

/** Changes to a tenant. */
export interface TenantPatch {
  readonly name?: string;
  readonly tier?: string;
  readonly status?: 'active' | 'suspended';
  readonly limits?: Record<string, number | null>;
  readonly settings?: Record<string, unknown>;
}

/** The tenants themselves: a platform-level repository (only platform administration reaches it). */
export interface TenantRepository {
  create(tenant: NewTenant): Promise<TenantRow>;
  get(id: TenantId): Promise<TenantRow | undefined>;
  getBySlug(slug: string): Promise<TenantRow | undefined>;
  list(opts?: PageOptions): Promise<Page<TenantRow>>;
  update(id: TenantId, patch: TenantPatch): Promise<TenantRow | undefined>;
  /** Deletes a tenant and, by cascade, everything it owns. */
  delete(id: TenantId): Promise<boolean>;
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Creates the tenant repository. */
export function tenantRepository(ctx: RepoContext): TenantRepository {
  const { db } = ctx;
  return {
    async create(tenant) {
      if (!SLUG.test(tenant.slug)) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `tenant slug "${tenant.slug}" must be 1–63 lower-case letters, digits or inner hyphens`,
          details: { field: 'slug' },
        });
      }
      const at = nowDate(ctx);
      try {
        return await db
          .insertInto('tenants')
          .values({
            id: tenant.id ?? ctx.ids.next('tenant'),
            slug: tenant.slug,
            name: tenant.name,
            tier: tenant.tier,
            status: 'active',
            limits: tenant.limits ?? {},
            settings: tenant.settings ?? {},
            created_at: at,
            updated_at: at,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (err) {
        throw storageError(err, `tenant ${tenant.slug}`);
      }
    },
    async get(id) {
      return db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async getBySlug(slug) {
      return db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
    },
    async list(opts) {
      const limit = pageSize(opts);
      let q = db
        .selectFrom('tenants')
        .selectAll()
        .orderBy('id', 'asc')
        .limit(limit + 1);
      if (opts?.cursor != null) q = q.where('id', '>', decodeCursor(opts.cursor, 'string'));
      return toPage(await q.execute(), limit, (r) => r.id);
    },
    async update(id, patch) {
      return db
        .updateTable('tenants')
        .set({ ...patch, updated_at: nowDate(ctx) })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },
    async delete(id) {
      const r = await db.deleteFrom('tenants').where('id', '=', id).executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
  };
}
