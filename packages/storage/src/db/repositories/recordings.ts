import { VoiceError } from '@prx-voice/types';
import type { Id, SessionId } from '@prx-voice/types';
import type { RecordingRow } from '../schema.js';
import { decodeCursor, pageSize, storageError, toPage } from '../support.js';
import type { Page, PageOptions } from '../support.js';
import { nowDate } from './context.js';
import type { TenantContext } from './context.js';

/** A recording's metadata; the audio itself lives in the object store at `objectKey`. */
export interface NewRecording {
  /** Minted when absent. */
  readonly id?: Id<'recording'>;
  readonly sessionId: SessionId;
  readonly objectKey: string;
  readonly contentType: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly durationMs: number;
  readonly sizeBytes: number;
  /** The data subject whose key seals the object; absent: stored in the clear. */
  readonly subjectRef?: string;
}

/** A tenant's recordings. */
export interface RecordingRepository {
  create(recording: NewRecording): Promise<RecordingRow>;
  get(id: Id<'recording'>): Promise<RecordingRow | undefined>;
  listBySession(sessionId: SessionId): Promise<RecordingRow[]>;
  /** Newest first, deleted ones left out. */
  list(opts?: PageOptions): Promise<Page<RecordingRow>>;
  /** Marks a recording deleted (its object is removed by the caller). */
  markDeleted(id: Id<'recording'>): Promise<boolean>;
}

/** Creates a tenant's recording repository. */
export function recordingRepository(ctx: TenantContext): RecordingRepository {
  const { db, tenantId } = ctx;
  const live = () =>
    db
      .selectFrom('recordings')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null);
  return {
    async create(r) {
      try {
        return await db
          .insertInto('recordings')
          .values({
            id: r.id ?? ctx.ids.next('recording'),
            tenant_id: tenantId,
            session_id: r.sessionId,
            object_key: r.objectKey,
            content_type: r.contentType,
            sample_rate: r.sampleRate,
            channels: r.channels,
            duration_ms: r.durationMs,
            size_bytes: r.sizeBytes,
            subject_ref: r.subjectRef ?? null,
            created_at: nowDate(ctx),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (err) {
        throw storageError(
          err,
          'recording',
          new VoiceError('SESSION_NOT_FOUND', { details: { session_id: r.sessionId } }),
        );
      }
    },
    async get(id) {
      return live().where('id', '=', id).executeTakeFirst();
    },
    async listBySession(sessionId) {
      return live().where('session_id', '=', sessionId).orderBy('id', 'asc').execute();
    },
    async list(opts) {
      const limit = pageSize(opts);
      let q = live()
        .orderBy('id', 'desc')
        .limit(limit + 1);
      if (opts?.cursor != null) q = q.where('id', '<', decodeCursor(opts.cursor, 'string'));
      return toPage(await q.execute(), limit, (r) => r.id);
    },
    async markDeleted(id) {
      const r = await db
        .updateTable('recordings')
        .set({ deleted_at: nowDate(ctx) })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
  };
}
