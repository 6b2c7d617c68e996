/**
 * Joining a recording a lost session left in chunks (its instance killed mid-call): the
 * chunks that reached the store are kept, in order, one that did not is silence, sealed
 * chunks are opened with the subject's key and the file is sealed again; the chunks are
 * deleted once the file and its row exist. Runs on a filesystem store over PGlite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubjectKeys, recordingStream } from '@prx-voice/audit';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createFilesystemObjectStore } from '@prx-voice/storage';
import type { ObjectStore } from '@prx-voice/storage';
import { openTestDatabase, testSession } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import type { Id, SessionId, TenantId } from '@prx-voice/types';
import { recordingPartKey, recoverRecordings, sealedBody } from './recording-join.js';
import type { RecordingKeys } from './recording-join.js';

const clock = new SimulatedClock({ start: Date.UTC(2026, 11, 6, 23, 59, 59) });
let db: TestDatabase;
let dir: string;
let store: ObjectStore;

beforeAll(async () => {
  db = await openTestDatabase({ clock });
  dir = mkdtempSync(join(tmpdir(), 'prx-join-'));
  store = createFilesystemObjectStore({ root: dir });
}, 60_000);
afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A chunk of `frames` stereo frames whose every sample is `value`. */
function chunk(frames: number, value: number): Uint8Array {
  const pcm = new Int16Array(frames * 2).fill(value);
  return new Uint8Array(pcm.buffer);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of source) parts.push(p);
  return Buffer.concat(parts);
}

describe('recoverRecordings', () => {
  it.each([false, true])('joins what a lost session left, sealed: %s', async (sealed) => {
    const tenant = await db.repos.tenants.create({
      slug: `join-${String(sealed)}`,
      name: 'x',
      tier: 'growth',
    });
    const tenantId = tenant.id as TenantId;
    const repos = db.repos.forTenant(tenantId);
    const subjects = createSubjectKeys({
      repos: db.repos,
      masterKey: new Uint8Array(32).fill(3),
      metadataKeys: ['caller_number'],
    });
    const subject = subjects.subjectOf(tenantId, { caller_number: '+15550100' });
    const row = await testSession(repos, { instanceId: 'dead' });
    const session = sealed
      ? { ...row, subject_ref: subject?.ref ?? null }
      : { ...row, subject_ref: null };
    const dataKey = sealed ? await subjects.sealingKey(tenantId, subject?.ref ?? '') : undefined;
    // Chunks 0 and 2 reached the store; 1 did not; the recording started just before midnight.
    const keys: RecordingKeys = {
      tenantId,
      sessionId: row.id as SessionId,
      recordingId: `rec_${'0'.repeat(25)}${sealed ? '1' : '2'}` as Id<'recording'>,
      startedAt: row.created_at.getTime(),
      sampleRate: 8_000,
      sealed,
    };
    for (const [index, frames, value] of [
      [0, 800, 100],
      [2, 300, 300],
    ] as const) {
      const key = recordingPartKey(keys, index, frames);
      await store.put(key, sealedBody(key, Readable.from([chunk(frames, value)]), dataKey));
    }
    const [rec] = await recoverRecordings({ store, repos: db.repos, subjects }, session);
    expect(rec).toMatchObject({
      session_id: row.id,
      sample_rate: 8_000,
      channels: 2,
      duration_ms: Math.round(((800 + 800 + 300) * 1000) / 8_000),
      size_bytes: 44 + (800 + 800 + 300) * 4,
      subject_ref: sealed ? subject?.ref : null,
    });
    const wav = await collect(await recordingStream(store, rec ?? (row as never), dataKey));
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    const pcm = new Int16Array(wav.buffer, wav.byteOffset + 44, (wav.length - 44) / 2);
    expect([pcm[0], pcm[1599], pcm[1600], pcm[3199], pcm[3200], pcm[pcm.length - 1]]).toEqual([
      100, 100, 0, 0, 300, 300,
    ]);
    if (sealed)
      expect(Buffer.from((await store.get(rec?.object_key ?? '')).subarray(0, 4)).toString()).toBe(
        'PRXS',
      );
    // Only the file is left.
    const left = (await store.list(`${tenantId}/`)).items.map((i) => i.key);
    expect(left).toEqual([rec?.object_key]);
    expect(await recoverRecordings({ store, repos: db.repos, subjects }, session)).toEqual([]);
  });
});
