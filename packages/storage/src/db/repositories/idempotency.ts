import { VoiceError } from '@prx-voice/types';
import { isUniqueViolation, storageError } from '../support.js';
import { nowDate } from './context.js';
import type { TenantContext } from './context.js';

/** What beginning an idempotent request found. */
export type IdempotencyBegin =
  /** First use of the key: the caller does the work, then `complete`s (or `abandon`s). */
  | { readonly kind: 'started' }
  /** The same request was done before: send its stored response again. */
  | { readonly kind: 'replay'; readonly statusCode: number; readonly response: unknown }
  /** The key was used with a different request body. */
  | { readonly kind: 'conflict' }
  /** The first request with this key is still being processed. */
  | { readonly kind: 'in_progress' };

/** Identifies one idempotent request. */
export interface IdempotencyKeyRef {
  /** What the key is for, e.g. `POST /sessions`: keys are unique per tenant and scope. */
  readonly scope: string;
  readonly key: string;
}

/** A tenant's stored idempotent responses. */
export interface IdempotencyRepository {
  begin(
    ref: IdempotencyKeyRef & { readonly requestHash: string; readonly ttlMs: number },
  ): Promise<IdempotencyBegin>;
  complete(
    ref: IdempotencyKeyRef & { readonly statusCode: number; readonly response: unknown },
  ): Promise<void>;
  /** Forgets an unfinished request (it failed), so the client may retry with the same key. */
  abandon(ref: IdempotencyKeyRef): Promise<void>;
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
              expires_at: new Date(at.getTime() + ref.ttlMs),
            })
            .execute();
          return { kind: 'started' };
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
        return { kind: 'in_progress' };
      }
      throw new VoiceError('CONFLICT', { message: `idempotency key ${ref.key} is contended` });
    },
    async complete(ref) {
      await db
        .updateTable('idempotency_records')
        .set({
          state: 'completed',
          status_code: ref.statusCode,
          response: JSON.parse(JSON.stringify(ref.response ?? null)) as unknown,
        })
        .where('tenant_id', '=', tenantId)
        .where('scope', '=', ref.scope)
        .where('key', '=', ref.key)
        .execute();
    },
    async abandon(ref) {
      await db
        .deleteFrom('idempotency_records')
        .where('tenant_id', '=', tenantId)
        .where('scope', '=', ref.scope)
        .where('key', '=', ref.key)
        .where('state', '=', 'in_progress')
        .execute();
    },
  };
}
