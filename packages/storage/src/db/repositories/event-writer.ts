/**
 * The instance-wide writer of session events: the pending events of many sessions, of
 * any tenants, stored in one statement, a taken position skipped rather than failing
 * the others, and what is stored at each skipped position told back.
 */
import { VoiceError } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { storageError } from '../support.js';
import type { RepoContext } from './context.js';
import { sessionEventValues } from './events.js';
import type { NewSessionEvent } from './events.js';

/** Most rows one {@link SessionEventWriter.appendMany} takes (PostgreSQL allows 65 535 parameters, 10 a row). */
export const MAX_EVENT_ROWS_PER_WRITE = 6000;

/** An event to store with the tenant it belongs to. */
export interface TenantSessionEvent extends NewSessionEvent {
  readonly tenantId: TenantId;
}

/** A row {@link SessionEventWriter.appendMany} did not insert: its position was taken. */
export interface SkippedSessionEvent {
  readonly tenantId: TenantId;
  readonly sessionId: SessionId;
  readonly seq: number;
  /** The id of the event given. */
  readonly id: string;
  /**
   * The id of the event stored at `(tenant, session, seq)`: the same as `id` when this
   * event was stored before (a retry meeting its own committed write), another when a
   * different event holds the position, `null` when none does (the event id is taken
   * elsewhere).
   */
  readonly storedId: string | null;
}

/** What one {@link SessionEventWriter.appendMany} did. */
export interface AppendManyResult {
  /** How many of the rows were inserted. */
  readonly inserted: number;
  /** The rows not inserted, in the order given. */
  readonly skipped: readonly SkippedSessionEvent[];
}

/** Stores session events of any tenants in one statement (each row names its tenant). */
export interface SessionEventWriter {
  /**
   * Inserts every row whose `(tenant, session, seq)` and event id are free, in one
   * statement; a row whose position or id is taken is skipped, never failing the others,
   * and returned with what is stored at its position. The statement fails as a whole
   * only when the database does (`STORAGE_UNAVAILABLE`) or a row is invalid (e.g. its
   * session does not exist: `SESSION_NOT_FOUND`). At most {@link MAX_EVENT_ROWS_PER_WRITE}
   * rows (`VALIDATION_FAILED` otherwise).
   */
  appendMany(rows: readonly TenantSessionEvent[]): Promise<AppendManyResult>;
}

const keyOf = (tenantId: string, sessionId: string, seq: number | string): string =>
  `${tenantId}\u0000${sessionId}\u0000${String(seq)}`;

/** Creates the cross-tenant event writer. */
export function sessionEventWriter(ctx: RepoContext): SessionEventWriter {
  const { db } = ctx;
  return {
    async appendMany(rows) {
      if (rows.length === 0) return { inserted: 0, skipped: [] };
      if (rows.length > MAX_EVENT_ROWS_PER_WRITE) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `at most ${MAX_EVENT_ROWS_PER_WRITE} events a write, got ${rows.length}`,
          details: { field: 'rows' },
        });
      }
      // One order for every writer: two instances writing the same sessions at once
      // (a fenced one and its successor) wait on each other instead of deadlocking.
      const ordered = [...rows].sort(
        (a, b) =>
          cmp(a.tenantId, b.tenantId) || cmp(a.sessionId, b.sessionId) || a.seq - b.seq,
      );
      try {
        const inserted = await db
          .insertInto('session_events')
          .values(ordered.map((e) => sessionEventValues(e.tenantId, e)))
          .onConflict((oc) => oc.doNothing())
          .returning(['tenant_id', 'session_id', 'seq'])
          .execute();
        if (inserted.length === rows.length) return { inserted: inserted.length, skipped: [] };
        const done = new Set(inserted.map((r) => keyOf(r.tenant_id, r.session_id, r.seq)));
        const missing = rows.filter((r) => !done.has(keyOf(r.tenantId, r.sessionId, r.seq)));
        // A statement of its own: it sees what a concurrent writer committed meanwhile.
        const stored = await db
          .selectFrom('session_events')
          .select(['tenant_id', 'session_id', 'seq', 'id'])
          .where((eb) =>
            eb(
              eb.refTuple('tenant_id', 'session_id', 'seq'),
              'in',
              missing.map((m) => eb.tuple(m.tenantId, m.sessionId, m.seq)),
            ),
          )
          .execute();
        const storedIds = new Map(stored.map((r) => [keyOf(r.tenant_id, r.session_id, r.seq), r.id]));
        return {
          inserted: inserted.length,
          skipped: missing.map((m) => ({
            tenantId: m.tenantId,
            sessionId: m.sessionId,
            seq: m.seq,
            id: m.id,
            storedId: storedIds.get(keyOf(m.tenantId, m.sessionId, m.seq)) ?? null,
          })),
        };
      } catch (err) {
        throw storageError(
          err,
          'session events',
          new VoiceError('SESSION_NOT_FOUND', {
            message: 'session events: a session of the write does not exist',
            cause: err,
          }),
        );
      }
    },
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
