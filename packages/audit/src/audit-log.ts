/**
 * A server's audit log: records appended to each tenant's hash chain, checkpoints of
 * the chains signed as notes (after every `checkpointEvery` records of a tenant, and
 * periodically for tenants with newer records), verification of a tenant's whole
 * chain and every checkpoint, and retention: the chain's oldest records deleted up to a
 * signed checkpoint (the anchor), which verification then starts from.
 */
import type { Clock, TimerHandle } from '@prx-voice/core';
import type {
  AuditCheckpointRow,
  AuditRow,
  NewAuditRecord,
  Repositories,
} from '@prx-voice/storage';
import type { TenantId } from '@prx-voice/types';
import { auditHash, createChainWalker } from './chain.js';
import type { FirstBadRecord } from './chain.js';
import { verifyCheckpointNote } from './checkpoint.js';
import type { CheckpointSigner } from './checkpoint.js';

/** Options of {@link createAuditLog}. */
export interface AuditLogOptions {
  readonly repos: Pick<Repositories, 'forTenant'>;
  readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** Signs checkpoints; without one, no checkpoints are taken. */
  readonly signer?: CheckpointSigner;
  /** A checkpoint after this many records of a tenant (default 100). */
  readonly checkpointEvery?: number;
  /** How often tenants with records since their last checkpoint get one, ms (default 60 s). */
  readonly checkpointIntervalMs?: number;
  /** Failures of background checkpoints. */
  readonly onError?: (error: unknown, context: string) => void;
}

/** A checkpoint that does not hold. */
export interface BadCheckpoint {
  readonly tree_size: number;
  readonly reason:
    'bad_signature' | 'note_mismatch' | 'head_mismatch' | 'truncated' | 'unverifiable';
}

/** The signed checkpoint a chain cut by retention starts from. */
export interface AuditAnchor {
  /** The records deleted before the first one left. */
  readonly tree_size: number;
  /** The hash of the last of them, which the first record left links to. */
  readonly head: string;
}

/** The outcome of {@link AuditLog.verify}. */
export interface AuditVerification {
  /** The chain and every checkpoint hold. */
  readonly ok: boolean;
  /** Records checked and found good, from the first (stored: after the anchor, if any). */
  readonly records: number;
  /** The hash of the last good record. */
  readonly head: string;
  /** The first record that breaks the chain. */
  readonly first_bad_record?: FirstBadRecord;
  readonly checkpoints: {
    readonly checked: number;
    readonly first_bad?: BadCheckpoint;
  };
  /** The key the checkpoints were checked with. */
  readonly verifier_key?: string;
  /**
   * Where the chain starts when retention deleted its first records: the checkpoint of
   * those, whose signature is checked and whose head the first record left links to.
   */
  readonly anchor?: AuditAnchor;
}

/**
 * The outcome of {@link AuditLog.expire}: the chain cut at an anchor, or kept whole —
 * `unsigned`: no signer, so no anchor could be proven; `no_anchor`: no signed checkpoint
 * of records all older than the cutoff (past the current anchor, short of the head);
 * `unverified`: the records that would go, or their checkpoints, do not verify (they are
 * kept as evidence; `verify` names what).
 */
export type AuditExpiry =
  | { readonly kind: 'cut'; readonly deleted: number; readonly anchor: AuditAnchor }
  | { readonly kind: 'kept'; readonly reason: 'unsigned' | 'no_anchor' | 'unverified' };

/** The audit log of a server. */
export interface AuditLog {
  /** Appends a record to the tenant's chain (checkpointing when it is the Nth). */
  record(tenantId: TenantId, record: NewAuditRecord): Promise<AuditRow>;
  /** Checkpoints the tenant's chain at its head now (nothing without a signer or records). */
  checkpoint(tenantId: TenantId): Promise<AuditCheckpointRow | undefined>;
  /** Recomputes the tenant's chain (from its anchor, if cut) and checks every checkpoint. */
  verify(tenantId: TenantId): Promise<AuditVerification>;
  /**
   * Deletes the tenant's records created before `before` up to the newest signed checkpoint
   * of records all that old (the anchor; never the newest record), once they and their
   * checkpoints verify; checkpoints below the anchor go with them. Nothing without a signer.
   */
  expire(tenantId: TenantId, before: Date): Promise<AuditExpiry>;
  /** `<name>+<key id>+<key>` of the checkpoint signer, if any. */
  readonly verifierKey: string | undefined;
  /** Starts the periodic checkpoints. */
  start(): void;
  /** Stops them, after a last pass. */
  stop(): Promise<void>;
}

