/**
 * The instance-wide writer of session events: the pending events of many sessions, of
 * any tenants, stored in one statement — all or nothing per session, one session's clash
 * never failing the others — and what is stored at each position not written told back.
 */
import { VoiceError } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { sql } from 'kysely';
import { storageError } from '../support.js';
import type { RepoContext } from './context.js';
import type { NewSessionEvent } from './events.js';

/** Most rows one {@link SessionEventWriter.appendMany} takes. */
export const MAX_EVENT_ROWS_PER_WRITE = 6000;

/** An event to store with the tenant it belongs to. */
export interface TenantSessionEvent extends NewSessionEvent {
  readonly tenantId: TenantId;
}

/** A row {@link SessionEventWriter.appendMany} did not store. */
export interface SkippedSessionEvent {
  readonly tenantId: TenantId;
  readonly sessionId: SessionId;
  readonly seq: number;
  /** The id of the event given. */
  readonly id: string;
  /**
   * The id of the event stored at `(tenant, session, seq)`: the same as `id` when this
   * event was stored before (a retry meeting its own committed write), another when a
   * different event holds the position, `null` when none does (the session's rows were
   * held back because another of them clashed, or the event id is taken elsewhere).
   */
  readonly storedId: string | null;
}

/** What one {@link SessionEventWriter.appendMany} did. */
export interface AppendManyResult {
  /** How many of the rows were inserted. */
  readonly inserted: number;
  /** The rows not inserted by this call, in the order given. */
  readonly skipped: readonly SkippedSessionEvent[];
}

/** Stores session events of any tenants in one statement (each row names its tenant). */
export interface SessionEventWriter {
  /**
   * Inserts the rows in one statement, all or nothing per session: a session whose rows
   * meet another event at one of their positions (or their event id stored elsewhere)
   * gets none of them stored, so two writers never fork a log, while the other sessions'
   * rows are stored. A row already stored as itself (a retry meeting its own committed
   * write) is skipped and does not hold the others back. The rows not inserted come back
   * with what is stored at their position. Fails as a whole only when the database does
   * (`STORAGE_UNAVAILABLE`) or a row is invalid (its session does not exist in the
   * tenant it names: `SESSION_NOT_FOUND`). At most {@link MAX_EVENT_ROWS_PER_WRITE}
   * rows (`VALIDATION_FAILED` otherwise).
   */
  appendMany(rows: readonly TenantSessionEvent[]): Promise<AppendManyResult>;
}

const keyOf = (tenantId: string, sessionId: string, seq?: number | string): string =>
  `${tenantId}\u0000${sessionId}\u0000${seq === undefined ? '' : String(seq)}`;

/** The rows as one JSON parameter: one bound value whatever their number. */
function rowsJson(rows: readonly TenantSessionEvent[]): string {
  return JSON.stringify(
    rows.map((e) => ({
      tenant_id: e.tenantId,
      session_id: e.sessionId,
      seq: e.seq,
      id: e.id,
      type: e.type,
      time: e.time.toISOString(),
      turn_id: e.turnId ?? null,
      run_id: e.runId ?? null,
      severity: e.severity,
      event: e.event,
    })),
  );
}

/** Creates the cross-tenant event writer. */
export function sessionEventWriter(ctx: RepoContext): SessionEventWriter {
  const { db } = ctx;

  /** What is stored at the positions of `rows` (tenant, session, seq → id). */
  const storedAt = async (rows: readonly TenantSessionEvent[]): Promise<Map<string, string>> => {
    const stored = await db
      .selectFrom('session_events')
      .select(['tenant_id', 'session_id', 'seq', 'id'])
      .where((eb) =>
        eb(
          eb.refTuple('tenant_id', 'session_id', 'seq'),
          'in',
          rows.map((m) => eb.tuple(m.tenantId, m.sessionId, m.seq)),
        ),
      )
      .execute();
    return new Map(stored.map((r) => [keyOf(r.tenant_id, r.session_id, r.seq), r.id]));
  };

  return {
    async appendMany(rows) {
      if (rows.length === 0) return { inserted: 0, skipped: [] };
      if (rows.length > MAX_EVENT_ROWS_PER_WRITE) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `at most ${MAX_EVENT_ROWS_PER_WRITE} events a write, got ${rows.length}`,
          details: { field: 'rows' },
        });
      }
      try {
        // Every row that meets no other event (at its position, or its id elsewhere)
        // goes in; the rare write that meets one takes back what it inserted of that
        // session below, so a session is all or nothing. (Finding the clashes first, in
        // the statement, cost every write two index probes a row — about a third of its
        // time on PGlite — for a case that only a second writer of a session meets.) Rows
        // go in in one order for every writer, so two instances writing the same sessions
        // at once wait on each other instead of deadlocking.
        const { rows: inserted } = await sql<{
          tenant_id: string;
          session_id: string;
          seq: number | string;
        }>`
          insert into session_events
            (tenant_id, session_id, seq, id, type, time, turn_id, run_id, severity, event)
          select * from jsonb_to_recordset(${rowsJson(rows)}::jsonb) as v(
            tenant_id text, session_id text, seq bigint, id text, type text,
            time timestamptz, turn_id text, run_id text, severity text, event jsonb)
          order by v.tenant_id, v.session_id, v.seq
          on conflict do nothing
          returning tenant_id, session_id, seq`.execute(db);
        if (inserted.length === rows.length) return { inserted: inserted.length, skipped: [] };
        const done = new Set(inserted.map((r) => keyOf(r.tenant_id, r.session_id, r.seq)));
        const missing = rows.filter((r) => !done.has(keyOf(r.tenantId, r.sessionId, r.seq)));
        // A statement of its own: it sees what a concurrent writer committed meanwhile.
        const storedIds = await storedAt(missing);
        // A session with a row another event holds (or whose id is taken elsewhere) is
        // split: take back what this write inserted of it.
        const split = new Set(
          missing
            .filter((m) => storedIds.get(keyOf(m.tenantId, m.sessionId, m.seq)) !== m.id)
            .map((m) => keyOf(m.tenantId, m.sessionId)),
        );
        const undo = rows.filter(
          (r) =>
            split.has(keyOf(r.tenantId, r.sessionId)) &&
            done.has(keyOf(r.tenantId, r.sessionId, r.seq)),
        );
        if (undo.length > 0) {
          await db
            .deleteFrom('session_events')
            .where((eb) =>
              eb(
                eb.refTuple('tenant_id', 'session_id', 'seq', 'id'),
                'in',
                undo.map((u) => eb.tuple(u.tenantId, u.sessionId, u.seq, u.id)),
              ),
            )
            .execute();
          for (const u of undo) done.delete(keyOf(u.tenantId, u.sessionId, u.seq));
        }
        return {
          inserted: inserted.length - undo.length,
          skipped: rows
            .filter((r) => !done.has(keyOf(r.tenantId, r.sessionId, r.seq)))
            .map((m) => ({
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
