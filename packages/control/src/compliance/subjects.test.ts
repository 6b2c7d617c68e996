/**
 * GDPR where the server composes it: a data subject's export holds every session of that
 * subject and nothing of any other (the sessions, transcripts opened, events, recordings,
 * and a manifest whose SHA-256s match), behind a signed link; an erasure deletes the
 * subject's key first, so what was sealed with it — a backup copy of a recording, a
 * stored transcript — can never be opened again, and the audit chain still verifies
 * without ever holding the subject's value. Every download through an export link (and of
 * a recording) over a real socket leaves an audit record: the actor, the target, the
 * outcome, the request id and the caller's address.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { transcriptOpener } from '@prx-voice/audit';
import { createFilesystemObjectStore } from '@prx-voice/storage';
import type { ObjectStore } from '@prx-voice/storage';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from '../testing/composed.js';
import type { VoiceControl } from '../voice-control.js';

const NUMBER = '+15550100';

let h: ControlHarness;
let voice: VoiceControl;
let dir: string;
let store: ObjectStore;

beforeAll(async () => {
  h = await createControlHarness();
  dir = mkdtempSync(join(tmpdir(), 'prx-subj-'));
  store = createFilesystemObjectStore({ root: dir });
  voice = composeVoiceControl(
    h,
    {
      audit: {
        recording: { enabled: true, chunk_ms: 1_000 },
        subjects: { master_key: Buffer.alloc(32, 9).toString('hex'), export_link_ttl_ms: 600_000 },
      },
      observe: { degradation: { sample_ms: 600_000 } },
    },
    { objectStore: store },
  );
}, 60_000);

afterAll(async () => {
  await shutdownOnClock(h, voice);
  rmSync(dir, { recursive: true, force: true });
});

type Api = (path: string, method?: string, body?: unknown, token?: string) => Promise<Response>;

async function tenantApi(role: 'tenant_admin' | 'workspace_operator' = 'tenant_admin') {
  const tenant = await h.tenant('growth');
  const token = await h.key(tenant.id, role);
  const api: Api = (path, method = 'GET', body, as = token) =>
    h.request(
      path.startsWith('/api/') ? path : `/api/v1${path}`,
      { method, ...(as === '' ? {} : { token: as }), ...(body === undefined ? {} : { body }) },
      voice.control,
    );
  return {
    tenantId: tenant.id as TenantId,
    api,
    key: (r: 'workspace_operator') => h.key(tenant.id, r),
  };
}

async function data<T>(res: Response): Promise<T> {
  return ((await res.json()) as { data: T }).data;
}

/** A recorded session of `metadata` with one text turn, ended, its recording stored. */
async function session(
  api: Api,
  metadata: Record<string, string>,
  text: string,
): Promise<SessionId> {
  const created = await api('/sessions', 'POST', { channel: 'websocket', metadata });
  expect(created.status).toBe(201);
  const id = (await data<{ id: SessionId }>(created)).id;
  await settle();
  expect((await api(`/sessions/${id}/turns`, 'POST', { text })).status).toBeLessThan(300);
  for (let i = 0; i < 150; i++) {
    h.clock.advance(20);
    if (i % 5 === 0) await settle();
  }
  expect((await api(`/sessions/${id}/end`, 'POST')).status).toBeLessThan(300);
  await settle();
  // The file is joined from its chunks after the end (real file I/O: a loaded machine is slow).
  await vi.waitFor(
    async () => {
      expect(
        (await data<{ items: unknown[] }>(await api(`/sessions/${id}/recordings`))).items,
      ).toHaveLength(1);
    },
    { timeout: 15_000, interval: 100 },
  );
  return id;
}

