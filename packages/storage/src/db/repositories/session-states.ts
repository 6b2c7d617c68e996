/**
 * The instance-wide writer of session states: the state changes of many sessions, of any
 * tenants, in one statement. Each session is advanced only while it has not ended (as
 * `sessions.advance` does), so a session ended elsewhere is never revived by a late write.
 */
import { sql } from 'kysely';
import type { SessionId, SessionState, TenantId } from '@prx-voice/types';
import { VoiceError } from '@prx-voice/types';
import { storageError } from '../support.js';
import { nowDate } from './context.js';
import type { RepoContext } from './context.js';

/** Most updates one {@link SessionStateWriter.advanceMany} takes. */
export const MAX_STATE_UPDATES_PER_WRITE = 500;

/** A session's new state, with how it ended when the state is terminal. */
export interface SessionStateUpdate {
  readonly tenantId: TenantId;
  readonly sessionId: SessionId;
  readonly state: SessionState;
  readonly outcome?: string;
  readonly closeReason?: string;
  readonly endedAt?: Date;
}

/** Advances the states of sessions of any tenants in one statement. */
export interface SessionStateWriter {
  /**
   * Sets each session's state (and outcome, close reason and end when given; `updated_at`
   * to now) unless it has ended; the ids of the sessions advanced — a session missing
   * from them had ended (or does not exist in the tenant named). At most one update per
   * session and {@link MAX_STATE_UPDATES_PER_WRITE} updates (`VALIDATION_FAILED`
   * otherwise).
   */
  advanceMany(updates: readonly SessionStateUpdate[]): Promise<ReadonlySet<SessionId>>;
}

/** Creates the writer. */
export function sessionStateWriter(ctx: RepoContext): SessionStateWriter {
  const { db } = ctx;
  return {
    async advanceMany(updates) {
      if (updates.length === 0) return new Set();
      if (updates.length > MAX_STATE_UPDATES_PER_WRITE) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `at most ${String(MAX_STATE_UPDATES_PER_WRITE)} state updates per write (got ${String(updates.length)})`,
        });
      }
      if (new Set(updates.map((u) => `${u.tenantId}/${u.sessionId}`)).size !== updates.length) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: 'one state update per session and write',
        });
      }
      const rows = updates.map(
        (u) =>
          sql`(${u.tenantId}, ${u.sessionId}, ${u.state}, ${u.outcome ?? null}::text, ${u.closeReason ?? null}::text, ${u.endedAt ?? null}::timestamptz)`,
      );
      try {
        const { rows: advanced } = await sql<{ id: SessionId }>`
          update sessions as s set
            state = v.state,
            outcome = coalesce(v.outcome, s.outcome),
            close_reason = coalesce(v.close_reason, s.close_reason),
            ended_at = coalesce(v.ended_at, s.ended_at),
            updated_at = ${nowDate(ctx)}
          from (values ${sql.join(rows)}) as v(tenant_id, id, state, outcome, close_reason, ended_at)
          where s.id = any(${updates.map((u) => u.sessionId)}::text[])
            and s.tenant_id = v.tenant_id and s.id = v.id and s.ended_at is null
          returning s.id`.execute(db);
        return new Set(advanced.map((r) => r.id));
      } catch (err) {
        throw storageError(err, 'session states');
      }
    },
  };
}
