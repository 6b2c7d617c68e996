import { VoiceError } from '@prx-voice/types';
import type { Id } from '@prx-voice/types';
import type { AssistantRow, AssistantVersionRow } from '../schema.js';
import { decodeCursor, pageSize, toPage } from '../support.js';
import type { Page, PageOptions } from '../support.js';
import { nowDate } from './context.js';
import type { TenantContext } from './context.js';

/** An assistant's name and definition (stored as given; the API validates its shape). */
export interface AssistantDraft {
  readonly name: string;
  readonly definition: Record<string, unknown>;
}

/**
 * A tenant's stored assistants, versioned: every create and update writes a new,
 * immutable version (1, 2, …) and makes it current; a delete hides the assistant (its
 * versions stay, for the sessions that ran them).
 */
export interface AssistantRepository {
  create(draft: AssistantDraft): Promise<AssistantRow>;
  /** The current version; deleted ones are not found. */
  get(id: Id<'assistant'>): Promise<AssistantRow | undefined>;
  /** Newest first, deleted ones left out. */
  list(opts?: PageOptions): Promise<Page<AssistantRow>>;
  /**
   * Saves the next version; with `ifVersion`, only if the current one is still that
   * (`CONFLICT` otherwise). Undefined when there is no such assistant.
   */
  update(
    id: Id<'assistant'>,
    draft: AssistantDraft,
    ifVersion?: number,
  ): Promise<AssistantRow | undefined>;
  /** Hides the assistant; whether it was there. */
  delete(id: Id<'assistant'>): Promise<boolean>;
  /** One version (deleted assistants' included). */
  version(id: Id<'assistant'>, version: number): Promise<AssistantVersionRow | undefined>;
  /** Every version, oldest first. */
  versions(id: Id<'assistant'>): Promise<AssistantVersionRow[]>;
}

/** Creates a tenant's assistant repository. */
export function assistantRepository(ctx: TenantContext): AssistantRepository {
  const { db, tenantId } = ctx;
  const live = () =>
    db
      .selectFrom('assistants')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null);
  return {
    async create(draft) {
      const at = nowDate(ctx);
      const id = ctx.ids.next('assistant');
      return db.transaction().execute(async (tx) => {
        const row = await tx
          .insertInto('assistants')
          .values({
            id,
            tenant_id: tenantId,
            name: draft.name,
            version: 1,
            definition: draft.definition,
            created_at: at,
            updated_at: at,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await tx
          .insertInto('assistant_versions')
          .values({
            tenant_id: tenantId,
            assistant_id: id,
            version: 1,
            name: draft.name,
            definition: draft.definition,
            created_at: at,
          })
          .execute();
        return row;
      });
    },
    async get(id) {
      return live().where('id', '=', id).executeTakeFirst();
    },
    async list(opts) {
      const limit = pageSize(opts);
      let q = live()
        .orderBy('id', 'desc')
        .limit(limit + 1);
      if (opts?.cursor != null) q = q.where('id', '<', decodeCursor(opts.cursor, 'string'));
      return toPage(await q.execute(), limit, (r) => r.id);
    },
    async update(id, draft, ifVersion) {
      const at = nowDate(ctx);
      return db.transaction().execute(async (tx) => {
        const current = await tx
          .selectFrom('assistants')
          .select('version')
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .forUpdate()
          .executeTakeFirst();
        if (current === undefined) return undefined;
        if (ifVersion !== undefined && current.version !== ifVersion) {
          throw new VoiceError('CONFLICT', {
            message: `Assistant ${id} is at version ${String(current.version)}, not ${String(ifVersion)}.`,
            details: { assistant_id: id, version: current.version },
          });
        }
        const version = current.version + 1;
        await tx
          .insertInto('assistant_versions')
          .values({
            tenant_id: tenantId,
            assistant_id: id,
            version,
            name: draft.name,
            definition: draft.definition,
            created_at: at,
          })
          .execute();
        return tx
          .updateTable('assistants')
          .set({ name: draft.name, definition: draft.definition, version, updated_at: at })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
      });
    },
    async delete(id) {
      const r = await db
        .updateTable('assistants')
        .set({ deleted_at: nowDate(ctx) })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async version(id, version) {
      return db
        .selectFrom('assistant_versions')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('assistant_id', '=', id)
        .where('version', '=', version)
        .executeTakeFirst();
    },
    async versions(id) {
      return db
        .selectFrom('assistant_versions')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('assistant_id', '=', id)
        .orderBy('version', 'asc')
        .execute();
    },
  };
}
