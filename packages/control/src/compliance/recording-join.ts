/**
 * A recording's objects and how they become one file. While a session runs, each chunk
 * is its own object, named for the recording, its index, its sample count and rate
 * (`rec_….p000003.s24000.r24000.pcm`, `.sealed` when sealed), so the parts alone say how
 * to join them. Joining streams a WAV header and the parts in order (silence for a
 * missing one) into one object — sealed again as a whole when the parts were — writes
 * the `recordings` row, and deletes the parts. A session that ended with its instance
 * (kill -9) is joined the same way by recovery, from whatever parts reached the store.
 */
import { SEALED_CONTENT_TYPE, openStream, recordingAad, sealStream } from '@prx-voice/audit';
import type { DataKey, SubjectKeys } from '@prx-voice/audit';
import { wavHeader } from '@prx-voice/media';
import { objectKey } from '@prx-voice/storage';
import type {
  ObjectStore,
  RecordingRow,
  Repositories,
  SessionRow,
  TenantRepositories,
} from '@prx-voice/storage';
import type { Id, SessionId, TenantId } from '@prx-voice/types';

const CHANNELS = 2;
const BYTES_PER_FRAME = 2 * CHANNELS;
const HEADER_BYTES = 44;
const PART = /^(rec_[0-9a-z]{26})\.p(\d{6})\.s(\d+)\.r(\d+)\.pcm(\.sealed)?$/;

/** One chunk of a recording: its sample frames, and whether its object was written. */
export interface RecordingPart {
  readonly samples: number;
  written: boolean;
}

/** Where a recording's objects are. */
export interface RecordingKeys {
  readonly tenantId: TenantId;
  readonly sessionId: SessionId;
  readonly recordingId: Id<'recording'>;
  /** When the recording started (the keys' date). */
  readonly startedAt: number;
  readonly sampleRate: number;
  readonly sealed: boolean;
}

function keyOf(k: RecordingKeys, name: string): string {
  return objectKey({
    tenantId: k.tenantId,
    kind: 'recordings',
    at: k.startedAt,
    sessionId: k.sessionId,
    name,
  });
}

/** The key of a recording's joined file. */
export function recordingFileKey(k: RecordingKeys): string {
  return keyOf(k, `${k.recordingId}.wav${k.sealed ? '.sealed' : ''}`);
}

/** The key of a recording's chunk. */
export function recordingPartKey(k: RecordingKeys, index: number, samples: number): string {
  const name = `${k.recordingId}.p${String(index).padStart(6, '0')}.s${String(samples)}.r${String(k.sampleRate)}.pcm`;
  return keyOf(k, `${name}${k.sealed ? '.sealed' : ''}`);
}

/** Seals (when `key` is given) a recording object's bytes, bound to its object key. */
export function sealedBody(
  objectKeyOf: string,
  body: AsyncIterable<Uint8Array>,
  key: DataKey | undefined,
): AsyncIterable<Uint8Array> {
  return key === undefined ? body : sealStream(key, body, recordingAad(objectKeyOf));
}

/** What joining needs beyond the keys. */
export interface JoinRecordingOptions {
  readonly store: ObjectStore;
  readonly repos: Pick<TenantRepositories, 'recordings'>;
  readonly keys: RecordingKeys;
  /** The chunks in order (index = position). */
  readonly parts: readonly RecordingPart[];
  /** The data subject whose key sealed the parts (and seals the file). */
  readonly subject?: { readonly ref: string; readonly key: DataKey };
}