/** The origin line of a tenant's checkpoints. */
export function auditOrigin(tenantId: string): string {
  return `prx-voice/audit/${tenantId}`;
}

const PAGE = 200;

/**
 * Creates the audit log.
 *
 * @example
 * const audit = createAuditLog({ repos, clock, signer });
 * await audit.record(tenantId, { actorType: 'api_key', actorId: 'key_1', action: 'api_key.create',
 *   resourceType: 'api_key', resourceId: 'key_2', outcome: 'success' });
 * (await audit.verify(tenantId)).ok; // true
 */
export function createAuditLog(o: AuditLogOptions): AuditLog {
  const every = o.checkpointEvery ?? 100;
  const intervalMs = o.checkpointIntervalMs ?? 60_000;
  /** Tenants with records since their last checkpoint (by this instance). */
  const dirty = new Set<TenantId>();
  let timer: TimerHandle | undefined;
  let running = false;

  async function checkpointAt(
    tenantId: TenantId,
    row: AuditRow,
  ): Promise<AuditCheckpointRow | undefined> {
    if (o.signer === undefined) return undefined;
    const t = o.repos.forTenant(tenantId);
    const treeSize = row.seq;
    const note = o.signer.sign({ origin: auditOrigin(tenantId), treeSize, headHash: row.hash });
    await t.audit.addCheckpoint({ treeSize, headHash: row.hash, note });
    return (await t.audit.lastCheckpoint()) ?? undefined;
  }

  async function pass(): Promise<void> {
    for (const tenantId of [...dirty]) {
      dirty.delete(tenantId);
      try {
        const last = await o.repos.forTenant(tenantId).audit.last();
        if (last !== undefined) await checkpointAt(tenantId, last);
      } catch (err) {
        dirty.add(tenantId);
        o.onError?.(err, `audit checkpoint of ${tenantId}`);
      }
    }
  }

  const tick = (): void => {
    timer = undefined;
    void pass().finally(() => {
      if (running) timer = o.clock.setTimeout(tick, intervalMs);
    });
  };

  async function allCheckpoints(
    tenantId: TenantId,
    through?: number,
  ): Promise<AuditCheckpointRow[]> {
    const all: AuditCheckpointRow[] = [];
    let cursor: string | undefined;
    do {
      const page = await o.repos.forTenant(tenantId).audit.checkpoints({
        limit: PAGE,
        ...(cursor === undefined ? {} : { cursor }),
        ...(through === undefined ? {} : { through }),
      });
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return all;
  }

  /** Verifies the tenant's chain from its first stored record, up to `through` if given. */
  async function check(tenantId: TenantId, through?: number): Promise<AuditVerification> {
    const upTo = through ?? Number.POSITIVE_INFINITY;
    const checkpoints = await allCheckpoints(tenantId, through);
    const audit = o.repos.forTenant(tenantId).audit;
    const list = (cursor?: string) =>
      audit.list({ limit: PAGE, ...(cursor === undefined ? {} : { cursor }) });
    let page = await list();
    // A chain whose start was cut begins at the checkpoint of the records before its
    // first; without one, the walk from genesis names that first record as missing.
    const first = page.items[0]?.seq ?? 1;
    const anchor = first > 1 ? checkpoints.find((c) => c.tree_size === first - 1) : undefined;
    const chain = createChainWalker(
      new Set(checkpoints.map((c) => c.tree_size)),
      anchor === undefined ? undefined : { treeSize: anchor.tree_size, headHash: anchor.head_hash },
    );
    for (;;) {
      const rows = page.items.filter((r) => r.seq <= upTo);
      if (!chain.push(rows) || rows.length < page.items.length || page.nextCursor === null) break;
      page = await list(page.nextCursor);
    }

    let badCheckpoint: BadCheckpoint | undefined;
    let checked = 0;
    for (const cp of checkpoints) {
      const treeSize = cp.tree_size;
      const fail = (reason: BadCheckpoint['reason']): void => {
        badCheckpoint ??= { tree_size: treeSize, reason };
      };
      if (badCheckpoint !== undefined) break;
      checked++;
      if (o.signer === undefined) {
        fail('unverifiable');
        break;
      }
      const note = verifyCheckpointNote(cp.note, o.signer.verifierKey);
      if (!note.ok) fail('bad_signature');
      else if (
        note.checkpoint.treeSize !== treeSize ||
        note.checkpoint.headHash !== cp.head_hash ||
        note.checkpoint.origin !== auditOrigin(tenantId)
      )
        fail('note_mismatch');
      else if (chain.firstBad === undefined && treeSize > chain.end) fail('truncated');
      else {
        // Past a broken record nothing can be compared; the record is the finding. Below
        // the anchor (checkpoints of deleted records) only the signature can be checked.
        const hash = chain.hashAt(treeSize);
        if (hash !== undefined && hash !== cp.head_hash) fail('head_mismatch');
      }
    }
    const firstBad = chain.firstBad;
    return {
      ok: firstBad === undefined && badCheckpoint === undefined,
      records: chain.verified,
      head: chain.head,
      ...(firstBad === undefined ? {} : { first_bad_record: firstBad }),
      checkpoints: {
        checked,
        ...(badCheckpoint === undefined ? {} : { first_bad: badCheckpoint }),
      },
      ...(o.signer === undefined ? {} : { verifier_key: o.signer.verifierKey }),
      ...(anchor === undefined
        ? {}
        : { anchor: { tree_size: anchor.tree_size, head: anchor.head_hash } }),
    };
  }

  return {
    async record(tenantId, record) {
      const row = await o.repos.forTenant(tenantId).audit.append(record, auditHash);
      if (o.signer !== undefined) {
        if (row.seq % every === 0) {
          await checkpointAt(tenantId, row);
          dirty.delete(tenantId);
        } else dirty.add(tenantId);
      }
      return row;
    },
    async checkpoint(tenantId) {
      const last = await o.repos.forTenant(tenantId).audit.last();
      return last === undefined ? undefined : checkpointAt(tenantId, last);
    },
    verify: (tenantId) => check(tenantId),
    async expire(tenantId, before) {
      if (o.signer === undefined) return { kind: 'kept', reason: 'unsigned' };
      const audit = o.repos.forTenant(tenantId).audit;
      const first = await audit.first();
      const last = await audit.last();
      if (first === undefined || last === undefined) return { kind: 'kept', reason: 'no_anchor' };
      // The head record stays, so the chain goes on from it and always has a start.
      const cp = await audit.anchorBefore({ createdBefore: before, maxTreeSize: last.seq - 1 });
      if (cp === undefined || cp.tree_size < first.seq)
        return { kind: 'kept', reason: 'no_anchor' };
      // What is about to go must hold up to the anchor: retention never deletes evidence.
      const held = await check(tenantId, cp.tree_size);
      if (!held.ok || held.head !== cp.head_hash) return { kind: 'kept', reason: 'unverified' };
      const deleted = await audit.deleteThrough(cp.tree_size);
      return { kind: 'cut', deleted, anchor: { tree_size: cp.tree_size, head: cp.head_hash } };
    },
    verifierKey: o.signer?.verifierKey,
    start() {
      if (running || o.signer === undefined) return;
      running = true;
      timer = o.clock.setTimeout(tick, intervalMs);
    },
    async stop() {
      running = false;
      if (timer !== undefined) o.clock.clearTimeout(timer);
      timer = undefined;
      await pass();
    },
  };
}
