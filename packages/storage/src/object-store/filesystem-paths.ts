import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, realpath, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { VoiceError } from '@prx-voice/types';
import { RESERVED_SEGMENT_PREFIX, keySegments } from './object-key.js';

/** Open flags that refuse to follow a symlink in the last path component (0 where unsupported). */
export const NO_FOLLOW: number = (constants as { O_NOFOLLOW?: number }).O_NOFOLLOW ?? 0;

/** The error code of a Node.js system error, if it is one. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Wraps a filesystem failure as `STORAGE_UNAVAILABLE` (a VoiceError passes through). */
export function fsFailure(op: string, err: unknown): VoiceError {
  if (VoiceError.is(err)) return err;
  return new VoiceError('STORAGE_UNAVAILABLE', {
    message: `Filesystem object store: ${op} failed${codeSuffix(err)}`,
    details: {
      backend: 'filesystem',
      op,
      ...(errnoCode(err) === undefined ? {} : { errno: errnoCode(err) }),
    },
    cause: err,
  });
}

function codeSuffix(err: unknown): string {
  const code = errnoCode(err);
  return code === undefined ? '' : ` (${code})`;
}

/** The error for a path that leaves the root (through a symlink, or a bug in key checks). */
export function escapesRoot(key: string): VoiceError {
  return new VoiceError('VALIDATION_FAILED', {
    message: 'Invalid object key: its path resolves outside the object store root',
    details: { field: 'key', reason: 'outside_root', value: key.slice(0, 128) },
  });
}

/** The error for a key whose path is taken by a directory or runs through an object. */
export function keyConflict(key: string, cause?: unknown): VoiceError {
  return new VoiceError('CONFLICT', {
    message:
      'The filesystem object store cannot hold this key: an object and a key prefix would share a path',
    details: { key: key.slice(0, 128) },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * The real path of the root directory, or `undefined` when it does not exist.
 * A root that is not a directory is `STORAGE_UNAVAILABLE`.
 */
export async function findRoot(root: string): Promise<string | undefined> {
  try {
    const real = await realpath(root);
    const st = await stat(real);
    if (!st.isDirectory()) {
      throw new VoiceError('STORAGE_UNAVAILABLE', {
        message: 'Filesystem object store: the root is not a directory',
        details: { backend: 'filesystem', op: 'root' },
        retryable: false,
      });
    }
    return real;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw fsFailure('opening the root', err);
  }
}

/** Like {@link findRoot}, but creates a missing root. */
export async function makeRoot(root: string): Promise<string> {
  const found = await findRoot(root);
  if (found !== undefined) return found;
  try {
    await mkdir(root, { recursive: true });
  } catch (err) {
    throw fsFailure('creating the root', err);
  }
  const made = await findRoot(root);
  if (made === undefined) throw fsFailure('creating the root', new Error('the root vanished'));
  return made;
}

/** Whether `p` is strictly below `root`. */
export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** The file path of a (validated) key under the real root; throws if it would leave it. */
export function keyPath(rootReal: string, key: string): string {
  const p = path.join(rootReal, ...keySegments(key));
  if (!isInside(rootReal, p)) throw escapesRoot(key);
  return p;
}

/**
 * Checks that an existing directory under the root is reached without symlinks.
 * Returns false if it does not exist (or a component is a file).
 */
export async function directoryIsPlain(
  rootReal: string,
  dir: string,
  key: string,
): Promise<boolean> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw fsFailure('resolving a directory', err);
  }
  if (real !== dir || (real !== rootReal && !isInside(rootReal, real))) throw escapesRoot(key);
  return true;
}

/**
 * Creates the directories from the root down to `dir`, one at a time, refusing
 * symlinks (`VALIDATION_FAILED`) and files (`CONFLICT`) on the way.
 */
export async function ensurePlainDirectory(
  rootReal: string,
  dir: string,
  key: string,
): Promise<void> {
  if (dir !== rootReal && !isInside(rootReal, dir)) throw escapesRoot(key);
  let current = rootReal;
  for (const part of path.relative(rootReal, dir).split(path.sep)) {
    if (part === '') continue;
    current = path.join(current, part);
    for (let attempt = 0; ; attempt++) {
      try {
        const st = await lstat(current);
        if (st.isSymbolicLink()) throw escapesRoot(key);
        if (!st.isDirectory()) throw keyConflict(key);
        break;
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT' || attempt > 2)
          throw fsFailure('creating directories', err);
      }
      try {
        await mkdir(current);
        break;
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw fsFailure('creating directories', err);
        // Made concurrently: check what it is on the next attempt.
      }
    }
  }
}

/** Removes empty directories from `dir` up to (not including) the root. */
export async function pruneEmptyDirectories(rootReal: string, dir: string): Promise<void> {
  let current = dir;
  while (isInside(rootReal, current)) {
    try {
      await rmdir(current);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') {
        current = path.dirname(current);
        continue;
      }
      return; // not empty (ENOTEMPTY/EEXIST), or not ours to remove
    }
    current = path.dirname(current);
  }
}

/** Whether a directory entry is one of the store's own files (sidecar or temp file). */
export function isReservedName(name: string): boolean {
  return name.toLowerCase().startsWith(RESERVED_SEGMENT_PREFIX);
}

/** The sidecar (content type, metadata, etag) of an object file: `.prx-meta-<hash of name>.json` beside it. */
export function sidecarPath(objectPath: string): string {
  const hash = createHash('sha256').update(path.basename(objectPath)).digest('hex').slice(0, 32);
  return path.join(path.dirname(objectPath), `${RESERVED_SEGMENT_PREFIX}meta-${hash}.json`);
}

/** A fresh temp file path in a directory: `.prx-tmp-<random>`. */
export function tempPath(dir: string): string {
  return path.join(dir, `${RESERVED_SEGMENT_PREFIX}tmp-${randomBytes(12).toString('hex')}`);
}
