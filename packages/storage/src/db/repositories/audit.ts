import { VoiceError } from '@prx-voice/types';
import type { AuditCheckpointRow, AuditRow } from '../schema.js';
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
  /** In chain order; optionally only one action's, or one actor's, or from a time on. */
  list(opts?: AuditListOptions): Promise<Page<AuditRow>>;
  /** The newest record, if any. */
  last(): Promise<AuditRow | undefined>;
  /** The record at `seq`, if any. */
  at(seq: number): Promise<AuditRow | undefined>;
  /** Stores a checkpoint; one per tree size (a second of the same size is ignored: false). */
  addCheckpoint(checkpoint: NewAuditCheckpoint): Promise<boolean>;
  /** Checkpoints, smallest tree first (optionally only those of at most `through` records). */
  checkpoints(opts?: AuditCheckpointListOptions): Promise<Page<AuditCheckpointRow>>;
  /** The checkpoint of the largest tree, if any. */
  lastCheckpoint(): Promise<AuditCheckpointRow | undefined>;
  /** The oldest record still stored (seq 1 unless retention cut the chain), if any. */
  first(): Promise<AuditRow | undefined>;
  /**
   * Where retention may cut the chain: the newest checkpoint all of whose records were
   * created before `createdBefore` (its tree size is below the first record created at or
   * after it), of at most `maxTreeSize` records.
   */
  anchorBefore(opts: {
    readonly createdBefore: Date;
    readonly maxTreeSize?: number;
  }): Promise<AuditCheckpointRow | undefined>;
  /**
   * Deletes the records up to `seq` and the checkpoints of fewer records, at once — only
   * when a checkpoint of exactly `seq` records is stored: it stays, the signed anchor the
   * remaining chain verifies from. The number of records deleted (0 without that checkpoint).
   */
  deleteThrough(seq: number): Promise<number>;
}

/** Options of {@link AuditRepository.checkpoints}. */
export interface AuditCheckpointListOptions extends PageOptions {
  /** Only checkpoints of at most this many records. */
  readonly through?: number;
}

/** Filters of {@link AuditRepository.list}. */
export interface AuditListOptions extends PageOptions {
  readonly action?: string;
  readonly actorId?: string;
  readonly outcome?: string;
  /** Records created at or after this. */
  readonly since?: Date;
  /** Records created before this. */
  readonly until?: Date;
}

/** A checkpoint of a tenant's chain. */
export interface NewAuditCheckpoint {
  readonly treeSize: number;
  readonly headHash: string;
  /** The signed note. */
  readonly note: string;
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
      if (opts?.action !== undefined) q = q.where('action', '=', opts.action);
      if (opts?.actorId !== undefined) q = q.where('actor_id', '=', opts.actorId);
      if (opts?.outcome !== undefined) q = q.where('outcome', '=', opts.outcome);
      if (opts?.since !== undefined) q = q.where('created_at', '>=', opts.since);
      if (opts?.until !== undefined) q = q.where('created_at', '<', opts.until);
      return toPage(await q.execute(), limit, (r) => r.seq);
    },
    last,
    at: (seq) =>
      db
        .selectFrom('audit_records')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('seq', '=', seq)
        .executeTakeFirst(),
    async addCheckpoint(cp) {
      const rows = await db
        .insertInto('audit_checkpoints')
        .values({
          tenant_id: tenantId,
          tree_size: cp.treeSize,
          head_hash: cp.headHash,
          note: cp.note,
          created_at: nowDate(ctx),
        })
        .onConflict((oc) => oc.columns(['tenant_id', 'tree_size']).doNothing())
        .returning('tree_size')
        .execute();
      return rows.length > 0;
    },
    async checkpoints(opts) {
      const limit = pageSize(opts);
      let q = db
        .selectFrom('audit_checkpoints')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('tree_size', 'asc')
        .limit(limit + 1);
      if (opts?.cursor != null) q = q.where('tree_size', '>', decodeCursor(opts.cursor, 'number'));
      if (opts?.through !== undefined) q = q.where('tree_size', '<=', opts.through);
      return toPage(await q.execute(), limit, (r) => r.tree_size);
    },
    lastCheckpoint: () =>
      db
        .selectFrom('audit_checkpoints')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('tree_size', 'desc')
        .limit(1)
        .executeTakeFirst(),
    first: () =>
      db
        .selectFrom('audit_records')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('seq', 'asc')
        .limit(1)
        .executeTakeFirst(),
    async anchorBefore({ createdBefore, maxTreeSize }) {
      // Walks the oldest records only (seq order), never the whole chain.
      const young = await db
        .selectFrom('audit_records')
        .select('seq')
        .where('tenant_id', '=', tenantId)
        .where('created_at', '>=', createdBefore)
        .orderBy('seq', 'asc')
        .limit(1)
        .executeTakeFirst();
      let q = db
        .selectFrom('audit_checkpoints')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('tree_size', 'desc')
        .limit(1);
      if (young !== undefined) q = q.where('tree_size', '<', young.seq);
      if (maxTreeSize !== undefined) q = q.where('tree_size', '<=', maxTreeSize);
      return q.executeTakeFirst();
    },
    deleteThrough: (seq) =>
      db.transaction().execute(async (tx) => {
        const anchor = await tx
          .selectFrom('audit_checkpoints')
          .select('tree_size')
          .where('tenant_id', '=', tenantId)
          .where('tree_size', '=', seq)
          .executeTakeFirst();
        if (anchor === undefined) return 0;
        const records = await tx
          .deleteFrom('audit_records')
          .where('tenant_id', '=', tenantId)
          .where('seq', '<=', seq)
          .executeTakeFirst();
        await tx
          .deleteFrom('audit_checkpoints')
          .where('tenant_id', '=', tenantId)
          .where('tree_size', '<', seq)
          .execute();
        return Number(records.numDeletedRows);
      }),
  };
}
