import { VoiceError } from '@prx-voice/types';

/** Longest key, in UTF-8 bytes (the S3 limit). */
export const MAX_OBJECT_KEY_BYTES = 1024;
/** Longest key segment, in UTF-8 bytes (a file name on common filesystems). */
export const MAX_KEY_SEGMENT_BYTES = 255;
/**
 * Segments starting with this (in any case) are reserved for the stores' own files
 * (the filesystem store's sidecars and temp files).
 */
export const RESERVED_SEGMENT_PREFIX = '.prx-';

const encoder = new TextEncoder();
// C0 controls, DEL, backslash: never in a key.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHAR = /[\u0000-\u001f\u007f\\]/;
const LONE_SURROGATE = /\p{Cs}/u;

/** The UTF-8 length of a string. */
export function utf8Length(s: string): number {
  return encoder.encode(s).length;
}

function segmentProblem(segment: string, index: number): string | undefined {
  if (segment === '') return `segment ${index + 1} is empty`;
  if (segment === '.' || segment === '..') return `segment ${index + 1} is "${segment}"`;
  if (segment.toLowerCase().startsWith(RESERVED_SEGMENT_PREFIX)) {
    return `segment ${index + 1} starts with the reserved "${RESERVED_SEGMENT_PREFIX}"`;
  }
  if (utf8Length(segment) > MAX_KEY_SEGMENT_BYTES) {
    return `segment ${index + 1} is longer than ${MAX_KEY_SEGMENT_BYTES} bytes`;
  }
  return undefined;
}

function charProblem(s: string): string | undefined {
  if (LONE_SURROGATE.test(s)) return 'contains an unpaired surrogate';
  const bad = FORBIDDEN_CHAR.exec(s);
  if (bad === null) return undefined;
  const code = bad[0].charCodeAt(0);
  return code === 0x5c
    ? 'contains a backslash'
    : `contains control character U+${code.toString(16).padStart(4, '0')}`;
}

/**
 * Why a string is not a valid object key, or `undefined` if it is one. A key is
 * 1–1024 UTF-8 bytes of `/`-separated segments; no leading `/`, no empty, `.` or
 * `..` segment, no backslash or control character, no segment over 255 bytes or
 * starting with `.prx-`.
 */
export function objectKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return `expected a string key, got ${typeof key}`;
  if (key === '') return 'the key is empty';
  if (utf8Length(key) > MAX_OBJECT_KEY_BYTES) {
    return `the key is longer than ${MAX_OBJECT_KEY_BYTES} bytes`;
  }
  const chars = charProblem(key);
  if (chars !== undefined) return `the key ${chars}`;
  if (key.startsWith('/')) return 'the key starts with "/"';
  const segments = key.split('/');
  for (let i = 0; i < segments.length; i++) {
    const problem = segmentProblem(segments[i] ?? '', i);
    if (problem !== undefined) return `in the key, ${problem}`;
  }
  return undefined;
}

function invalid(what: 'key' | 'prefix', value: unknown, problem: string): VoiceError {
  return new VoiceError('VALIDATION_FAILED', {
    message: `Invalid object ${what}: ${problem}`,
    details: { field: what, value: typeof value === 'string' ? clip(value) : typeof value },
  });
}

/** Returns the key if valid; throws `VALIDATION_FAILED` naming the problem otherwise. */
export function assertObjectKey(key: unknown): string {
  const problem = objectKeyProblem(key);
  if (problem !== undefined) throw invalid('key', key, problem);
  return key as string;
}

/**
 * Returns a list prefix if valid: `''`, or a key-like string whose complete segments
 * follow the key rules and whose last, partial segment (after the final `/`) has no
 * forbidden characters. Throws `VALIDATION_FAILED` otherwise.
 */
export function assertObjectPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') throw invalid('prefix', prefix, 'expected a string');
  if (prefix === '') return prefix;
  const problem = prefixProblem(prefix);
  if (problem !== undefined) throw invalid('prefix', prefix, problem);
  return prefix;
}

/** Like {@link assertObjectPrefix}, but also requires a non-empty prefix ending in `/`. */
export function assertFolderPrefix(prefix: unknown): string {
  const p = assertObjectPrefix(prefix);
  if (!p.endsWith('/')) {
    throw invalid('prefix', prefix, 'expected a non-empty prefix ending in "/"');
  }
  return p;
}

function prefixProblem(prefix: string): string | undefined {
  if (utf8Length(prefix) > MAX_OBJECT_KEY_BYTES) {
    return `longer than ${MAX_OBJECT_KEY_BYTES} bytes`;
  }
  const chars = charProblem(prefix);
  if (chars !== undefined) return chars;
  if (prefix.startsWith('/')) return 'starts with "/"';
  const segments = prefix.split('/');
  // The last piece is a partial segment ('' after a trailing '/'): only characters matter.
  for (let i = 0; i < segments.length - 1; i++) {
    const problem = segmentProblem(segments[i] ?? '', i);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** Whether a string is a valid key segment (a file or directory name of a key). */
export function isValidKeySegment(segment: string): boolean {
  return (
    segmentProblem(segment, 0) === undefined &&
    charProblem(segment) === undefined &&
    !segment.includes('/')
  );
}

/** Splits a valid key into its segments. */
export function keySegments(key: string): string[] {
  return key.split('/');
}

/** Compares keys in UTF-8 byte order (= code point order), the order S3 lists in. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(i) ?? 0;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function clip(s: string): string {
  return s.length > 128 ? `${s.slice(0, 125)}...` : s;
}
