import type { Transaction } from 'kysely';
import { VoiceError } from '@prx-voice/types';
import type { Id } from '@prx-voice/types';
import type { AssistantRow, AssistantVersionRow, Database } from '../schema.js';
import { decodeCursor, pageSize, toPage } from '../support.js';
import type { Page, PageOptions } from '../support.js';
import { nowDate } from './context.js';
import type { TenantContext } from './context.js';

/** An assistant's name and definition (stored as given; the API validates its shape). */
export interface AssistantDraft {
  readonly name: string;
  readonly definition: Record<string, unknown>;
  /**
   * The phone numbers (E.164) bound to it, replacing those it had; each belongs to one
   * assistant of one tenant across the instance (`CONFLICT` naming the number otherwise,
   * never the other tenant). Absent: none.
   */
  readonly phoneNumbers?: readonly string[];
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
  /** Hides the assistant and frees its phone numbers; whether it was there. */
  delete(id: Id<'assistant'>): Promise<boolean>;
  /** The assistant a phone number (E.164) is bound to, at its current version. */
  byPhoneNumber(phoneNumber: string): Promise<AssistantRow | undefined>;
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
  /**
   * Binds exactly `numbers` to the assistant; a number another assistant holds — of this
   * tenant or of another one — is a `CONFLICT` (which other tenant is not said).
   */
  async function bindNumbers(
    tx: Transaction<Database>,
    id: string,
    numbers: readonly string[] = [],
  ): Promise<void> {
    if (numbers.length > 0) {
      const taken = await tx
        .selectFrom('assistant_phone_numbers')
        .select(['phone_number', 'assistant_id'])
        .where('tenant_id', '=', tenantId)
        .where('phone_number', 'in', [...numbers])
        .where('assistant_id', '!=', id)
        .executeTakeFirst();
      if (taken !== undefined) {
        throw new VoiceError('CONFLICT', {
          message: `Phone number ${taken.phone_number} is bound to assistant ${taken.assistant_id}.`,
          details: { phone_number: taken.phone_number, assistant_id: taken.assistant_id },
        });
      }
      const elsewhere = await tx
        .selectFrom('assistant_phone_numbers')
        .select('phone_number')
        .where('tenant_id', '!=', tenantId)
        .where('phone_number', 'in', [...numbers])
        .executeTakeFirst();
      if (elsewhere !== undefined) {
        throw new VoiceError('CONFLICT', {
          message: `Phone number ${elsewhere.phone_number} belongs to another tenant; a number routes calls to one tenant only.`,
          details: { phone_number: elsewhere.phone_number, reason: 'number_in_other_tenant' },
        });
      }
    }
    await tx
      .deleteFrom('assistant_phone_numbers')
      .where('tenant_id', '=', tenantId)
      .where('assistant_id', '=', id)
      .execute();
    if (numbers.length === 0) return;
    try {
      await tx
        .insertInto('assistant_phone_numbers')
        .values(
          [...new Set(numbers)].map((phone_number) => ({
            tenant_id: tenantId,
            phone_number,
            assistant_id: id,
          })),
        )
        .execute();
    } catch (err) {
      // Another assistant (of any tenant) took one of the numbers meanwhile (unique_violation).
      if ((err as { code?: unknown }).code !== '23505') throw err;
      throw new VoiceError('CONFLICT', {
        message: 'A phone number was bound to another assistant meanwhile.',
        details: { phone_numbers: [...numbers] },
      });
    }
  }
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
        await bindNumbers(tx, id, draft.phoneNumbers);
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
        await bindNumbers(tx, id, draft.phoneNumbers);
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
      return db.transaction().execute(async (tx) => {
        const r = await tx
          .updateTable('assistants')
          .set({ deleted_at: nowDate(ctx) })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .executeTakeFirst();
        await bindNumbers(tx, id, []);
        return r.numUpdatedRows > 0n;
      });
    },
    async byPhoneNumber(phoneNumber) {
      return db
        .selectFrom('assistant_phone_numbers as p')
        .innerJoin('assistants as a', 'a.id', 'p.assistant_id')
        .selectAll('a')
        .where('p.tenant_id', '=', tenantId)
        .where('p.phone_number', '=', phoneNumber)
        .where('a.deleted_at', 'is', null)
        .executeTakeFirst();
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
