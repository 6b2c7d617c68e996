import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { VoiceError, createSequentialIdGenerator } from '@prx-voice/types';
import type { ErrorCode, SessionId, TenantId } from '@prx-voice/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { objectKey, parseObjectKey, tenantPrefix } from './object-key-layout.js';
import type { ObjectKind } from './object-key-layout.js';
import type { ObjectStore } from './object-store.js';

/** What a contract run needs: a fresh, empty store and a way to dispose of it. */
export interface ObjectStoreFixture {
  /** The store under test, empty. */
  readonly store: ObjectStore;
  /** Removes everything the fixture made. */
  cleanup(): Promise<void>;
}

const MiB = 1024 * 1024;

/** Deterministic bytes: `size` bytes of a pattern that depends on `seed`. */
function patternBytes(size: number, seed: number, offset = 0): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++)
    out[i] = ((offset + i) * 31 + seed * 17 + ((offset + i) >>> 11)) & 0xff;
  return out;
}

/** A body of `total` bytes in uneven chunks, never held whole. */
async function* patternStream(
  total: number,
  seed: number,
  chunk = 300_001,
): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < total; offset += chunk) {
    await Promise.resolve();
    yield patternBytes(Math.min(chunk, total - offset), seed, offset);
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function digestStream(
  chunks: AsyncIterable<Uint8Array>,
): Promise<{ hash: string; size: number; count: number }> {
  const hash = createHash('sha256');
  let size = 0;
  let count = 0;
  for await (const chunk of chunks) {
    expect(chunk).toBeInstanceOf(Uint8Array);
    hash.update(chunk);
    size += chunk.length;
    count++;
  }
  return { hash: hash.digest('hex'), size, count };
}

/** Awaits a promise that must reject with a VoiceError of `code`, and returns that error. */
export async function expectVoiceError(
  promise: Promise<unknown>,
  code: ErrorCode,
): Promise<VoiceError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  if (!VoiceError.is(caught)) {
    throw new Error(
      `expected a VoiceError ${code}, got ${caught === undefined ? 'no error' : inspect(caught)}`,
    );
  }
  expect(caught.code).toBe(code);
  return caught;
}

const decoder = new TextDecoder();

/**
 * The behaviour every {@link ObjectStore} must have, as a vitest suite. `setup`
 * runs before each test and must give an empty store.
 *
 * @example
 * describeObjectStoreContract('filesystem', async () => {
 *   const root = await mkdtemp(path.join(os.tmpdir(), 'objects-'));
 *   return { store: createFilesystemObjectStore({ root }), cleanup: () => rm(root, { recursive: true }) };
 * });
 */