/** Joins a recording's parts into its file and writes its row (see the module's description). */
export async function joinRecording(o: JoinRecordingOptions): Promise<RecordingRow> {
  const { keys, store } = o;
  const dataKey = o.subject?.key;
  const total = o.parts.reduce((n, p) => n + p.samples, 0);
  async function* wav(): AsyncIterable<Uint8Array> {
    yield wavHeader({
      sampleRate: keys.sampleRate,
      channels: CHANNELS,
      dataBytes: total * BYTES_PER_FRAME,
    });
    for (const [index, part] of o.parts.entries()) {
      if (!part.written) {
        yield new Uint8Array(part.samples * BYTES_PER_FRAME);
        continue;
      }
      const key = recordingPartKey(keys, index, part.samples);
      const body = await store.getStream(key);
      yield* dataKey === undefined ? body : openStream(dataKey, body, recordingAad(key));
    }
  }
  const fileKey = recordingFileKey(keys);
  await store.put(fileKey, sealedBody(fileKey, wav(), dataKey), {
    contentType: keys.sealed ? SEALED_CONTENT_TYPE : 'audio/wav',
  });
  const row = await o.repos.recordings.create({
    id: keys.recordingId,
    sessionId: keys.sessionId,
    objectKey: fileKey,
    contentType: 'audio/wav',
    sampleRate: keys.sampleRate,
    channels: CHANNELS,
    durationMs: Math.round((total * 1000) / keys.sampleRate),
    sizeBytes: HEADER_BYTES + total * BYTES_PER_FRAME,
    ...(o.subject === undefined ? {} : { subjectRef: o.subject.ref }),
  });
  for (const [index, part] of o.parts.entries())
    if (part.written) await store.delete(recordingPartKey(keys, index, part.samples));
  return row;
}

/** The WAV size of a recording of `samples` sample frames. */
export function recordingBytes(samples: number): number {
  return HEADER_BYTES + samples * BYTES_PER_FRAME;
}

/** Recordings whose parts a session left in the store, found by listing its keys of `days`. */
export async function orphanedRecordings(
  store: Pick<ObjectStore, 'list'>,
  session: { readonly tenantId: TenantId; readonly sessionId: SessionId },
  days: readonly number[],
): Promise<{ keys: RecordingKeys; parts: RecordingPart[] }[]> {
  const found = new Map<string, { keys: RecordingKeys; parts: (RecordingPart | undefined)[] }>();
  for (const day of new Set(days.map((d) => Math.floor(d / 86_400_000) * 86_400_000))) {
    const prefix = objectKey({
      tenantId: session.tenantId,
      kind: 'recordings',
      at: day,
      sessionId: session.sessionId,
      name: 'x',
    }).slice(0, -1);
    let cursor: string | undefined;
    do {
      const page = await store.list(prefix, cursor === undefined ? {} : { cursor });
      for (const item of page.items) {
        const m = PART.exec(item.key.slice(prefix.length));
        if (m === null) continue;
        const [, rec, index, samples, rate, sealed] = m;
        const id = rec as Id<'recording'>;
        let entry = found.get(id);
        if (entry === undefined) {
          entry = {
            keys: {
              ...session,
              recordingId: id,
              startedAt: day,
              sampleRate: Number(rate),
              sealed: sealed !== undefined,
            },
            parts: [],
          };
          found.set(id, entry);
        }
        entry.parts[Number(index)] = { samples: Number(samples), written: true };
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }
  // A chunk that never reached the store: as long as its neighbours, silent.
  return [...found.values()].map(({ keys, parts }) => {
    const full = parts.find((p) => p !== undefined)?.samples ?? 0;
    return { keys, parts: Array.from(parts, (p) => p ?? { samples: full, written: false }) };
  });
}

/** What {@link recoverRecordings} works with. */
export interface RecordingRecoveryDeps {
  readonly store: ObjectStore;
  readonly repos: Pick<Repositories, 'forTenant'>;
  readonly subjects: SubjectKeys;
}

/**
 * Joins the recordings a session left in chunks when its instance was lost (killed, cut
 * off): what reached the store is kept, a chunk that did not is silence. Returns the rows.
 */
export async function recoverRecordings(
  deps: RecordingRecoveryDeps,
  session: SessionRow,
): Promise<RecordingRow[]> {
  const tenantId = session.tenant_id as TenantId;
  const sessionId = session.id as SessionId;
  const start = session.created_at.getTime();
  const orphans = await orphanedRecordings(deps.store, { tenantId, sessionId }, [
    start,
    start + 86_400_000,
  ]);
  const rows: RecordingRow[] = [];
  for (const { keys, parts } of orphans) {
    let subject: { ref: string; key: DataKey } | undefined;
    if (keys.sealed) {
      const ref = session.subject_ref;
      const key = ref === null ? undefined : await deps.subjects.openingKey(tenantId, ref);
      if (ref === null || key === undefined) continue; // erased meanwhile: nothing to open
      subject = { ref, key };
    }
    rows.push(
      await joinRecording({
        store: deps.store,
        repos: deps.repos.forTenant(tenantId),
        keys,
        parts,
        ...(subject === undefined ? {} : { subject }),
      }),
    );
  }
  return rows;
}
