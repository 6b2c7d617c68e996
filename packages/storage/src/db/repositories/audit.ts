import { VoiceError } from '@prx-voice/types';
import type { AuditRow } from '../schema.js';
import { decodeCursor, isUniqueViolation, pageSize, storageError, toPage } from '../support.js';
import type { Page, PageOptions } from '../support.js';
import { nowDate } from './context.js';
import type { TenantContext } from './context.js';

/** An audit record before it is chained. */
export interface NewAuditRecord {
  readonly actorType: string;
  readonly actorId?: string | null;
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId?: string | null;
  readonly outcome: 'success' | 'denied' | 'failure';
  readonly requestId?: string | null;
  readonly ip?: string | null;
  readonly details?: Record<string, unknown>;
}

/** What the chain hash of a record is computed over. */
export interface AuditChainInput {
  readonly seq: number;
  readonly prevHash: string;
  readonly createdAt: Date;
  readonly record: NewAuditRecord;
}

/** The hash of the empty chain, before the first record. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** A tenant's append-only audit log. */
export interface AuditRepository {
  /**
   * Appends a record at the end of the tenant's chain: `seq` is the previous
   * record's + 1 and `hash = hasher(...)` over the previous hash. Concurrent
   * appends never fork the chain (a lost race retries on the new tail).
   */
  append(record: NewAuditRecord, hasher: (input: AuditChainInput) => string): Promise<AuditRow>;
  /** In chain order. */
  list(opts?: PageOptions): Promise<Page<AuditRow>>;
  /** The newest record, if any. */
  last(): Promise<AuditRow | undefined>;
}

/** Creates a tenant's audit repository. */
export function auditRepository(ctx: TenantContext): AuditRepository {
  const { db, tenantId } = ctx;
  const last = () =>
    db
      .selectFrom('audit_records')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
  return {
    async append(record, hasher) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const tail = await last();
        const seq = (tail?.seq ?? 0) + 1;
        const prevHash = tail?.hash ?? AUDIT_GENESIS_HASH;
        const createdAt = nowDate(ctx);
        const hash = hasher({ seq, prevHash, createdAt, record });
        try {
          return await db
            .insertInto('audit_records')
            .values({
              id: ctx.ids.next('audit'),
              tenant_id: tenantId,
              seq,
              actor_type: record.actorType,
              actor_id: record.actorId ?? null,
              action: record.action,
              resource_type: record.resourceType,
              resource_id: record.resourceId ?? null,
              outcome: record.outcome,
              request_id: record.requestId ?? null,
              ip: record.ip ?? null,
              details: record.details ?? {},
              prev_hash: prevHash,
              hash,
              created_at: createdAt,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
        } catch (err) {
          if (!isUniqueViolation(err)) throw storageError(err, 'audit record');
        }
      }
      throw new VoiceError('CONFLICT', { message: 'the audit chain is too contended to append' });
    },
    async list(opts) {
      const limit = pageSize(opts);
      let q = db
        .selectFrom('audit_records')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('seq', 'asc')
        .limit(limit + 1);
      if (opts?.cursor != null) q = q.where('seq', '>', decodeCursor(opts.cursor, 'number'));
      return toPage(await q.execute(), limit, (r) => r.seq);
    },
    last,
  };
}
