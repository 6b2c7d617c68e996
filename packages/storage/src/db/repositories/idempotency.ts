import { VoiceError } from '@prx-voice/types';
import { isUniqueViolation, storageError } from '../support.js';
import { nowDate } from './context.js';
import type { TenantContext } from './context.js';

/** What beginning an idempotent request found. */
export type IdempotencyBegin =
  /**
   * First use of the key, or a take-over of one whose request's lease ran out: the caller does
   * the work, then `complete`s (or `abandon`s) with `lockedUntil`, the end of its lease (absent
   * without `lockMs`).
   */
  | { readonly kind: 'started'; readonly lockedUntil?: Date }
  /** The same request was done before: send its stored response again. */
  | { readonly kind: 'replay'; readonly statusCode: number; readonly response: unknown }
  /** The key was used with a different request body. */
  | { readonly kind: 'conflict' }
  /** The first request with this key is still being processed (its lease has not run out). */
  | { readonly kind: 'in_progress' };

/** Identifies one idempotent request. */
export interface IdempotencyKeyRef {
  /** What the key is for, e.g. `POST /sessions`: keys are unique per tenant and scope. */
  readonly scope: string;
  readonly key: string;
}

/** A tenant's stored idempotent responses. */
export interface IdempotencyRepository {
  /**
   * Claims the key for a request: `ttlMs` is how long the record is kept, `lockMs` how long
   * the request holds the key while in progress (absent: until the record expires). A retry
   * with the same body after the lease ran out takes the key over.
   */
  begin(
    ref: IdempotencyKeyRef & {
      readonly requestHash: string;
      readonly ttlMs: number;
      readonly lockMs?: number | undefined;
    },
  ): Promise<IdempotencyBegin>;
  /**
   * Stores the response. With `lockedUntil` (what `begin` returned), only that attempt's: one
   * whose key was taken over stores nothing.
   */
  complete(
    ref: IdempotencyKeyRef & {
      readonly lockedUntil?: Date | undefined;
      readonly statusCode: number;
      readonly response: unknown;
    },
  ): Promise<void>;
  /**
   * Forgets an unfinished request (it failed), so the client may retry with the same key; with
   * `lockedUntil`, only that attempt.
   */
  abandon(ref: IdempotencyKeyRef & { readonly lockedUntil?: Date | undefined }): Promise<void>;
}

/** Creates a tenant's idempotency repository. */
export function idempotencyRepository(ctx: TenantContext): IdempotencyRepository {
  const { db, tenantId } = ctx;
  const find = (ref: IdempotencyKeyRef) =>
    db
      .selectFrom('idempotency_records')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('scope', '=', ref.scope)
      .where('key', '=', ref.key)
      .executeTakeFirst();
  return {
    async begin(ref) {
      if (ref.key.length === 0 || ref.key.length > 255) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: 'Idempotency-Key must be 1–255 characters',
          details: { field: 'Idempotency-Key' },
        });
      }
      const at = nowDate(ctx);
      const expiresAt = new Date(at.getTime() + ref.ttlMs);
      const lockedUntil = ref.lockMs === undefined ? null : new Date(at.getTime() + ref.lockMs);
      const started: IdempotencyBegin =
        lockedUntil === null ? { kind: 'started' } : { kind: 'started', lockedUntil };
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await db
            .insertInto('idempotency_records')
            .values({
              tenant_id: tenantId,
              scope: ref.scope,
              key: ref.key,
              request_hash: ref.requestHash,
              state: 'in_progress',
              created_at: at,
              expires_at: expiresAt,
              locked_until: lockedUntil,
            })
            .execute();
          return started;
        } catch (err) {
          if (!isUniqueViolation(err)) throw storageError(err, 'idempotency record');
        }
        const existing = await find(ref);
        if (existing === undefined) continue; // removed meanwhile: try again
        if (existing.expires_at.getTime() <= at.getTime()) {
          // An expired record is as good as none: drop exactly that one and try again.
          await db
            .deleteFrom('idempotency_records')
            .where('tenant_id', '=', tenantId)
            .where('scope', '=', ref.scope)
            .where('key', '=', ref.key)
            .where('expires_at', '=', existing.expires_at)
            .execute();
          continue;
        }
        if (existing.request_hash !== ref.requestHash) return { kind: 'conflict' };
        if (existing.state === 'completed' && existing.status_code !== null) {
          return { kind: 'replay', statusCode: existing.status_code, response: existing.response };
        }
        const held = existing.locked_until;
        if (held === null || held.getTime() > at.getTime()) return { kind: 'in_progress' };
        // Its request's lease ran out (the process died): take the key over, exactly that attempt.
        const taken = await db
          .updateTable('idempotency_records')
          .set({ created_at: at, expires_at: expiresAt, locked_until: lockedUntil })
          .where('tenant_id', '=', tenantId)
          .where('scope', '=', ref.scope)
          .where('key', '=', ref.key)
          .where('state', '=', 'in_progress')
          .where('locked_until', '=', held)
          .executeTakeFirst();
        if (taken.numUpdatedRows > 0n) return started;
      }
      throw new VoiceError('CONFLICT', { message: `idempotency key ${ref.key} is contended` });
    },
    async complete(ref) {
      let update = db
        .updateTable('idempotency_records')
        .set({
          state: 'completed',
          status_code: ref.statusCode,
          response: JSON.parse(JSON.stringify(ref.response ?? null)) as unknown,
        })
        .where('tenant_id', '=', tenantId)
        .where('scope', '=', ref.scope)
        .where('key', '=', ref.key);
      if (ref.lockedUntil !== undefined)
        update = update
          .where('state', '=', 'in_progress')
          .where('locked_until', '=', ref.lockedUntil);
      await update.execute();
    },
    async abandon(ref) {
      let remove = db
        .deleteFrom('idempotency_records')
        .where('tenant_id', '=', tenantId)
        .where('scope', '=', ref.scope)
        .where('key', '=', ref.key)
        .where('state', '=', 'in_progress');
      if (ref.lockedUntil !== undefined)
        remove = remove.where('locked_until', '=', ref.lockedUntil);
      await remove.execute();
    },
  };
}
