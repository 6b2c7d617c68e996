/**
 * The audit hash chain: each record's hash is SHA-256 over the previous record's hash
 * and the record's own canonical JSON (sequence number, time and every field), so
 * altering, deleting, inserting or reordering records breaks the chain at the first
 * record touched. {@link createChainWalker} walks a tenant's records in order and names
 * it — from the genesis hash, or, once retention cut the chain's start, from the signed
 * checkpoint it was cut at (the anchor).
 */
import { createHash } from 'node:crypto';
import { AUDIT_GENESIS_HASH } from '@prx-voice/storage';
import type { AuditChainInput, AuditRow } from '@prx-voice/storage';
import { canonicalJson } from './canonical-json.js';

/** The fields a record's hash commits to, named as they are stored. */
function committed(input: AuditChainInput): Record<string, unknown> {
  const r = input.record;
  return {
    seq: input.seq,
    created_at: input.createdAt.toISOString(),
    actor_type: r.actorType,
    actor_id: r.actorId ?? null,
    action: r.action,
    resource_type: r.resourceType,
    resource_id: r.resourceId ?? null,
    outcome: r.outcome,
    request_id: r.requestId ?? null,
    ip: r.ip ?? null,
    details: r.details ?? {},
  };
}

/** The hash of a record: hex SHA-256 of `prev_hash`, a newline, and its canonical JSON. */
export function auditHash(input: AuditChainInput): string {
  return createHash('sha256')
    .update(`${input.prevHash}\n${canonicalJson(committed(input))}`)
    .digest('hex');
}

/** A stored row as the hash saw it. */
function inputOfRow(row: AuditRow): AuditChainInput {
  return {
    seq: row.seq,
    prevHash: row.prev_hash,
    createdAt: row.created_at,
    record: {
      actorType: row.actor_type,
      actorId: row.actor_id,
      action: row.action,
      resourceType: row.resource_type,
      resourceId: row.resource_id,
      outcome: row.outcome as 'success' | 'denied' | 'failure',
      requestId: row.request_id,
      ip: row.ip,
      details: row.details,
    },
  };
}

/** Why a record breaks the chain. */
export type ChainBreak =
  /** A record is missing before this one (its `seq` skips ahead): one was deleted. */
  | 'missing_record'
  /** Its `prev_hash` is not the previous record's hash: records were removed or reordered. */
  | 'broken_link'
  /** Its content does not hash to its `hash`: it was altered. */
  | 'altered';

/** The first record that breaks the chain. */
export interface FirstBadRecord {
  /** The position where the chain breaks (the missing one's, for `missing_record`). */
  readonly seq: number;
  /** The stored record found there (the one after the gap, for `missing_record`). */
  readonly id: string;
  readonly reason: ChainBreak;
}

/** Walks records in `seq` order, fed page by page; see {@link createChainWalker}. */
export interface ChainWalker {
  /** Checks the next records; false once the chain broke (later records are not checked). */
  push(rows: readonly AuditRow[]): boolean;
  /** Records checked and found good (after the anchor, if any). */
  readonly verified: number;
  /** The `seq` of the last good record (the anchor's tree size before any; 0 without one). */
  readonly end: number;
  /** The hash of the last good record (the anchor's, or the genesis hash, before any). */
  readonly head: string;
  /** Hashes of the good records by `seq`, for checkpoints (only those asked for are kept). */
  hashAt(seq: number): string | undefined;
  readonly firstBad: FirstBadRecord | undefined;
}

/** Where a chain cut by retention starts: the checkpoint of the records deleted. */
export interface ChainAnchor {
  /** The records before the first one left. */
  readonly treeSize: number;
  /** The hash of the last of them. */
  readonly headHash: string;
}

/**
 * A walker over a tenant's chain from its start, or from `anchor`.
 *
 * @param keep positions whose hashes to keep (the checkpoints' tree sizes).
 * @param anchor where the chain starts when its first records were deleted: the first
 *   record expected is then `anchor.treeSize + 1`, linked to `anchor.headHash`.
 */
export function createChainWalker(
  keep: ReadonlySet<number> = new Set(),
  anchor?: ChainAnchor,
): ChainWalker {
  const start = anchor?.treeSize ?? 0;
  const startHash = anchor?.headHash ?? AUDIT_GENESIS_HASH;
  let expected = start + 1;
  let head = startHash;
  let firstBad: FirstBadRecord | undefined;
  const kept = new Map<number, string>();
  return {
    push(rows) {
      for (const row of rows) {
        if (firstBad !== undefined) return false;
        const seq = row.seq;
        if (seq !== expected) {
          firstBad = { seq: expected, id: row.id, reason: 'missing_record' };
        } else if (row.prev_hash !== head) {
          firstBad = { seq, id: row.id, reason: 'broken_link' };
        } else if (auditHash(inputOfRow(row)) !== row.hash) {
          firstBad = { seq, id: row.id, reason: 'altered' };
        } else {
          head = row.hash;
          if (keep.has(seq)) kept.set(seq, head);
          expected++;
        }
      }
      return firstBad === undefined;
    },
    get verified() {
      return expected - 1 - start;
    },
    get end() {
      return expected - 1;
    },
    get head() {
      return head;
    },
    hashAt: (seq) => (seq === start ? startHash : kept.get(seq)),
    get firstBad() {
      return firstBad;
    },
  };
}
