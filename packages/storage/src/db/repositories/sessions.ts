import { sql } from 'kysely';
import { VoiceError } from '@prx-voice/types';
import type { Channel, Direction, SessionId, SessionState } from '@prx-voice/types';
import type { SessionRow } from '../schema.js';
import { decodeCursor, pageSize, storageError, toPage } from '../support.js';
import type { Page, PageOptions } from '../support.js';
import { nowDate } from './context.js';
import type { TenantContext } from './context.js';

/** A new session. */
export interface NewSession {
  readonly id?: SessionId;
  readonly state: SessionState;
  readonly channel: Channel;
  readonly direction: Direction;
  readonly language: string;
  readonly providers?: Record<string, unknown>;
  readonly metadata?: Record<string, unknown>;
  readonly instanceId?: string;
  /** The data subject the session belongs to (a pseudonymous reference), if any. */
  readonly subjectRef?: string;
  /** The stored assistant (and its version) the session runs. */
  readonly assistant?: { readonly id: string; readonly version: number };
}

/** Changes to a session. */
export interface SessionPatch {
  readonly state?: SessionState;
  readonly instanceId?: string | null;
  readonly outcome?: string;
  readonly closeReason?: string;
  readonly endedAt?: Date;
  readonly metadata?: Record<string, unknown>;
  readonly providers?: Record<string, unknown>;
  /** Changed mid-session (`PATCH /sessions/{id}`, `session.update`). */
  readonly language?: string;
  /** The stored assistant the session runs from now (an assistant switch). */
  readonly assistant?: { readonly id: string; readonly version: number };
}

/** Listing filters. */
export interface SessionListOptions extends PageOptions {
  readonly state?: SessionState;
}

/** A tenant's sessions. */
export interface SessionRepository {
  create(session: NewSession): Promise<SessionRow>;
  get(id: SessionId): Promise<SessionRow | undefined>;
  /** Like `get`, but a missing session is `SESSION_NOT_FOUND`. */
  require(id: SessionId): Promise<SessionRow>;
  /** Newest first. */
  list(opts?: SessionListOptions): Promise<Page<SessionRow>>;
  /**
   * Every session of a data subject, oldest first: those whose subject is `subjectRef`,
   * and with `metadata`, those whose metadata holds that key and value (a session names
   * its subject by the first key it has; it may carry others too).
   */
  listBySubject(
    subjectRef: string,
    metadata?: { readonly key: string; readonly value: string },
  ): Promise<SessionRow[]>;
  update(id: SessionId, patch: SessionPatch): Promise<SessionRow | undefined>;
  /**
   * Like `update`, for a session that has not ended: undefined when it has (or is
   * missing). What its running instance writes goes through here, so a session
   * ended elsewhere (recovered as `instance_lost` while its instance was frozen or cut
   * off) is never revived by a late write.
   */
  advance(id: SessionId, patch: SessionPatch): Promise<SessionRow | undefined>;
  /** Adds one to the turn count and returns the new count. */
  incrementTurnCount(id: SessionId): Promise<number>;
  /** Sessions not yet Closed or Failed. */
  countLive(): Promise<number>;
  /** Sessions that ended with `from <= ended_at < to`, counted by outcome (most first). */
  outcomeCounts(range: {
    readonly from: Date;
    readonly to: Date;
  }): Promise<{ readonly outcome: string; readonly count: number }[]>;
}

/** Creates a tenant's session repository. */
export function sessionRepository(ctx: TenantContext): SessionRepository {
  const { db, tenantId } = ctx;
  const notFound = (id: string) =>
    new VoiceError('SESSION_NOT_FOUND', { details: { session_id: id } });
  const patchQuery = (id: SessionId, patch: SessionPatch) =>
    db
      .updateTable('sessions')
      .set({
        updated_at: nowDate(ctx),
        ...(patch.state === undefined ? {} : { state: patch.state }),
        ...(patch.instanceId === undefined ? {} : { instance_id: patch.instanceId }),
        ...(patch.outcome === undefined ? {} : { outcome: patch.outcome }),
        ...(patch.closeReason === undefined ? {} : { close_reason: patch.closeReason }),
        ...(patch.endedAt === undefined ? {} : { ended_at: patch.endedAt }),
        ...(patch.metadata === undefined ? {} : { metadata: patch.metadata }),
        ...(patch.providers === undefined ? {} : { providers: patch.providers }),
        ...(patch.language === undefined ? {} : { language: patch.language }),
        ...(patch.assistant === undefined
          ? {}
          : { assistant_id: patch.assistant.id, assistant_version: patch.assistant.version }),
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .returningAll();
  const repo: SessionRepository = {
    async create(s) {
      const at = nowDate(ctx);
      try {
        return await db
          .insertInto('sessions')
          .values({
            id: s.id ?? ctx.ids.next('session'),
            tenant_id: tenantId,
            state: s.state,
            channel: s.channel,
            direction: s.direction,
            language: s.language,
            providers: s.providers ?? {},
            metadata: s.metadata ?? {},
            instance_id: s.instanceId ?? null,
            subject_ref: s.subjectRef ?? null,
            assistant_id: s.assistant?.id ?? null,
            assistant_version: s.assistant?.version ?? null,
            created_at: at,
            updated_at: at,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (err) {
        throw storageError(err, 'session');
      }
    },
    async get(id) {
      return db
        .selectFrom('sessions')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
    },
    async require(id) {
      const row = await repo.get(id);
      if (row === undefined) throw notFound(id);
      return row;
    },
    async listBySubject(subjectRef, metadata) {
      return db
        .selectFrom('sessions')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where((eb) =>
          metadata === undefined
            ? eb('subject_ref', '=', subjectRef)
            : eb.or([
                eb('subject_ref', '=', subjectRef),
                eb(sql<string>`metadata ->> ${metadata.key}`, '=', metadata.value),
              ]),
        )
        .orderBy('id', 'asc')
        .execute();
    },
    async list(opts) {
      const limit = pageSize(opts);
      let q = db
        .selectFrom('sessions')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('id', 'desc')
        .limit(limit + 1);
      if (opts?.state !== undefined) q = q.where('state', '=', opts.state);
      if (opts?.cursor != null) q = q.where('id', '<', decodeCursor(opts.cursor, 'string'));
      return toPage(await q.execute(), limit, (r) => r.id);
    },
    async update(id, patch) {
      return patchQuery(id, patch).executeTakeFirst();
    },
    async advance(id, patch) {
      return patchQuery(id, patch).where('ended_at', 'is', null).executeTakeFirst();
    },
    async incrementTurnCount(id) {
      const row = await db
        .updateTable('sessions')
        .set((eb) => ({ turn_count: eb('turn_count', '+', 1), updated_at: nowDate(ctx) }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .returning('turn_count')
        .executeTakeFirst();
      if (row === undefined) throw notFound(id);
      return row.turn_count;
    },
    async countLive() {
      const row = await db
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_id', '=', tenantId)
        .where('state', 'not in', ['Closed', 'Failed'])
        .executeTakeFirstOrThrow();
      return row.n;
    },
    async outcomeCounts(range) {
      const rows = await db
        .selectFrom('sessions')
        .select('outcome')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('tenant_id', '=', tenantId)
        .where('ended_at', '>=', range.from)
        .where('ended_at', '<', range.to)
        .groupBy('outcome')
        .execute();
      return rows
        .map((r) => ({ outcome: r.outcome ?? 'unknown', count: Number(r.n) }))
        .sort((a, b) => b.count - a.count || a.outcome.localeCompare(b.outcome));
    },
  };
  return repo;
}
