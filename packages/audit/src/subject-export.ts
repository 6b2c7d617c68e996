/**
 * A data subject's export (GDPR access): every session the subject's metadata key and
 * value name — the session, its turns (transcripts opened with the subject's key), its
 * events, its recordings as WAV files — and a manifest with the size and SHA-256 of every
 * file, as one tar archive in the object store under the tenant's `exports`. A subject
 * with no sessions gets an archive with only the manifest: an export never tells whether
 * a subject exists. The archive's name is the subject's pseudonymous reference, so an
 * erasure finds and deletes its exports.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '@prx-voice/core';
import { objectKey } from '@prx-voice/storage';
import type { ObjectStore, Repositories, SessionRow, TurnRow } from '@prx-voice/storage';
import type { Id, IdGenerator, SessionId, TenantId } from '@prx-voice/types';
import { recordingStream } from './recording-objects.js';
import type { EventSealing } from './event-sealing.js';
import type { SubjectKeys } from './subject-keys.js';
import { tarStream } from './tar-writer.js';
import type { TarEntry } from './tar-writer.js';
import { transcriptOpener } from './transcript-sealing.js';

/** The format named in every export's manifest. */
export const SUBJECT_EXPORT_FORMAT = 'prx-voice-subject-export/1';

/** What {@link exportSubject} works with. */
export interface SubjectExportDeps {
  readonly repos: Pick<Repositories, 'forTenant'>;
  readonly store: ObjectStore;
  readonly subjects: SubjectKeys;
  readonly clock: Pick<Clock, 'now'>;
  readonly ids: IdGenerator;
  /** The event log's sealing: sealed events are exported opened. */
  readonly events?: Pick<EventSealing, 'decode'>;
}

/** One file of an export, as its manifest lists it. */
export interface ExportedFile {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** A finished export. */
export interface SubjectExport {
  readonly id: Id<'export'>;
  readonly subjectRef: string;
  /** Where the archive is in the object store. */
  readonly objectKey: string;
  readonly sessions: number;
  readonly recordings: number;
  /** The archive's size and SHA-256. */
  readonly bytes: number;
  readonly sha256: string;
  /** Every file of the archive, in order, the manifest (which lists the others) last. */
  readonly files: readonly ExportedFile[];
}

const json = (value: unknown): Uint8Array => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);

/** Passes `source` through, adding each chunk to `hash` and its length to `size.bytes`. */
async function* counted(
  source: AsyncIterable<Uint8Array> | Uint8Array,
  hash: ReturnType<typeof createHash>,
  size: { bytes: number },
): AsyncIterable<Uint8Array> {
  for await (const chunk of source instanceof Uint8Array ? [source] : source) {
    hash.update(chunk);
    size.bytes += chunk.byteLength;
    yield chunk;
  }
}

function sessionView(row: SessionRow): Record<string, unknown> {
  return {
    id: row.id,
    state: row.state,
    channel: row.channel,
    direction: row.direction,
    language: row.language,
    providers: row.providers,
    metadata: row.metadata,
    turn_count: row.turn_count,
    outcome: row.outcome,
    close_reason: row.close_reason,
    created_at: row.created_at.toISOString(),
    ended_at: row.ended_at?.toISOString() ?? null,
  };
}

/**
 * Exports the subject `key` = `value` of a tenant (see the module's description).
 *
 * @example
 * const done = await exportSubject(deps, tenantId, 'caller_number', '+15550100');
 * // done.objectKey: ten_…/exports/2026/12/06/exp_…/subj_….tar
 */
export async function exportSubject(
  deps: SubjectExportDeps,
  tenantId: TenantId,
  key: string,
  value: string,
): Promise<SubjectExport> {
  const repos = deps.repos.forTenant(tenantId);
  const ref = deps.subjects.refOf(tenantId, key, value);
  const now = deps.clock.now();
  const id = deps.ids.next('export');
  const sessions = await repos.sessions.listBySubject(ref, { key, value });
  const files: ExportedFile[] = [];
  let recordings = 0;

  /** An entry whose hash and size go into the manifest once it has been written. */
  function entry(
    path: string,
    size: number,
    body: Uint8Array | AsyncIterable<Uint8Array>,
  ): TarEntry {
    const hash = createHash('sha256');
    const seen = { bytes: 0 };
    async function* body2(): AsyncIterable<Uint8Array> {
      yield* counted(body, hash, seen);
      files.push({ path, bytes: seen.bytes, sha256: hash.digest('hex') });
    }
    return { path, size, body: body2(), mtimeMs: now };
  }
  const jsonEntry = (path: string, value: unknown): TarEntry => {
    const bytes = json(value);
    return entry(path, bytes.byteLength, bytes);
  };

  async function* entries(): AsyncIterable<TarEntry> {
    for (const session of sessions) {
      const sid = session.id as SessionId;
      const dir = `sessions/${sid}`;
      yield jsonEntry(`${dir}/session.json`, sessionView(session));
      const open = await transcriptOpener(deps.subjects, tenantId, session);
      const turns: TurnRow[] = [];
      let cursor: string | null = null;
      do {
        const page = await repos.turns.listBySession(sid, { limit: 200, cursor });
        turns.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== null);
      yield jsonEntry(
        `${dir}/turns.json`,
        turns.map((t) => ({
          id: t.id,
          seq: t.seq,
          status: t.status,
          input: t.input_kind,
          user_text: open(t.user_text),
          assistant_text: open(t.assistant_text),
          interrupted: t.interrupted,
          started_at: t.started_at.toISOString(),
          completed_at: t.completed_at?.toISOString() ?? null,
        })),
      );
      const events: unknown[] = [];
      for (let after = 0; ;) {
        const batch = await repos.events.readAfter(sid, after, 500);
        if (batch.length === 0) break;
        const stored = batch.map((e) => e.event);
        events.push(
          ...(deps.events === undefined ? stored : await deps.events.decode(tenantId, sid, stored)),
        );
        after = batch[batch.length - 1]?.seq ?? after;
      }
      yield jsonEntry(`${dir}/events.json`, events);
      for (const rec of await repos.recordings.listBySession(sid)) {
        const dataKey =
          rec.subject_ref === null
            ? undefined
            : await deps.subjects.openingKey(tenantId, rec.subject_ref);
        if (rec.subject_ref !== null && dataKey === undefined) continue; // erased: unreadable
        recordings += 1;
        yield entry(
          `${dir}/recordings/${rec.id}.wav`,
          rec.size_bytes,
          await recordingStream(deps.store, rec, dataKey),
        );
      }
    }
    // Last, once every file's hash is known.
    yield jsonEntry('manifest.json', {
      format: SUBJECT_EXPORT_FORMAT,
      export_id: id,
      tenant_id: tenantId,
      subject: { ref, metadata_key: key },
      created_at: new Date(now).toISOString(),
      sessions: sessions.map((s) => s.id),
      files: [...files],
    });
  }

  const archiveKey = objectKey({
    tenantId,
    kind: 'exports',
    at: now,
    sessionId: id,
    name: `${ref}.tar`,
  });
  const hash = createHash('sha256');
  const size = { bytes: 0 };
  await deps.store.put(archiveKey, counted(tarStream(entries()), hash, size), {
    contentType: 'application/x-tar',
  });
  return {
    id,
    subjectRef: ref,
    objectKey: archiveKey,
    sessions: sessions.length,
    recordings,
    bytes: size.bytes,
    sha256: hash.digest('hex'),
    files,
  };
}
