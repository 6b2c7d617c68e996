import { constants } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { ObjectInfo } from './object-store.js';
import { NO_FOLLOW, errnoCode, sidecarPath } from './filesystem-paths.js';

/** What the sidecar of an object file records. */
export interface Sidecar {
  /** Format version. */
  readonly v: 1;
  /** The object's key, so a sidecar can never describe another object. */
  readonly key: string;
  /** Inode of the object file it was written with; a file replaced behind our back does not match. */
  readonly ino: string;
  /** MIME type. */
  readonly contentType: string;
  /** User metadata. */
  readonly metadata: Record<string, string>;
  /** MD5 hex of the content. */
  readonly etag: string;
}

/** The facts of an object file that its info and sidecar check use. */
export interface FileFacts {
  /** Size in bytes. */
  readonly size: number;
  /** Last modification. */
  readonly mtime: Date;
  /** Inode, as a decimal string (64-bit safe). */
  readonly ino: string;
}

/** The facts of a `stat({ bigint: true })`. */
export function factsOf(stats: BigIntStats): FileFacts {
  return { size: Number(stats.size), mtime: stats.mtime, ino: stats.ino.toString() };
}

/**
 * Reads the sidecar of an object file; `undefined` if there is none or it does not
 * belong to this key and file (torn, foreign, or left from a file replaced by hand).
 */
export async function readSidecar(
  objectPath: string,
  key: string,
  facts: FileFacts,
): Promise<Sidecar | undefined> {
  let text: string;
  try {
    const fh = await open(sidecarPath(objectPath), constants.O_RDONLY | NO_FOLLOW);
    try {
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ELOOP') return undefined;
    throw err;
  }
  let parsed: Partial<Sidecar> | null;
  try {
    parsed = JSON.parse(text) as Partial<Sidecar> | null;
  } catch {
    return undefined;
  }
  const matches =
    parsed?.v === 1 &&
    parsed.key === key &&
    parsed.ino === facts.ino &&
    typeof parsed.contentType === 'string' &&
    typeof parsed.etag === 'string' &&
    typeof parsed.metadata === 'object';
  return matches ? (parsed as Sidecar) : undefined;
}

/** The info of an object file, with what its sidecar adds when there is one. */
export function toInfo(key: string, facts: FileFacts, sidecar: Sidecar | undefined): ObjectInfo {
  return {
    key,
    size: facts.size,
    ...(sidecar === undefined ? {} : { contentType: sidecar.contentType, etag: sidecar.etag }),
    metadata: { ...(sidecar?.metadata ?? {}) },
    lastModified: facts.mtime,
  };
}
