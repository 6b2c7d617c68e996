import type { Dirent } from 'node:fs';
import { readdir, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { VoiceError } from '@prx-voice/types';
import { compareKeys, isValidKeySegment, objectKeyProblem } from './object-key.js';
import { errnoCode, fsFailure, isReservedName } from './filesystem-paths.js';

/** An object file found by {@link walkObjects}. */
export interface WalkedObject {
  /** Its key. */
  readonly key: string;
  /** Its file path. */
  readonly path: string;
}

/** Where a walk starts and what it yields. */
export interface WalkOptions {
  /** A plain (symlink-free) directory under the root. */
  readonly dir: string;
  /** The key prefix of `dir` (`''` for the root, else ending in `/`). */
  readonly dirKey: string;
  /** Only keys starting with this. */
  readonly prefix: string;
  /** Only keys after this one. */
  readonly startAfter?: string | undefined;
}

async function entriesOf(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return []; // removed while we walked
    throw fsFailure('listing', err);
  }
}

/**
 * Yields the object files under a directory in ascending key order. A directory
 * `d` sorts as `d/`, so a depth-first walk over sorted entries is already in key
 * order. Symlinks, the store's own files and names that are not valid key
 * segments are skipped, never followed.
 */
export async function* walkObjects(opts: WalkOptions): AsyncGenerator<WalkedObject> {
  const { prefix, startAfter } = opts;
  const sorted = (await entriesOf(opts.dir))
    .filter(
      (e) =>
        (e.isDirectory() || e.isFile()) && !isReservedName(e.name) && isValidKeySegment(e.name),
    )
    .map((e) => ({ entry: e, full: opts.dirKey + e.name + (e.isDirectory() ? '/' : '') }))
    .sort((a, b) => compareKeys(a.full, b.full));
  for (const { entry, full } of sorted) {
    if (entry.isDirectory()) {
      if (!full.startsWith(prefix) && !prefix.startsWith(full)) continue;
      // Every key below starts with `full`; skip the subtree if all of them are <= startAfter.
      if (
        startAfter !== undefined &&
        compareKeys(full, startAfter) < 0 &&
        !startAfter.startsWith(full)
      ) {
        continue;
      }
      yield* walkObjects({
        dir: path.join(opts.dir, entry.name),
        dirKey: full,
        prefix,
        startAfter,
      });
    } else if (
      full.startsWith(prefix) &&
      (startAfter === undefined || compareKeys(full, startAfter) > 0)
    ) {
      yield { key: full, path: path.join(opts.dir, entry.name) };
    }
  }
}

/**
 * Removes every object file, sidecar and temp file below a directory, and the
 * emptied directories below it; returns how many objects were removed. Symlinks
 * and foreign files are left alone (their directories then stay).
 */
export async function eraseTree(dir: string): Promise<number> {
  let removed = 0;
  for (const entry of await entriesOf(dir)) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      removed += await eraseTree(p);
      await removeDirIfEmpty(p);
    } else if (entry.isFile() && (isReservedName(entry.name) || isValidKeySegment(entry.name))) {
      const wasObject = !isReservedName(entry.name);
      if ((await unlinkIfExists(p)) && wasObject) removed++;
    }
  }
  return removed;
}

/** Unlinks a file; false if it was already gone. */
export async function unlinkIfExists(p: string): Promise<boolean> {
  try {
    await unlink(p);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw fsFailure('deleting', err);
  }
}

async function removeDirIfEmpty(p: string): Promise<void> {
  try {
    await rmdir(p);
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT')
      throw fsFailure('deleting', err);
  }
}

const CURSOR_PREFIX = 'fs1.';

/** The list cursor that continues after `lastKey`. */
export function encodeCursor(lastKey: string): string {
  return CURSOR_PREFIX + Buffer.from(lastKey, 'utf8').toString('base64url');
}

/** The key a cursor continues after; `VALIDATION_FAILED` unless it is one of ours for this prefix. */
export function decodeCursor(cursor: string, prefix: string): string {
  const key = cursor.startsWith(CURSOR_PREFIX)
    ? Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8')
    : '';
  if (objectKeyProblem(key) !== undefined || !key.startsWith(prefix)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: 'Invalid list cursor: pass the nextCursor of the previous page of the same prefix',
      details: { field: 'cursor' },
    });
  }
  return key;
}