/** The files of a tar archive. */
function untar(bytes: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (let at = 0; at + 512 <= bytes.length;) {
    const header = bytes.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const name = Buffer.from(header.subarray(0, 100)).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(Buffer.from(header.subarray(124, 136)).toString('latin1'), 8);
    files.set(name, bytes.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

describe('GDPR export and erasure in the server', () => {
  it("exports exactly the subject's sessions, seals its data at rest, and erases it for good", async () => {
    const a = await tenantApi();
    const b = await tenantApi();
    const s1 = await session(a.api, { caller_number: NUMBER }, 'my card is 4111');
    const s2 = await session(a.api, { caller_number: NUMBER, plan: 'gold' }, 'second call');
    const other = await session(a.api, { caller_number: '+15550199' }, 'someone else');
    const elsewhere = await session(b.api, { caller_number: NUMBER }, 'other tenant');

    // Stored sealed, read in the clear by those allowed to.
    const repos = h.db.repos.forTenant(a.tenantId);
    const [stored] = (await repos.turns.listBySession(s1)).items;
    expect(stored?.user_text).toMatch(/^sealed:v1:/);
    const turns = await data<{ items: { user_text: string }[] }>(
      await a.api(`/sessions/${s1}/turns`),
    );
    expect(turns.items[0]?.user_text).toBe('my card is 4111');
    const [recording] = await repos.recordings.listBySession(s1);
    const backup = await store.get(recording?.object_key ?? '');
    expect(Buffer.from(backup.subarray(0, 4)).toString()).toBe('PRXS');

    // Export.
    const operator = await a.key('workspace_operator');
    expect(
      (await a.api('/subjects/export', 'POST', { key: 'caller_number', value: NUMBER }, operator))
        .status,
    ).toBe(403);
    expect((await a.api('/subjects/export', 'POST', { key: 'email', value: 'x' })).status).toBe(
      400,
    );
    const exported = await a.api('/subjects/export', 'POST', {
      key: 'caller_number',
      value: NUMBER,
    });
    expect(exported.status).toBe(201);
    const ex = await data<{
      id: string;
      subject_ref: string;
      sessions: number;
      recordings: number;
      sha256: string;
      download_url: string;
    }>(exported);
    expect(ex).toMatchObject({ sessions: 2, recordings: 2 });
    const archive = new Uint8Array(
      await (await a.api(ex.download_url, 'GET', undefined, '')).arrayBuffer(),
    );
    expect(createHash('sha256').update(archive).digest('hex')).toBe(ex.sha256);
    const files = untar(archive);
    const manifest = JSON.parse(Buffer.from(files.get('manifest.json') ?? '').toString()) as {
      sessions: string[];
      files: { path: string; bytes: number; sha256: string }[];
    };
    expect(manifest.sessions).toEqual([s1, s2]);
    expect([...files.keys()].filter((p) => p !== 'manifest.json').sort()).toEqual(
      manifest.files.map((f) => f.path).sort(),
    );
    for (const f of manifest.files) {
      const body = files.get(f.path) ?? new Uint8Array();
      expect([body.length, createHash('sha256').update(body).digest('hex')]).toEqual([
        f.bytes,
        f.sha256,
      ]);
    }
    const paths = [...files.keys()].join('\n');
    expect(paths).not.toContain(other);
    expect(paths).not.toContain(elsewhere);
    expect(Buffer.from(files.get(`sessions/${s1}/turns.json`) ?? '').toString()).toContain(
      'my card is 4111',
    );
    const wav = [...files].find(([p]) => p.startsWith(`sessions/${s1}/recordings/`))?.[1];
    expect(Buffer.from(wav?.subarray(0, 4) ?? '').toString()).toBe('RIFF');
    // The link is the credential: tampered or expired, refused.
    expect(
      (
        await a.api(
          ex.download_url.replace(
            /signature=(.)/,
            (_m, c: string) => `signature=${c === 'A' ? 'B' : 'A'}`,
          ),
          'GET',
          undefined,
          '',
        )
      ).status,
    ).toBe(403);

    // An unknown subject: an empty archive, not an error.
    const none = await data<{ sessions: number; download_url: string }>(
      await a.api('/subjects/export', 'POST', { key: 'caller_number', value: '+10000000000' }),
    );
    expect(none.sessions).toBe(0);
    const empty = untar(
      new Uint8Array(await (await a.api(none.download_url, 'GET', undefined, '')).arrayBuffer()),
    );
    expect([...empty.keys()]).toEqual(['manifest.json']);

    // Erasure.
    const erased = await a.api('/subjects/erase', 'POST', { key: 'caller_number', value: NUMBER });
    expect(erased.status).toBe(200);
    expect(await data(erased)).toMatchObject({
      key_erased: true,
      sessions: 2,
      recordings: 2,
      turns: 2,
      exports: 1,
    });
    expect(await repos.subjects.get(ex.subject_ref)).toBeUndefined();
    // Nothing of it is readable any more: the API, the stored texts, a backup copy.
    expect((await a.api(`/recordings/${recording?.id ?? ''}`)).status).toBe(404);
    expect(await store.head(recording?.object_key ?? '')).toBeUndefined();
    const row = await repos.sessions.require(s1);
    expect(row.metadata).toEqual({});
    const open = await transcriptOpener(undefined, a.tenantId, row);
    expect(open(stored?.user_text ?? null)).toBeNull();
    expect((await a.api(ex.download_url, 'GET', undefined, '')).status).toBe(404);
    expect(backup.length).toBeGreaterThan(0); // the copy exists, and no key opens it
    // The other subject and the other tenant are untouched.
    expect(
      (await data<{ items: unknown[] }>(await a.api(`/sessions/${other}/recordings`))).items,
    ).toHaveLength(1);
    expect(
      (await data<{ items: { user_text: string }[] }>(await b.api(`/sessions/${elsewhere}/turns`)))
        .items[0]?.user_text,
    ).toBe('other tenant');

    // Audited, pseudonymously; the chain verifies.
    const log = JSON.stringify(await data(await a.api('/audit?limit=200')));
    expect(log).toContain('subject.export');
    expect(log).toContain('subject.erase');
    expect(log).toContain(ex.subject_ref);
    expect(log).not.toContain(NUMBER);
    expect(await data(await a.api('/audit/verify'))).toMatchObject({ ok: true });

    // Expired links are refused.
    const again = await data<{ download_url: string }>(
      await a.api('/subjects/export', 'POST', { key: 'caller_number', value: '+15550199' }),
    );
    h.clock.advance(601_000);
    expect((await a.api(again.download_url, 'GET', undefined, '')).status).toBe(403);
  });

  it('records each download through an export link, and of a recording, with its caller', async () => {
    const a = await tenantApi();
    const number = '+15550123';
    const id = await session(a.api, { caller_number: number }, 'hello there');
    const [recording] = await h.db.repos.forTenant(a.tenantId).recordings.listBySession(id);
    const ex = await data<{ id: string; download_url: string }>(
      await a.api('/subjects/export', 'POST', { key: 'caller_number', value: number }),
    );
    const token = await h.key(a.tenantId, 'tenant_admin');
    let server: ServerType | undefined;
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: voice.control.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
        resolve(info.port),
      );
    });
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`http://127.0.0.1:${String(port)}${path}`, { headers });
    let okId: string | null;
    let expiredId: string | null;
    let recordingId: string | null;
    try {
      const ok = await get(ex.download_url);
      expect(ok.status).toBe(200);
      await ok.arrayBuffer();
      okId = ok.headers.get('x-request-id');
      const forged = await get(
        ex.download_url.replace(
          /signature=(.)/,
          (_m, c: string) => `signature=${c === 'A' ? 'B' : 'A'}`,
        ),
      );
      expect(forged.status).toBe(403);
      const wav = await get(`/api/v1/recordings/${recording?.id ?? ''}`, {
        authorization: `Bearer ${token}`,
      });
      expect(wav.status).toBe(200);
      await wav.arrayBuffer();
      recordingId = wav.headers.get('x-request-id');
      h.clock.advance(601_000);
      const expired = await get(ex.download_url);
      expect(expired.status).toBe(403);
      expiredId = expired.headers.get('x-request-id');
    } finally {
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    }
    type Row = Record<string, unknown>;
    const rows = async (action: string) =>
      (await data<{ items: Row[] }>(await a.api(`/audit?action=${action}&limit=50`))).items;
    // The forged link names no tenant for sure: refused, not recorded.
    const downloads = await rows('export.download');
    expect(downloads).toHaveLength(2);
    const link = { actor_type: 'export_link', actor_id: ex.id, resource_type: 'export' };
    expect(downloads[0]).toMatchObject({
      ...link,
      resource_id: ex.id,
      outcome: 'success',
      request_id: okId,
    });
    expect(downloads[1]).toMatchObject({
      ...link,
      resource_id: ex.id,
      outcome: 'denied',
      request_id: expiredId,
    });
    const [fetched] = await rows('recording.download');
    expect(fetched).toMatchObject({
      actor_type: 'api_key',
      resource_type: 'recording',
      resource_id: recording?.id,
      outcome: 'success',
      request_id: recordingId,
    });
    for (const row of [...downloads, fetched]) expect(String(row?.['ip'])).toMatch(/127\.0\.0\.1/);
    expect(JSON.stringify(downloads)).not.toContain(number);
    expect(await data(await a.api('/audit/verify'))).toMatchObject({ ok: true });
  });

  it('ends the live sessions of a subject being erased, and leaves the others running', async () => {
    const a = await tenantApi();
    const number = '+15550177';
    const start = async (caller: string) =>
      (
        await data<{ id: SessionId }>(
          await a.api('/sessions', 'POST', {
            channel: 'websocket',
            metadata: { caller_number: caller },
          }),
        )
      ).id;
    const live = await start(number);
    const other = await start('+15550178');
    await settle();
    expect(voice.manager.live(a.tenantId, live)).toBeDefined();
    const erased = await a.api('/subjects/erase', 'POST', { key: 'caller_number', value: number });
    expect(erased.status).toBe(200);
    expect(await data(erased)).toMatchObject({ key_erased: true, sessions_ended: [live] });
    await vi.waitFor(async () => {
      h.clock.advance(100);
      await settle();
      expect(voice.manager.live(a.tenantId, live)).toBeUndefined();
    });
    const row = await h.db.repos.forTenant(a.tenantId).sessions.require(live);
    expect(row.ended_at).not.toBeNull();
    expect(voice.manager.live(a.tenantId, other)).toBeDefined();
    // Erasing again finds nothing live.
    const again = await a.api('/subjects/erase', 'POST', { key: 'caller_number', value: number });
    expect(await data(again)).toMatchObject({ key_erased: false, sessions_ended: [] });
    expect(await data(await a.api('/audit/verify'))).toMatchObject({ ok: true });
    expect((await a.api(`/sessions/${other}/end`, 'POST')).status).toBeLessThan(300);
  });
});
