import { VoiceError } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import type { SessionEventRow } from '../schema.js';
import { isUniqueViolation, storageError } from '../support.js';
import type { TenantContext } from './context.js';

/** One event to store; `seq` is the session's gap-free sequence number. */
export interface NewSessionEvent {
  readonly sessionId: SessionId;
  readonly seq: number;
  readonly id: string;
  readonly type: string;
  readonly time: Date;
  readonly turnId?: string | null;
  readonly runId?: string | null;
  readonly severity: string;
  /** The whole CloudEvent as JSON. */
  readonly event: Record<string, unknown>;
}

/** A tenant's durable session event log. */
export interface SessionEventRepository {
  /**
   * Appends events atomically. A `seq` that already exists is `CONFLICT`
   * (nothing of the batch is stored), so two writers can never fork a log.
   */
  append(events: readonly NewSessionEvent[]): Promise<void>;
  /** Events with `seq > afterSeq`, ascending, at most `limit` (default 500). */
  readAfter(sessionId: SessionId, afterSeq: number, limit?: number): Promise<SessionEventRow[]>;
  /** The highest stored `seq`, 0 when none. */
  lastSeq(sessionId: SessionId): Promise<number>;
  /**
   * Replaces the stored JSON of existing events (a data subject's content scrubbed on
   * erasure); their `seq`, ids and order stay. How many rows were changed.
   */
  rewrite(
    sessionId: SessionId,
    events: readonly { readonly seq: number; readonly event: Record<string, unknown> }[],
  ): Promise<number>;
}

/** Creates a tenant's session event repository. */
export function sessionEventRepository(ctx: TenantContext): SessionEventRepository {
  const { db, tenantId } = ctx;
  return {
    async append(events) {
      if (events.length === 0) return;
      try {
        await db
          .insertInto('session_events')
          .values(events.map((e) => sessionEventValues(tenantId, e)))
          .execute();
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new VoiceError('CONFLICT', {
            message: `event sequence numbers ${events[0]?.seq ?? '?'}… of session ${events[0]?.sessionId ?? '?'} already exist`,
            cause: err,
          });
        }
        throw storageError(
          err,
          'session events',
          new VoiceError('SESSION_NOT_FOUND', { details: { session_id: events[0]?.sessionId } }),
        );
      }
    },
    async readAfter(sessionId, afterSeq, limit = 500) {
      return db
        .selectFrom('session_events')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('session_id', '=', sessionId)
        .where('seq', '>', afterSeq)
        .orderBy('seq', 'asc')
        .limit(limit)
        .execute();
    },
    async lastSeq(sessionId) {
      const row = await db
        .selectFrom('session_events')
        .select((eb) => eb.fn.max<number | string | null>('seq').as('last'))
        .where('tenant_id', '=', tenantId)
        .where('session_id', '=', sessionId)
        .executeTakeFirst();
      // PostgreSQL drivers may hand a bigint aggregate back as a string.
      return Number(row?.last ?? 0);
    },
    async rewrite(sessionId, events) {
      if (events.length === 0) return 0;
      return db.transaction().execute(async (tx) => {
        let changed = 0;
        for (const e of events) {
          const r = await tx
            .updateTable('session_events')
            .set({ event: e.event })
            .where('tenant_id', '=', tenantId)
            .where('session_id', '=', sessionId)
            .where('seq', '=', e.seq)
            .executeTakeFirst();
          changed += Number(r.numUpdatedRows);
        }
        return changed;
      });
    },
  };
}

/** The `session_events` columns of an event to store (the log's appends and recovery's). */
export function sessionEventValues(tenantId: TenantId, e: NewSessionEvent) {
  return {
    tenant_id: tenantId,
    session_id: e.sessionId,
    seq: e.seq,
    id: e.id,
    type: e.type,
    time: e.time,
    turn_id: e.turnId ?? null,
    run_id: e.runId ?? null,
    severity: e.severity,
    event: e.event,
  };
}
