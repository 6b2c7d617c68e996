import type { ApiKeyId } from '@prx-voice/types';
import type { ApiKeyRow } from '../schema.js';
import { decodeCursor, pageSize, storageError, toPage } from '../support.js';
import type { Page, PageOptions } from '../support.js';
import { nowDate } from './context.js';
import type { RepoContext, TenantContext } from './context.js';

/** A new API key's stored form: never the secret, only its lookup id, salt and hash. */
export interface NewApiKey {
  readonly id?: ApiKeyId;
  readonly lookupId: string;
  readonly name: string;
  readonly role: string;
  readonly salt: string;
  readonly hash: string;
  readonly createdBy?: string;
  readonly expiresAt?: Date;
}

/** A tenant's API keys. */
export interface ApiKeyRepository {
  create(key: NewApiKey): Promise<ApiKeyRow>;
  get(id: ApiKeyId): Promise<ApiKeyRow | undefined>;
  list(opts?: PageOptions): Promise<Page<ApiKeyRow>>;
  /** Revokes a key; false when it does not exist or was already revoked. */
  revoke(id: ApiKeyId): Promise<boolean>;
}

/** Creates a tenant's API key repository. */
export function apiKeyRepository(ctx: TenantContext): ApiKeyRepository {
  const { db, tenantId } = ctx;
  return {
    async create(key) {
      try {
        return await db
          .insertInto('api_keys')
          .values({
            id: key.id ?? ctx.ids.next('apiKey'),
            tenant_id: tenantId,
            lookup_id: key.lookupId,
            name: key.name,
            role: key.role,
            salt: key.salt,
            hash: key.hash,
            created_at: nowDate(ctx),
            created_by: key.createdBy ?? null,
            expires_at: key.expiresAt ?? null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (err) {
        throw storageError(err, `API key ${key.name}`);
      }
    },
    async get(id) {
      return db
        .selectFrom('api_keys')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
    },
    async list(opts) {
      const limit = pageSize(opts);
      let q = db
        .selectFrom('api_keys')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('id', 'desc')
        .limit(limit + 1);
      if (opts?.cursor != null) q = q.where('id', '<', decodeCursor(opts.cursor, 'string'));
      return toPage(await q.execute(), limit, (r) => r.id);
    },
    async revoke(id) {
      const r = await db
        .updateTable('api_keys')
        .set({ revoked_at: nowDate(ctx) })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
  };
}

/**
 * The one cross-tenant read: authentication finds a presented key by its public
 * lookup id to learn its tenant. It returns only what verification needs.
 */
export interface ApiKeyLookup {
  find(lookupId: string): Promise<ApiKeyRow | undefined>;
  /** Records a successful use (best effort, coarse: at most once a minute per key). */
  touch(id: ApiKeyId): Promise<void>;
}

/** Creates the authentication-time API key lookup. */
export function apiKeyLookup(ctx: RepoContext): ApiKeyLookup {
  const { db } = ctx;
  return {
    async find(lookupId) {
      return db
        .selectFrom('api_keys')
        .selectAll()
        .where('lookup_id', '=', lookupId)
        .executeTakeFirst();
    },
    async touch(id) {
      const at = nowDate(ctx);
      await db
        .updateTable('api_keys')
        .set({ last_used_at: at })
        .where('id', '=', id)
        .where((eb) =>
          eb.or([
            eb('last_used_at', 'is', null),
            eb('last_used_at', '<', new Date(at.getTime() - 60_000)),
          ]),
        )
        .execute();
    },
  };
}
