import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import {
  NO_FOLLOW,
  ensurePlainDirectory,
  errnoCode,
  escapesRoot,
  fsFailure,
  keyConflict,
  tempPath,
} from './filesystem-paths.js';

const READ_CHUNK = 64 * 1024;

/**
 * Makes the directories of a key and opens a fresh temp file beside where the
 * object will go. Retries if a concurrent delete prunes the directory in between.
 */
export async function openTemp(
  rootReal: string,
  dir: string,
  key: string,
): Promise<{ fh: FileHandle; temp: string }> {
  for (let attempt = 0; ; attempt++) {
    await ensurePlainDirectory(rootReal, dir, key);
    const temp = tempPath(dir);
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW;
    try {
      return { fh: await open(temp, flags, 0o644), temp };
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT' || attempt >= 3) throw err;
    }
  }
}

/** Throws if the object's path is a symlink (`VALIDATION_FAILED`) or a directory (`CONFLICT`). */
export async function assertReplaceable(target: string, key: string): Promise<void> {
  try {
    const st = await lstat(target);
    if (st.isSymbolicLink()) throw escapesRoot(key);
    if (st.isDirectory()) throw keyConflict(key);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
}

/** Writes a whole chunk, however many writes it takes. */
export async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

/** Streams an open file in 64 KiB chunks and closes it when done or abandoned mid-way. */
export async function* readChunks(fh: FileHandle): AsyncGenerator<Uint8Array> {
  try {
    for (;;) {
      const buf = new Uint8Array(READ_CHUNK);
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(buf, 0, READ_CHUNK, null));
      } catch (err) {
        throw fsFailure('getStream', err);
      }
      if (bytesRead === 0) return;
      yield bytesRead === READ_CHUNK ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** Runs tasks one after another per key (in this process), in call order. */
export function createKeyedQueue(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<void>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const result = (tails.get(key) ?? Promise.resolve()).then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return result;
  };
}
