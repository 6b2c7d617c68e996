import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, open, rename, stat, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { VoiceError } from '@prx-voice/types';
import { normalizeBody, trackBody } from './object-body.js';
import { assertFolderPrefix, assertObjectKey, assertObjectPrefix } from './object-key.js';
import { listCursor, listLimit, normalizePutOptions } from './object-options.js';
import type { NormalizedPutOptions } from './object-options.js';
import type { ListObjectsResult, ObjectInfo, ObjectStore } from './object-store.js';
import {
  assertReplaceable,
  createKeyedQueue,
  openTemp,
  readChunks,
  writeAll,
} from './filesystem-io.js';
import {
  NO_FOLLOW,
  directoryIsPlain,
  errnoCode,
  escapesRoot,
  findRoot,
  fsFailure,
  keyConflict,
  keyPath,
  makeRoot,
  pruneEmptyDirectories,
  sidecarPath,
  tempPath,
} from './filesystem-paths.js';
import { factsOf, readSidecar, toInfo } from './filesystem-sidecar.js';
import type { FileFacts, Sidecar } from './filesystem-sidecar.js';
import {
  decodeCursor,
  encodeCursor,
  eraseTree,
  unlinkIfExists,
  walkObjects,
} from './filesystem-walk.js';

/** Options of {@link createFilesystemObjectStore}. */
export interface FilesystemObjectStoreOptions {
  /** Directory holding the objects; created on the first write. */
  readonly root: string;
}

/** An object file, open for reading. */
interface OpenObject {
  readonly fh: FileHandle;
  readonly facts: FileFacts;
  readonly path: string;
}

/** Carries an error thrown by a streamed body past the backend error mapping. */
class BodyFailure extends Error {
  constructor(readonly error: unknown) {
    super('the object body failed');
  }
}

/**
 * An object store on the local filesystem: each object is a file under `root` at
 * the path of its key, written atomically (temp file beside it, then rename) and
 * streamed without buffering; content type, metadata and etag live in a hidden
 * `.prx-meta-*.json` sidecar. No operation follows a symlink below the root.
 * Unlike S3 it cannot hold both `a/b` and `a/b/c` (`CONFLICT`).
 *
 * @example
 * const store = createFilesystemObjectStore({ root: path.join(dataDir, 'objects') });
 * await store.put(key, 'hello', { contentType: 'text/plain' });
 * const bytes = await store.get(key);
 */
