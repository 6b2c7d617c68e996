import type { SubjectKeyRow } from '../schema.js';
import { nowDate } from './context.js';
import type { TenantContext } from './context.js';

/**
 * A tenant's data-subject keys: one wrapped data key per subject reference, created
 * once (the first writer wins). Erasing deletes the key, so what it sealed can never be
 * opened again; a later session of the same subject gets a new key.
 */
export interface SubjectKeyRepository {
  /** The subject's key row, if it has one. */
  get(subjectRef: string): Promise<SubjectKeyRow | undefined>;
  /**
   * Stores `wrappedKey` for a subject that has no key yet and returns the row that is
   * stored: the existing one if another writer got there first.
   */
  ensure(subjectRef: string, wrappedKey: string): Promise<SubjectKeyRow>;
  /** Deletes the subject's key; whether there was one. */
  erase(subjectRef: string): Promise<boolean>;
  /**
   * Erases what sessions stored of what was said (a subject's erasure): their turns'
   * texts are cleared, their events deleted (unless `keepEvents`: their subject's content
   * is sealed, and shredded with its key), their metadata emptied. The rows stay, so
   * counts and billing still add up.
   */
  scrubSessions(
    sessionIds: readonly string[],
    opts?: { readonly keepEvents?: boolean },
  ): Promise<{ turns: number; events: number }>;
}

/** Creates a tenant's subject-key repository. */
export function subjectKeyRepository(ctx: TenantContext): SubjectKeyRepository {
  const { db, tenantId } = ctx;
  const get = (subjectRef: string): Promise<SubjectKeyRow | undefined> =>
    db
      .selectFrom('subject_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('subject_ref', '=', subjectRef)
      .executeTakeFirst();
  return {
    get,
    async ensure(subjectRef, wrappedKey) {
      await db
        .insertInto('subject_keys')
        .values({
          tenant_id: tenantId,
          subject_ref: subjectRef,
          wrapped_key: wrappedKey,
          created_at: nowDate(ctx),
        })
        .onConflict((oc) => oc.columns(['tenant_id', 'subject_ref']).doNothing())
        .execute();
      const row = await get(subjectRef);
      if (row === undefined) throw new Error(`subject key ${subjectRef} vanished after insert`);
      return row;
    },
    async erase(subjectRef) {
      const r = await db
        .deleteFrom('subject_keys')
        .where('tenant_id', '=', tenantId)
        .where('subject_ref', '=', subjectRef)
        .executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
    async scrubSessions(sessionIds, opts = {}) {
      if (sessionIds.length === 0) return { turns: 0, events: 0 };
      return db.transaction().execute(async (tx) => {
        const turns = await tx
          .updateTable('turns')
          .set({ user_text: null, assistant_text: null, assistant_text_generated: null })
          .where('tenant_id', '=', tenantId)
          .where('session_id', 'in', sessionIds)
          .executeTakeFirst();
        const events =
          opts.keepEvents === true
            ? { numDeletedRows: 0n }
            : await tx
                .deleteFrom('session_events')
                .where('tenant_id', '=', tenantId)
                .where('session_id', 'in', sessionIds)
                .executeTakeFirst();
        await tx
          .updateTable('sessions')
          .set({ metadata: {} })
          .where('tenant_id', '=', tenantId)
          .where('id', 'in', sessionIds)
          .execute();
        return { turns: Number(turns.numUpdatedRows), events: Number(events.numDeletedRows) };
      });
    },
  };
}
