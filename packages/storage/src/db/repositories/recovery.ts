/**
 * Platform-level queries of session recovery: which instances own sessions
 * that have not ended, and ending a session whose instance is gone — once,
 * whoever tries, with its open turns, in one transaction.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { TERMINAL_SESSION_STATES } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import type { Database, SessionRow } from '../schema.js';
import { sessionEventValues } from './events.js';
import type { NewSessionEvent } from './events.js';
import type { NowSource } from '../support.js';

/** How an abandoned session ends. */
export interface AbandonedSessionEnd {
  readonly outcome: string;
  readonly closeReason: string;
}

/** What ending an abandoned session changed. */
export interface AbandonedSessionEnded {
  /** The session as it was before (its state, when it started). */
  readonly before: SessionRow;
  /** The session as ended. */
  readonly after: SessionRow;
  /** Open turns that were marked failed. */
  readonly failedTurns: number;
}

/** Cross-tenant reads of which instance holds which session, and the one write of recovery. */
export interface SessionRecoveryRepository {
  /**
   * The instance holding a session that has not ended (any tenant); undefined when there is
   * no such session, it has ended or no instance holds it. Routing reads it before it
   * authenticates, so it tells nothing but an instance id.
   */
  holderOf(sessionId: string): Promise<string | undefined>;
  /** The instances owning sessions that have not ended, with how many each. */
  ownersOfUnended(): Promise<{ readonly instanceId: string; readonly sessions: number }[]>;
  /** Up to `limit` unended sessions owned by `instanceId`, oldest first. */
  unendedOf(instanceId: string, limit: number): Promise<SessionRow[]>;
  /**
   * Up to `limit` sessions ended with `closeReason` since `since` whose final meter event
   * (key `{session}:{finalKeySuffix}`) is not recorded: lost sessions whose metering the
   * recovering instance did not finish (it died too).
   */
  endedUnmetered(
    closeReason: string,
    finalKeySuffix: string,
    since: Date,
    limit: number,
  ): Promise<SessionRow[]>;
  /**
   * Ends a session that has not ended: state `Failed`, the outcome and reason
   * given, `ended_at` now, its open turns `failed`, and the events `events` builds
   * (after the session's last stored `seq`) appended — all in one transaction;
   * undefined when it had already ended (someone else got there first) or another
   * writer took those positions of its log meanwhile (its instance is alive after all).
   */
  endAbandoned(
    tenantId: TenantId,
    sessionId: SessionId,
    end: AbandonedSessionEnd,
    events?: (before: SessionRow, lastSeq: number, endedAt: Date) => readonly NewSessionEvent[],
  ): Promise<AbandonedSessionEnded | undefined>;
}

/** How long a recovery waits for a lock on the session's row, ms. */
const RECOVERY_LOCK_TIMEOUT_MS = 3_000;

/** Creates the recovery repository. */
export function sessionRecoveryRepository(ctx: {
  readonly db: Kysely<Database>;
  readonly clock: NowSource;
}): SessionRecoveryRepository {
  const { db } = ctx;
  const terminal = [...TERMINAL_SESSION_STATES];
  return {
    async holderOf(sessionId) {
      const row = await db
        .selectFrom('sessions')
        .select('instance_id')
        .where('id', '=', sessionId)
        .where('ended_at', 'is', null)
        .where('state', 'not in', terminal)
        .executeTakeFirst();
      return row?.instance_id ?? undefined;
    },
    async ownersOfUnended() {
      const rows = await db
        .selectFrom('sessions')
        .select(['instance_id', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('ended_at', 'is', null)
        .where('state', 'not in', terminal)
        .where('instance_id', 'is not', null)
        .groupBy('instance_id')
        .orderBy('instance_id')
        .execute();
      return rows.map((r) => ({ instanceId: r.instance_id ?? '', sessions: Number(r.n) }));
    },
    async endedUnmetered(closeReason, finalKeySuffix, since, limit) {
      return db
        .selectFrom('sessions as s')
        .selectAll('s')
        .where('s.close_reason', '=', closeReason)
        .where('s.ended_at', '>=', since)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('meter_events as m')
                .select('m.id')
                .whereRef('m.tenant_id', '=', 's.tenant_id')
                .where(
                  'm.idempotency_key',
                  '=',
                  sql<string>`${eb.ref('s.id')} || ${`:${finalKeySuffix}`}`,
                ),
            ),
          ),
        )
        .orderBy('s.ended_at')
        .limit(limit)
        .execute();
    },
    async unendedOf(instanceId, limit) {
      return db
        .selectFrom('sessions')
        .selectAll()
        .where('instance_id', '=', instanceId)
        .where('ended_at', 'is', null)
        .where('state', 'not in', terminal)
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .execute();
    },
    async endAbandoned(tenantId, sessionId, end, events) {
      const at = new Date(ctx.clock.now());
      const conflict = new Error('the session log moved on');
      return db
        .transaction()
        .execute(async (tx) => {
          // A lock held by a session's frozen instance fails this recovery (the next sweep
          // tries again) instead of stalling the sweep behind it.
          await sql`set local lock_timeout = ${sql.lit(`${String(RECOVERY_LOCK_TIMEOUT_MS)}ms`)}`.execute(
            tx,
          );
          // Locks the row: of two instances recovering it, one ends it and the other sees it ended.
          const before = await tx
            .selectFrom('sessions')
            .selectAll()
            .where('tenant_id', '=', tenantId)
            .where('id', '=', sessionId)
            .forUpdate()
            .executeTakeFirst();
          if (
            before === undefined ||
            before.ended_at !== null ||
            terminal.includes(before.state as never)
          )
            return undefined;
          const after = await tx
            .updateTable('sessions')
            .set({
              state: 'Failed',
              outcome: end.outcome,
              close_reason: end.closeReason,
              ended_at: at,
              updated_at: at,
            })
            .where('tenant_id', '=', tenantId)
            .where('id', '=', sessionId)
            .returningAll()
            .executeTakeFirstOrThrow();
          const turns = await tx
            .updateTable('turns')
            .set({ status: 'failed', completed_at: at })
            .where('tenant_id', '=', tenantId)
            .where('session_id', '=', sessionId)
            .where('status', '=', 'open')
            .executeTakeFirst();
          if (events !== undefined) {
            const last = await tx
              .selectFrom('session_events')
              .select((eb) => eb.fn.max<number | string | null>('seq').as('last'))
              .where('tenant_id', '=', tenantId)
              .where('session_id', '=', sessionId)
              .executeTakeFirst();
            const rows = events(before, Number(last?.last ?? 0), at);
            if (rows.length > 0) {
              // A unique (session, seq) violation here means its own instance wrote meanwhile.
              await tx
                .insertInto('session_events')
                .values(rows.map((e) => sessionEventValues(tenantId, e)))
                .onConflict((oc) => oc.doNothing())
                .returning('seq')
                .execute()
                .then((r) => {
                  const inserted = r.length;
                  if (inserted !== rows.length) throw conflict;
                });
            }
          }
          return { before, after, failedTurns: Number(turns.numUpdatedRows) };
        })
        .catch((err: unknown) => {
          if (err === conflict) return undefined;
          throw err;
        });
    },
  };
}
