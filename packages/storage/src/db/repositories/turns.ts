import { VoiceError } from '@prx-voice/types';
import type { SessionId, TurnId } from '@prx-voice/types';
import type { TurnRow } from '../schema.js';
import { decodeCursor, pageSize, storageError, toPage } from '../support.js';
import type { Page, PageOptions } from '../support.js';
import { nowDate } from './context.js';
import type { TenantContext } from './context.js';

/** A turn as it starts. */
export interface NewTurn {
  readonly id?: TurnId;
  readonly sessionId: SessionId;
  /** 1-based position in the session. */
  readonly seq: number;
  /** `voice` (ASR) or `text` (a text turn). */
  readonly inputKind: 'voice' | 'text';
  readonly userText?: string;
}

/** The latency breakdown of a turn, in milliseconds; absent parts are unknown. */
export interface TurnLatency {
  /** Speech end → final transcript. */
  readonly asrMs?: number;
  /** Final transcript → first agent token. */
  readonly agentFirstTokenMs?: number;
  /** First token → first synthesized audio. */
  readonly ttsFirstAudioMs?: number;
  /** First synthesized audio → first audio sent to the caller. */
  readonly firstAudioSentMs?: number;
  /** Speech end → first audio sent: what the caller experiences. */
  readonly voiceToVoiceMs?: number;
}

/** How a turn ended. */
export interface TurnCompletion {
  readonly status: 'completed' | 'interrupted' | 'failed' | 'cancelled';
  readonly userText?: string;
  /** What the caller heard of the answer. */
  readonly assistantText: string;
  /** Everything the agent generated, heard or not. */
  readonly assistantTextGenerated: string;
  readonly interrupted: boolean;
  readonly latency: TurnLatency;
}

/** A tenant's turns. */
export interface TurnRepository {
  create(turn: NewTurn): Promise<TurnRow>;
  /**
   * Completes a turn and, the first time it leaves `open`, adds one to its session's
   * `turn_count` — in one transaction.
   */
  complete(id: TurnId, completion: TurnCompletion): Promise<TurnRow | undefined>;
  get(id: TurnId): Promise<TurnRow | undefined>;
  /** In order of `seq`. */
  listBySession(sessionId: SessionId, opts?: PageOptions): Promise<Page<TurnRow>>;
}

/** Creates a tenant's turn repository. */
export function turnRepository(ctx: TenantContext): TurnRepository {
  const { db, tenantId } = ctx;
  return {
    async create(t) {
      try {
        return await db
          .insertInto('turns')
          .values({
            id: t.id ?? ctx.ids.next('turn'),
            tenant_id: tenantId,
            session_id: t.sessionId,
            seq: t.seq,
            status: 'open',
            input_kind: t.inputKind,
            user_text: t.userText ?? null,
            started_at: nowDate(ctx),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (err) {
        throw storageError(
          err,
          `turn ${t.seq} of ${t.sessionId}`,
          new VoiceError('SESSION_NOT_FOUND', { details: { session_id: t.sessionId } }),
        );
      }
    },
    async complete(id, c) {
      const at = nowDate(ctx);
      // One statement (one round trip; no transaction held open across several): the turn, and
      // its session's count when the turn was still open — so a crash leaves both or neither.
      // `before` locks the turn's row before it is updated and keeps its status as it was:
      // completing again does not count twice, and a concurrent completion waits on the lock,
      // then sees the turn completed.
      const before = db
        .selectFrom('turns')
        .select(['id', 'status as before_status', 'session_id as before_session_id'])
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .forUpdate()
        .as('before');
      const row = await db
        .with('completed', (qb) =>
          qb
            .updateTable('turns')
            .from(before)
            .set({
              status: c.status,
              ...(c.userText === undefined ? {} : { user_text: c.userText }),
              assistant_text: c.assistantText,
              assistant_text_generated: c.assistantTextGenerated,
              interrupted: c.interrupted,
              latency_asr_ms: c.latency.asrMs ?? null,
              latency_agent_first_token_ms: c.latency.agentFirstTokenMs ?? null,
              latency_tts_first_audio_ms: c.latency.ttsFirstAudioMs ?? null,
              latency_first_audio_sent_ms: c.latency.firstAudioSentMs ?? null,
              latency_voice_to_voice_ms: c.latency.voiceToVoiceMs ?? null,
              completed_at: at,
            })
            // The key on the updated table itself, not only through the join: the planner then
            // reads one row by the primary key (joined through `before` alone, with no statistics
            // it scanned every turn of the tenant for each of them).
            .where('turns.id', '=', id)
            .whereRef('turns.id', '=', 'before.id')
            .where('turns.tenant_id', '=', tenantId)
            .returningAll('turns')
            .returning(['before.before_status', 'before.before_session_id']),
        )
        .with('counted', (qb) =>
          qb
            .updateTable('sessions')
            .set((eb) => ({ turn_count: eb('turn_count', '+', 1), updated_at: at }))
            .where('tenant_id', '=', tenantId)
            // One value (the turn's session, or none): a lookup by the key, not a semi-join over
            // the tenant's sessions.
            .where('id', '=', (eb) =>
              eb
                .selectFrom('completed')
                .select('completed.before_session_id')
                .where('completed.before_status', '=', 'open'),
            ),
        )
        .selectFrom('completed')
        .selectAll()
        .executeTakeFirst();
      if (row === undefined) return undefined;
      const { before_status: _status, before_session_id: _session, ...turn } = row;
      return turn;
    },
    async get(id) {
      return db
        .selectFrom('turns')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
    },
    async listBySession(sessionId, opts) {
      const limit = pageSize(opts);
      let q = db
        .selectFrom('turns')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('session_id', '=', sessionId)
        .orderBy('seq', 'asc')
        .limit(limit + 1);
      if (opts?.cursor != null) q = q.where('seq', '>', decodeCursor(opts.cursor, 'number'));
      return toPage(await q.execute(), limit, (r) => r.seq);
    },
  };
}
