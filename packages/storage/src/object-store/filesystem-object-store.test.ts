import {
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFilesystemObjectStore } from './filesystem-object-store.js';
import { describeObjectStoreContract, expectVoiceError } from './object-store.contract.js';

describeObjectStoreContract('filesystem', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'prx-objects-'));
  return {
    store: createFilesystemObjectStore({ root: path.join(root, 'objects') }),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

/** Every path below a directory, relative, sorted (symlinks not followed). */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => []);
  return entries.map((e) => e.split(path.sep).join('/')).sort();
}

describe('filesystem object store', () => {
  let base: string;
  let root: string;
  let outside: string;

  beforeEach(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'prx-objects-fs-'));
    root = path.join(base, 'root');
    outside = path.join(base, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.txt'), 'top secret');
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('mirrors keys as files, hides its sidecars and leaves no temp files', async () => {
    const store = createFilesystemObjectStore({ root });
    await store.put('ten_a/recordings/x.wav', 'RIFF', {
      contentType: 'audio/wav',
      metadata: { a: 'b' },
    });
    await store.put(
      'ten_a/recordings/y.wav',
      (async function* () {
        await Promise.resolve();
        yield new Uint8Array([1, 2]);
        yield new Uint8Array([3]);
      })(),
    );
    expect(await readFile(path.join(root, 'ten_a', 'recordings', 'x.wav'), 'utf8')).toBe('RIFF');
    const files = await tree(root);
    expect(files.filter((f) => f.includes('.prx-tmp-'))).toEqual([]);
    expect(files.filter((f) => f.includes('.prx-meta-'))).toHaveLength(2);
    expect((await store.list('')).items.map((i) => i.key)).toEqual([
      'ten_a/recordings/x.wav',
      'ten_a/recordings/y.wav',
    ]);
  });

  it('rejects traversal before touching the disk', async () => {
    const store = createFilesystemObjectStore({ root });
    for (const key of ['ten_x/../../outside/secret.txt', '../outside/secret.txt', '/etc/passwd']) {
      await expectVoiceError(store.put(key, 'pwned'), 'VALIDATION_FAILED');
      await expectVoiceError(store.get(key), 'VALIDATION_FAILED');
      await expectVoiceError(store.delete(key), 'VALIDATION_FAILED');
    }
    expect(await tree(base)).toEqual(['outside', 'outside/secret.txt']); // root was never even created
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
  });

  it('refuses directory symlinks that lead out of the root', async () => {
    const store = createFilesystemObjectStore({ root });
    await store.put('ten_ok/a.bin', 'fine');
    await symlink(outside, path.join(root, 'ten_evil'), 'dir');
    await expectVoiceError(store.get('ten_evil/secret.txt'), 'VALIDATION_FAILED');
    await expectVoiceError(store.head('ten_evil/secret.txt'), 'VALIDATION_FAILED');
    await expectVoiceError(store.put('ten_evil/planted.txt', 'x'), 'VALIDATION_FAILED');
    await expectVoiceError(store.put('ten_evil/deeper/planted.txt', 'x'), 'VALIDATION_FAILED');
    await expectVoiceError(store.delete('ten_evil/secret.txt'), 'VALIDATION_FAILED');
    await expectVoiceError(store.list('ten_evil/'), 'VALIDATION_FAILED');
    await expectVoiceError(store.deletePrefix('ten_evil/'), 'VALIDATION_FAILED');
    expect((await store.list('')).items.map((i) => i.key)).toEqual(['ten_ok/a.bin']);
    expect(await tree(outside)).toEqual(['secret.txt']);
  });

  it('refuses file symlinks and never erases through them', async () => {
    const store = createFilesystemObjectStore({ root });
    await store.put('ten_a/keep.bin', 'mine');
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'ten_a', 'leak.txt'));
    await symlink(outside, path.join(root, 'ten_a', 'dir-link'), 'dir');
    await expectVoiceError(store.get('ten_a/leak.txt'), 'VALIDATION_FAILED');
    await expectVoiceError(store.getStream('ten_a/leak.txt'), 'VALIDATION_FAILED');
    await expectVoiceError(store.head('ten_a/leak.txt'), 'VALIDATION_FAILED');
    await expectVoiceError(store.delete('ten_a/leak.txt'), 'VALIDATION_FAILED');
    await expectVoiceError(store.put('ten_a/leak.txt', 'overwrite'), 'VALIDATION_FAILED');
    expect((await store.list('ten_a/')).items.map((i) => i.key)).toEqual(['ten_a/keep.bin']);
    expect(await store.deletePrefix('ten_a/')).toBe(1);
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
    expect(await tree(outside)).toEqual(['secret.txt']);
  });

  it('is STORAGE_UNAVAILABLE when the root is a file', async () => {
    const file = path.join(base, 'not-a-dir');
    await writeFile(file, 'x');
    const store = createFilesystemObjectStore({ root: file });
    const err = await expectVoiceError(store.ping(), 'STORAGE_UNAVAILABLE');
    expect(err.retryable).toBe(false);
    await expectVoiceError(store.put('ten_a/x.bin', 'x'), 'STORAGE_UNAVAILABLE');
    await expectVoiceError(store.get('ten_a/x.bin'), 'STORAGE_UNAVAILABLE');
    await expectVoiceError(store.list(''), 'STORAGE_UNAVAILABLE');
    const below = createFilesystemObjectStore({ root: path.join(file, 'objects') });
    const cause = await expectVoiceError(below.put('ten_a/x.bin', 'x'), 'STORAGE_UNAVAILABLE');
    expect(cause.cause).toBeInstanceOf(Error);
  });

  it('treats a missing root as empty and creates it on the first write', async () => {
    const store = createFilesystemObjectStore({ root });
    await expectVoiceError(store.get('a/b.bin'), 'NOT_FOUND');
    expect(await store.head('a/b.bin')).toBeUndefined();
    expect(await store.delete('a/b.bin')).toBe(false);
    expect(await store.list('')).toEqual({ items: [] });
    expect(await store.deletePrefix('a/')).toBe(0);
    expect(await tree(base)).toEqual(['outside', 'outside/secret.txt']);
    await store.put('a/b.bin', 'x');
    expect(await tree(root)).toContain('a/b.bin');
  });

  it('prunes emptied directories on delete and deletePrefix, never the root', async () => {
    const store = createFilesystemObjectStore({ root });
    await store.put('ten_a/recordings/2026/01/01/s/a.wav', 'a');
    await store.put('ten_b/recordings/2026/01/01/s/b.wav', 'b');
    expect(await store.delete('ten_a/recordings/2026/01/01/s/a.wav')).toBe(true);
    expect(await store.deletePrefix('ten_b/')).toBe(1);
    expect(await tree(root)).toEqual([]);
  });

  it('erases stray temp files and sidecars under the prefix too', async () => {
    const store = createFilesystemObjectStore({ root });
    await store.put('ten_a/s/a.wav', 'a');
    await writeFile(path.join(root, 'ten_a', 's', '.prx-tmp-crashed'), 'partial recording');
    expect((await store.list('')).items.map((i) => i.key)).toEqual(['ten_a/s/a.wav']);
    expect(await store.deletePrefix('ten_a/')).toBe(1);
    expect(await tree(root)).toEqual([]);
  });

  it('is CONFLICT when an object and a key prefix would share a path', async () => {
    const store = createFilesystemObjectStore({ root });
    await store.put('a/b', 'object');
    await expectVoiceError(store.put('a/b/c', 'below an object'), 'CONFLICT');
    await store.put('x/y/z', 'deep');
    await expectVoiceError(store.put('x/y', 'onto a directory'), 'CONFLICT');
    expect(await store.get('a/b')).toEqual(new TextEncoder().encode('object'));
    expect(await store.head('x/y')).toBeUndefined();
    await expectVoiceError(store.get('a/b/c'), 'NOT_FOUND');
  });

  it('lists in UTF-8 byte order even where directory and file names interleave', async () => {
    const store = createFilesystemObjectStore({ root });
    const keys = ['p/a/x', 'p/a-b', 'p/a.b', 'p/a0', 'p/é', 'p/z', 'p/\u{1f600}', 'p/\uffee'];
    for (const key of keys) await store.put(key, key);
    const byBytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list('p/', {
        limit: 2,
        ...(cursor === undefined ? {} : { cursor }),
      });
      seen.push(...page.items.map((i) => i.key));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(byBytes);
  });

  it('keeps sidecar and content together under concurrent overwrites', async () => {
    const store = createFilesystemObjectStore({ root });
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.put('t/race.txt', `take ${i}`, {
          contentType: `text/x-take-${i}`,
          metadata: { take: String(i) },
        }),
      ),
    );
    const text = new TextDecoder().decode(await store.get('t/race.txt'));
    const take = text.replace('take ', '');
    expect(await store.head('t/race.txt')).toMatchObject({
      contentType: `text/x-take-${take}`,
      metadata: { take },
    });
    expect((await tree(root)).filter((f) => f.includes('.prx-'))).toHaveLength(1);
  });

  it('drops the sidecar of a file replaced behind its back', async () => {
    const store = createFilesystemObjectStore({ root });
    await store.put('t/a.bin', 'original', { contentType: 'audio/wav', metadata: { k: 'v' } });
    const file = path.join(root, 't', 'a.bin');
    await writeFile(`${file}.new`, 'replaced by hand');
    await rename(`${file}.new`, file);
    const info = await store.head('t/a.bin');
    expect(info).toMatchObject({ size: 16, metadata: {} });
    expect(info?.contentType).toBeUndefined();
    expect(info?.etag).toBeUndefined();
  });

  it('ignores files it cannot address and a sidecar that does not belong', async () => {
    const store = createFilesystemObjectStore({ root });
    await store.put('t/a.bin', 'a', { contentType: 'audio/wav' });
    await writeFile(path.join(root, 't', 'bad\\name'), 'x');
    expect((await store.list('')).items.map((i) => i.key)).toEqual(['t/a.bin']);
    await rm(root, { recursive: true });
    await mkdir(path.join(root, 't'), { recursive: true });
    await writeFile(path.join(root, 't', 'a.bin'), 'hand-made');
    expect(await store.head('t/a.bin')).toMatchObject({ size: 9, metadata: {} });
    expect((await store.head('t/a.bin'))?.contentType).toBeUndefined();
  });
});