export function describeObjectStoreContract(
  name: string,
  setup: () => Promise<ObjectStoreFixture>,
): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let fixture: ObjectStoreFixture | undefined;
    let store: ObjectStore;
    const ids = createSequentialIdGenerator();
    const at = Date.UTC(2026, 2, 14, 23, 59, 59);

    function keyOf(
      tenantId: TenantId,
      sessionId: SessionId,
      file: string,
      kind: ObjectKind = 'recordings',
    ): string {
      return objectKey({ tenantId, kind, at, sessionId, name: file });
    }

    beforeEach(async () => {
      fixture = await setup();
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    it('reports its kind and answers ping', async () => {
      expect(['filesystem', 's3']).toContain(store.kind);
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('puts and gets bytes', async () => {
      const key = keyOf(ids.next('tenant'), ids.next('session'), 'all-bytes.bin');
      const bytes = patternBytes(256, 1).map((_, i) => i);
      const info = await store.put(key, bytes);
      expect(info.key).toBe(key);
      expect(info.size).toBe(256);
      expect(info.lastModified).toBeInstanceOf(Date);
      expect(await store.get(key)).toEqual(bytes);
    });

    it('puts strings as UTF-8', async () => {
      const key = keyOf(ids.next('tenant'), ids.next('session'), 'hello.txt', 'transcripts');
      const text = 'héllo, wörld 👋';
      const info = await store.put(key, text, { contentType: 'text/plain; charset=utf-8' });
      expect(info.size).toBe(new TextEncoder().encode(text).length);
      expect(decoder.decode(await store.get(key))).toBe(text);
    });

    it('streams a multi-MB body in and out without changing a byte', async () => {
      const key = keyOf(ids.next('tenant'), ids.next('session'), 'call.wav');
      const total = 12 * MiB + 12_345;
      const expected = await digestStream(patternStream(total, 7));
      const info = await store.put(key, patternStream(total, 7), { contentType: 'audio/wav' });
      expect(info.size).toBe(total);
      const streamed = await digestStream(await store.getStream(key));
      expect(streamed.size).toBe(total);
      expect(streamed.hash).toBe(expected.hash);
      expect(streamed.count).toBeGreaterThan(1);
      const whole = await store.get(key);
      expect(whole.length).toBe(total);
      expect(sha256(whole)).toBe(expected.hash);
      expect((await store.head(key))?.size).toBe(total);
    });

    it('stores an empty stream as an empty object', async () => {
      const key = keyOf(ids.next('tenant'), ids.next('session'), 'empty.bin');
      const info = await store.put(key, patternStream(0, 1));
      expect(info.size).toBe(0);
      expect(await store.get(key)).toEqual(new Uint8Array(0));
    });

    it('stores nothing and rethrows the body error when a stream fails', async () => {
      const tenantId = ids.next('tenant');
      const key = keyOf(tenantId, ids.next('session'), 'broken.wav');
      const boom = new Error('microphone unplugged');
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield* patternStream(9 * MiB, 3, MiB);
        throw boom;
      }
      await expect(store.put(key, failing())).rejects.toBe(boom);
      expect(await store.head(key)).toBeUndefined();
      expect((await store.list(tenantPrefix(tenantId))).items).toEqual([]);
    });

    it('heads size, content type, metadata and last-modified', async () => {
      const key = keyOf(ids.next('tenant'), ids.next('session'), 'meta.wav');
      await store.put(key, patternBytes(1000, 2), {
        contentType: 'audio/wav',
        metadata: { 'call-id': 'c-123', lang: 'en-US' },
      });
      const info = await store.head(key);
      expect(info).toMatchObject({
        key,
        size: 1000,
        contentType: 'audio/wav',
        metadata: { 'call-id': 'c-123', lang: 'en-US' },
      });
      expect(Number.isNaN(info?.lastModified.getTime())).toBe(false);
      if (info?.etag !== undefined) expect(info.etag).toMatch(/^[^"]+$/);
      const plain = keyOf(ids.next('tenant'), ids.next('session'), 'plain.bin');
      await store.put(plain, 'x');
      expect(await store.head(plain)).toMatchObject({
        contentType: 'application/octet-stream',
        metadata: {},
      });
      expect(
        await store.head(keyOf(ids.next('tenant'), ids.next('session'), 'absent.bin')),
      ).toBeUndefined();
    });

    it('overwrites content, content type and metadata', async () => {
      const key = keyOf(ids.next('tenant'), ids.next('session'), 'take.wav');
      await store.put(key, 'first version', {
        contentType: 'text/plain',
        metadata: { take: '1', old: 'yes' },
      });
      await store.put(key, 'second', { contentType: 'audio/wav', metadata: { take: '2' } });
      expect(decoder.decode(await store.get(key))).toBe('second');
      expect(await store.head(key)).toMatchObject({
        size: 6,
        contentType: 'audio/wav',
        metadata: { take: '2' },
      });
      expect((await store.head(key))?.metadata).not.toHaveProperty('old');
    });

    it('deletes: true once, then false; the object is gone', async () => {
      const key = keyOf(ids.next('tenant'), ids.next('session'), 'gone.wav');
      await store.put(key, 'bye');
      expect(await store.delete(key)).toBe(true);
      expect(await store.delete(key)).toBe(false);
      expect(await store.head(key)).toBeUndefined();
      await expectVoiceError(store.get(key), 'NOT_FOUND');
    });

    it('get and getStream of a missing key are NOT_FOUND', async () => {
      const key = keyOf(ids.next('tenant'), ids.next('session'), 'never.wav');
      const err = await expectVoiceError(store.get(key), 'NOT_FOUND');
      expect(err.status).toBe(404);
      await expectVoiceError(store.getStream(key), 'NOT_FOUND');
    });

    it('lists in key order across pages', async () => {
      const tenantId = ids.next('tenant');
      const sessionId = ids.next('session');
      const names = ['g.bin', 'a.bin', 'e.bin', 'c.bin', 'b.bin', 'f.bin', 'd.bin'];
      for (const [i, file] of names.entries())
        await store.put(keyOf(tenantId, sessionId, file), patternBytes(i + 1, i));
      const other = ids.next('tenant');
      await store.put(keyOf(other, sessionId, 'a.bin'), 'not mine');

      const seen: string[] = [];
      const pageSizes: number[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const result = await store.list(tenantPrefix(tenantId), {
          limit: 3,
          ...(cursor === undefined ? {} : { cursor }),
        });
        pageSizes.push(result.items.length);
        for (const item of result.items) {
          seen.push(item.key);
          expect(item.size).toBe(names.indexOf(parseObjectKey(item.key).name) + 1);
          expect(item.lastModified).toBeInstanceOf(Date);
        }
        cursor = result.nextCursor;
        if (cursor === undefined) break;
      }
      expect(pageSizes).toEqual([3, 3, 1]);
      expect(seen).toEqual([...names].sort().map((file) => keyOf(tenantId, sessionId, file)));
      const all = await store.list('');
      expect(all.items.map((i) => i.key)).toEqual(
        [...seen, keyOf(other, sessionId, 'a.bin')].sort(),
      );
      expect(all.nextCursor).toBeUndefined();
    });

    it('lists by plain prefix: "a" matches "ab", "a/" does not', async () => {
      for (const key of ['pfx/a/1.bin', 'pfx/ab/1.bin', 'pfx/b/1.bin', 'pfx/a/2.bin'])
        await store.put(key, key);
      const keys = async (prefix: string): Promise<string[]> =>
        (await store.list(prefix)).items.map((i) => i.key);
      expect(await keys('pfx/a/')).toEqual(['pfx/a/1.bin', 'pfx/a/2.bin']);
      expect(await keys('pfx/a')).toEqual(['pfx/a/1.bin', 'pfx/a/2.bin', 'pfx/ab/1.bin']);
      expect(await keys('pfx/')).toEqual([
        'pfx/a/1.bin',
        'pfx/a/2.bin',
        'pfx/ab/1.bin',
        'pfx/b/1.bin',
      ]);
      expect(await keys('pfx/a/2')).toEqual(['pfx/a/2.bin']);
      expect(await keys('pfx/c/')).toEqual([]);
      expect(await keys('nothing/')).toEqual([]);
    });

    it('deletePrefix erases one tenant and leaves the other intact', async () => {
      const [victim, bystander] = [ids.next('tenant'), ids.next('tenant')];
      const s1 = ids.next('session');
      const s2 = ids.next('session');
      const victimKeys = [
        keyOf(victim, s1, 'call.wav'),
        keyOf(victim, s1, 'call.json', 'transcripts'),
        objectKey({
          tenantId: victim,
          kind: 'exports',
          at: Date.UTC(2025, 11, 31),
          sessionId: s2,
          name: 'export.zip',
        }),
      ];
      const bystanderKeys = [keyOf(bystander, s1, 'call.wav'), keyOf(bystander, s2, 'other.wav')];
      for (const key of [...victimKeys, ...bystanderKeys])
        await store.put(key, key, { metadata: { owner: 'x' } });

      expect(await store.deletePrefix(tenantPrefix(victim))).toBe(3);
      expect((await store.list(tenantPrefix(victim))).items).toEqual([]);
      for (const key of victimKeys) expect(await store.head(key)).toBeUndefined();
      for (const key of bystanderKeys) expect(decoder.decode(await store.get(key))).toBe(key);
      expect(await store.deletePrefix(tenantPrefix(victim))).toBe(0);
      await expectVoiceError(store.deletePrefix(victim), 'VALIDATION_FAILED');
      await expectVoiceError(store.deletePrefix(''), 'VALIDATION_FAILED');
      expect((await store.list('')).items.map((i) => i.key)).toEqual([...bystanderKeys].sort());
    });

    it('rejects invalid keys and prefixes with VALIDATION_FAILED', async () => {
      const bad = [
        'ten_x/../../etc/passwd',
        '../outside',
        '/etc/passwd',
        'ten_x\\..\\secret',
        'ten_x/a\u0000b',
        'ten_x//a',
        'ten_x/a/',
        'ten_x/./a',
        'ten_x/a\nb',
        '',
        '.',
        '.prx-meta-0/a',
        'x'.repeat(1025),
      ];
      for (const key of bad) {
        await expectVoiceError(store.put(key, 'evil'), 'VALIDATION_FAILED');
        await expectVoiceError(store.get(key), 'VALIDATION_FAILED');
        await expectVoiceError(store.getStream(key), 'VALIDATION_FAILED');
        await expectVoiceError(store.head(key), 'VALIDATION_FAILED');
        await expectVoiceError(store.delete(key), 'VALIDATION_FAILED');
      }
      for (const prefix of ['../', '/abs', 'a//', 'a\\b', 'a/../']) {
        await expectVoiceError(store.list(prefix), 'VALIDATION_FAILED');
        await expectVoiceError(store.deletePrefix(prefix), 'VALIDATION_FAILED');
      }
      expect((await store.list('')).items).toEqual([]);
    });

    it('rejects bad options with VALIDATION_FAILED', async () => {
      const key = keyOf(ids.next('tenant'), ids.next('session'), 'opts.bin');
      await expectVoiceError(
        store.put(key, 'x', { contentType: 'not a type' }),
        'VALIDATION_FAILED',
      );
      await expectVoiceError(
        store.put(key, 'x', { metadata: { 'Bad Key': 'v' } }),
        'VALIDATION_FAILED',
      );
      await expectVoiceError(
        store.put(key, 'x', { metadata: { ok: 'line\nbreak' } }),
        'VALIDATION_FAILED',
      );
      await expectVoiceError(
        store.put(key, 'x', { metadata: { big: 'v'.repeat(2100) } }),
        'VALIDATION_FAILED',
      );
      await expectVoiceError(store.put(key, 42 as unknown as string), 'VALIDATION_FAILED');
      await expectVoiceError(store.list('', { limit: 0 }), 'VALIDATION_FAILED');
      await expectVoiceError(store.list('', { limit: 1001 }), 'VALIDATION_FAILED');
      await store.put(key, 'x');
      await expectVoiceError(store.list('', { cursor: 'x' }), 'VALIDATION_FAILED');
      expect((await store.list('')).items.map((i) => i.key)).toEqual([key]);
    });

    it('round-trips keys made by objectKey through list and parseObjectKey', async () => {
      const tenantId = ids.next('tenant');
      const sessionId = ids.next('session');
      const parts = {
        tenantId,
        kind: 'exports' as const,
        at: new Date(Date.UTC(2026, 0, 5, 1, 2, 3)),
        sessionId,
        name: 'gdpr-export.v1.zip',
      };
      const key = objectKey(parts);
      expect(key).toBe(`${tenantId}/exports/2026/01/05/${sessionId}/gdpr-export.v1.zip`);
      await store.put(key, 'zip');
      const [item] = (await store.list(tenantPrefix(tenantId))).items;
      const parsed = parseObjectKey(item?.key ?? '');
      expect(parsed).toEqual({ ...parts, at: new Date(Date.UTC(2026, 0, 5)) });
      expect(objectKey(parsed)).toBe(key);
      expect(() => parseObjectKey('pfx/a/1.bin')).toThrow(VoiceError);
      expect(() => objectKey({ ...parts, name: '../evil' })).toThrow(/name/);
    });
  });
}