export function createFilesystemObjectStore(options: FilesystemObjectStoreOptions): ObjectStore {
  const root = path.resolve(options.root);
  // Sidecar and object file change together: commits (and deletes) of a key take turns.
  const perKey = createKeyedQueue();

  async function guard<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw fsFailure(op, err);
    }
  }

  /** The plain path of a key's file, or `undefined` if its directory does not exist. */
  async function existingPath(key: string): Promise<string | undefined> {
    const rootReal = await findRoot(root);
    if (rootReal === undefined) return undefined;
    const target = keyPath(rootReal, key);
    return (await directoryIsPlain(rootReal, path.dirname(target), key)) ? target : undefined;
  }

  async function openObject(key: string): Promise<OpenObject | undefined> {
    const target = await existingPath(key);
    if (target === undefined) return undefined;
    let fh: FileHandle;
    try {
      fh = await open(target, constants.O_RDONLY | NO_FOLLOW);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      if (code === 'ELOOP') throw escapesRoot(key);
      throw err;
    }
    try {
      const stats = await fh.stat({ bigint: true });
      if (stats.isFile()) return { fh, facts: factsOf(stats), path: target };
    } catch (err) {
      await fh.close();
      throw err;
    }
    await fh.close();
    return undefined;
  }

  async function mustOpen(key: string): Promise<OpenObject> {
    const found = await openObject(key);
    if (found === undefined) {
      throw new VoiceError('NOT_FOUND', { message: 'No object has this key', details: { key } });
    }
    return found;
  }

  async function writeObject(
    key: string,
    source: Uint8Array | AsyncIterable<Uint8Array>,
    opts: NormalizedPutOptions,
  ): Promise<ObjectInfo> {
    const rootReal = await makeRoot(root);
    const target = keyPath(rootReal, key);
    const dir = path.dirname(target);
    const { fh, temp } = await openTemp(rootReal, dir, key);
    const metaTemp = tempPath(dir);
    const tracked = trackBody(source);
    try {
      const hash = createHash('md5');
      let ino: string;
      try {
        for await (const chunk of tracked.chunks) {
          hash.update(chunk);
          await writeAll(fh, chunk);
        }
        await fh.datasync();
        ino = (await fh.stat({ bigint: true })).ino.toString(); // rename keeps the inode
      } finally {
        await fh.close();
      }
      const sidecar: Sidecar = {
        v: 1,
        key,
        ino,
        contentType: opts.contentType,
        metadata: opts.metadata,
        etag: hash.digest('hex'),
      };
      await writeFile(metaTemp, JSON.stringify(sidecar), { flag: 'wx' });
      await perKey(target, async () => {
        await assertReplaceable(target, key);
        // Sidecar first: a new object never appears without its metadata.
        await rename(metaTemp, sidecarPath(target));
        try {
          await rename(temp, target);
        } catch (err) {
          const code = errnoCode(err);
          if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
            throw keyConflict(key, err);
          }
          throw err;
        }
      });
      return toInfo(key, factsOf(await stat(target, { bigint: true })), sidecar);
    } catch (err) {
      await Promise.allSettled([unlinkIfExists(temp), unlinkIfExists(metaTemp)]);
      const failure = tracked.failure();
      throw failure === undefined ? err : new BodyFailure(failure.error);
    }
  }

  async function deleteObject(key: string, target: string): Promise<boolean> {
    let isFile: boolean;
    try {
      const st = await lstat(target);
      if (st.isSymbolicLink()) throw escapesRoot(key);
      isFile = st.isFile();
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw err;
    }
    if (!isFile || !(await unlinkIfExists(target))) return false;
    await unlinkIfExists(sidecarPath(target));
    return true;
  }

  return {
    kind: 'filesystem',

    async put(key, body, opts) {
      assertObjectKey(key);
      const normalized = normalizePutOptions(opts);
      const source = normalizeBody(body);
      try {
        return await writeObject(key, source, normalized);
      } catch (err) {
        // The body's own error is rethrown as it is; everything else is the backend's.
        throw err instanceof BodyFailure ? err.error : fsFailure('put', err);
      }
    },

    async get(key) {
      assertObjectKey(key);
      return guard('get', async () => {
        const { fh } = await mustOpen(key);
        try {
          const buf = await fh.readFile();
          return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
        } finally {
          await fh.close();
        }
      });
    },

    async getStream(key) {
      assertObjectKey(key);
      const { fh } = await guard('getStream', () => mustOpen(key));
      return readChunks(fh);
    },

    async head(key) {
      assertObjectKey(key);
      return guard('head', async () => {
        const found = await openObject(key);
        if (found === undefined) return undefined;
        try {
          return toInfo(key, found.facts, await readSidecar(found.path, key, found.facts));
        } finally {
          await found.fh.close();
        }
      });
    },

    async delete(key) {
      assertObjectKey(key);
      return guard('delete', async () => {
        const target = await existingPath(key);
        if (target === undefined) return false;
        const deleted = await perKey(target, () => deleteObject(key, target));
        const rootReal = await findRoot(root);
        if (deleted && rootReal !== undefined) {
          await pruneEmptyDirectories(rootReal, path.dirname(target));
        }
        return deleted;
      });
    },

    async list(prefix, opts) {
      const p = assertObjectPrefix(prefix);
      const limit = listLimit(opts);
      const cursor = listCursor(opts);
      const startAfter = cursor === undefined ? undefined : decodeCursor(cursor, p);
      return guard('list', async (): Promise<ListObjectsResult> => {
        const rootReal = await findRoot(root);
        if (rootReal === undefined) return { items: [] };
        const dirKey = p.slice(0, p.lastIndexOf('/') + 1);
        const dir = dirKey === '' ? rootReal : keyPath(rootReal, dirKey.slice(0, -1));
        if (!(await directoryIsPlain(rootReal, dir, p))) return { items: [] };
        const items: ObjectInfo[] = [];
        let more = false;
        for await (const found of walkObjects({ dir, dirKey, prefix: p, startAfter })) {
          const st = await lstat(found.path).catch((err: unknown) => {
            if (errnoCode(err) === 'ENOENT') return undefined; // deleted while listing
            throw err;
          });
          if (st === undefined || !st.isFile()) continue;
          if (items.length === limit) {
            more = true;
            break;
          }
          items.push({ key: found.key, size: st.size, metadata: {}, lastModified: st.mtime });
        }
        const last = items.at(-1);
        return more && last !== undefined
          ? { items, nextCursor: encodeCursor(last.key) }
          : { items };
      });
    },

    async deletePrefix(prefix) {
      const p = assertFolderPrefix(prefix);
      return guard('deletePrefix', async () => {
        const rootReal = await findRoot(root);
        if (rootReal === undefined) return 0;
        const dir = keyPath(rootReal, p.slice(0, -1));
        if (!(await directoryIsPlain(rootReal, dir, p))) return 0;
        const removed = await eraseTree(dir);
        await pruneEmptyDirectories(rootReal, dir);
        return removed;
      });
    },

    async ping() {
      await guard('ping', async () => {
        await access(await makeRoot(root), constants.W_OK);
      });
    },
  };
}
