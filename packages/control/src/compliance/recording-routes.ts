/**
 * Recordings: `GET /sessions/{id}/recordings` lists a session's, `GET /recordings/{id}`
 * downloads one as a stereo WAV file (caller left, bot right) or Ogg Opus, opened with its data
 * subject's key when sealed, and `DELETE /recordings/{id}` removes it. Downloads and
 * deletions are audited; a recording whose subject was erased is gone (404).
 */
import { z } from 'zod';
import { recordingStream } from '@prx-voice/audit';
import type { SubjectKeys } from '@prx-voice/audit';
import type { ObjectStore, RecordingRow, Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { Id, TenantId } from '@prx-voice/types';
import { principalOf } from '../http/context.js';
import { ok } from '../http/envelope.js';
import type { DefineRoute } from '../http/routes.js';
import type { RouteModule } from '../http/route-module.js';
import { idSchema } from '../http/schemas.js';
import { OGG_OPUS_CONTENT_TYPE, wavToOggOpus } from './recording-opus.js';
import { webStream } from './web-stream.js';

const TAGS = ['recordings'];

/** A recording as the API shows it. */
export const recordingSchema = z.object({
  id: z.string(),
  session_id: z.string(),
  content_type: z.string(),
  sample_rate: z.number(),
  channels: z.number().describe('2: the caller on the left channel, the bot on the right.'),
  duration_ms: z.number(),
  size_bytes: z.number(),
  sealed: z.boolean().describe("Encrypted at rest with its data subject's key."),
  created_at: z.string(),
  download_url: z.string(),
});

function view(row: RecordingRow): z.infer<typeof recordingSchema> {
  return {
    id: row.id,
    session_id: row.session_id,
    content_type: row.content_type,
    sample_rate: row.sample_rate,
    channels: row.channels,
    duration_ms: row.duration_ms,
    size_bytes: row.size_bytes,
    sealed: row.subject_ref !== null,
    created_at: row.created_at.toISOString(),
    download_url: `/api/v1/recordings/${row.id}`,
  };
}

/** What the recording routes work with. */
export interface RecordingRouteDeps {
  readonly repos: Repositories;
  readonly store: ObjectStore;
  readonly subjects?: SubjectKeys;
}

/** The recording routes. */
export function recordingRoutes(deps: RecordingRouteDeps): RouteModule {
  return { name: 'recordings', mount: ({ route }) => mountRecordingRoutes(route, deps) };
}

function mountRecordingRoutes(define: DefineRoute, deps: RecordingRouteDeps): void {
  const { repos, store } = deps;
  const recordingParams = z.strictObject({ recording_id: idSchema('recording') });
  const notFound = (id: string) =>
    new VoiceError('NOT_FOUND', {
      message: `Recording ${id} does not exist.`,
      details: { recording_id: id },
    });
  const find = async (tenantId: TenantId, id: Id<'recording'>): Promise<RecordingRow> => {
    const row = await repos.forTenant(tenantId).recordings.get(id);
    if (row === undefined) throw notFound(id);
    return row;
  };

  define({
    method: 'get',
    path: '/sessions/{session_id}/recordings',
    summary: "A session's recordings (stereo: caller left, bot right).",
    tags: TAGS,
    permission: 'recording:read',
    params: z.strictObject({ session_id: idSchema('session') }),
    response: z.object({ items: z.array(recordingSchema) }),
    errors: ['SESSION_NOT_FOUND'],
    handler: async (c, { params }) => {
      const repo = repos.forTenant(principalOf(c).tenantId);
      await repo.sessions.require(params.session_id);
      const rows = await repo.recordings.listBySession(params.session_id);
      return ok(c, { items: rows.map(view) });
    },
  });

  define({
    method: 'get',
    path: '/recordings/{recording_id}',
    summary:
      'Download a recording: a stereo WAV file (caller left, bot right), or with `format=opus` the same as Ogg Opus (encoded as it streams).',
    tags: TAGS,
    permission: 'recording:read',
    audit: { action: 'recording.download', resource: 'recording' },
    params: recordingParams,
    query: z.object({
      format: z
        .enum(['wav', 'opus'])
        .default('wav')
        .describe('`wav` (as stored) or `opus` (Ogg Opus, about a tenth of the size).'),
    }),
    contentType: 'audio/wav',
    errors: ['NOT_FOUND'],
    handler: async (c, { params, query }) => {
      const tenantId = principalOf(c).tenantId;
      const row = await find(tenantId, params.recording_id);
      let key;
      if (row.subject_ref !== null) {
        key = await deps.subjects?.openingKey(tenantId, row.subject_ref);
        if (key === undefined) throw notFound(row.id); // its subject was erased
      }
      const body = await recordingStream(store, row, key);
      if (query.format === 'opus')
        return c.body(webStream(wavToOggOpus(body)), 200, {
          'Content-Type': OGG_OPUS_CONTENT_TYPE,
          'Content-Disposition': `attachment; filename="${row.id}.opus"`,
        });
      return c.body(webStream(body), 200, {
        'Content-Type': row.content_type,
        'Content-Length': String(row.size_bytes),
        'Content-Disposition': `attachment; filename="${row.id}.wav"`,
      });
    },
  });

  define({
    method: 'delete',
    path: '/recordings/{recording_id}',
    summary: 'Delete a recording: its file from the object store, then its row.',
    tags: TAGS,
    permission: 'recording:delete',
    audit: { action: 'recording.delete', resource: 'recording' },
    params: recordingParams,
    response: z.object({ id: z.string(), deleted: z.literal(true) }),
    errors: ['NOT_FOUND'],
    handler: async (c, { params }) => {
      const tenantId = principalOf(c).tenantId;
      const row = await find(tenantId, params.recording_id);
      await store.delete(row.object_key);
      await repos.forTenant(tenantId).recordings.markDeleted(row.id as Id<'recording'>);
      return ok(c, { id: row.id, deleted: true as const });
    },
  });
}
