import { VoiceError } from '@prx-voice/types';

/** A page of a cursor-paginated listing. */
export interface Page<T> {
  /** The items of this page. */
  readonly items: T[];
  /** Pass as `cursor` to get the next page; `null` on the last page. */
  readonly nextCursor: string | null;
}

/** Paging options of list queries. */
export interface PageOptions {
  /** Page size, 1–200 (default 50). */
  readonly limit?: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string | null;
}

/** Largest page a listing returns. */
export const MAX_PAGE_SIZE = 200;

/** The validated page size of options. */
export function pageSize(opts: PageOptions | undefined): number {
  const limit = opts?.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${String(limit)}`,
      details: { field: 'limit' },
    });
  }
  return limit;
}

/** Encodes a keyset position (the sort key of the last item) as an opaque cursor. */
export function encodeCursor(position: string | number): string {
  return Buffer.from(
    `v1:${typeof position === 'number' ? `n${position}` : `s${position}`}`,
  ).toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor}; a tampered or foreign cursor is VALIDATION_FAILED. */
export function decodeCursor(cursor: string, kind: 'string'): string;
export function decodeCursor(cursor: string, kind: 'number'): number;
export function decodeCursor(cursor: string, kind: 'string' | 'number'): string | number {
  const text = /^[A-Za-z0-9_-]{1,600}$/.test(cursor)
    ? Buffer.from(cursor, 'base64url').toString('utf8')
    : '';
  if (kind === 'number' && text.startsWith('v1:n')) {
    const n = Number(text.slice(4));
    if (Number.isSafeInteger(n) && n >= 0) return n;
  } else if (kind === 'string' && text.startsWith('v1:s') && text.length > 4) {
    return text.slice(4);
  }
  throw new VoiceError('VALIDATION_FAILED', {
    message: 'cursor is malformed',
    details: { field: 'cursor' },
  });
}

/** Splits `limit + 1` fetched rows into a page, with the cursor taken from the last item. */
export function toPage<T>(
  rows: T[],
  limit: number,
  position: (row: T) => string | number,
): Page<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: last === undefined ? null : encodeCursor(position(last)) };
}

/** Whether a database error is a unique-constraint violation (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === '23505';
}

/** Whether a database error is a foreign-key violation (SQLSTATE 23503). */
export function isForeignKeyViolation(err: unknown): boolean {
  return sqlState(err) === '23503';
}

function sqlState(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Maps a database failure to a VoiceError: constraint violations to CONFLICT
 * (or `notFound` for a missing parent), anything else to STORAGE_UNAVAILABLE.
 */
export function storageError(err: unknown, what: string, notFound?: VoiceError): VoiceError {
  if (VoiceError.is(err)) return err;
  if (isUniqueViolation(err))
    return new VoiceError('CONFLICT', { message: `${what}: already exists`, cause: err });
  if (isForeignKeyViolation(err)) {
    return (
      notFound ??
      new VoiceError('NOT_FOUND', {
        message: `${what}: a referenced record does not exist`,
        cause: err,
      })
    );
  }
  return new VoiceError('STORAGE_UNAVAILABLE', {
    message: `${what}: the database failed`,
    cause: err,
  });
}

/**
 * Whether a failed database call may succeed when tried again: the database is
 * restarting, unreachable, overloaded or a connection dropped (SQLSTATE classes 08, 40,
 * 53, 57, 58; Node socket errors; a connection ended without a code), or storage said
 * `STORAGE_UNAVAILABLE` / `TIMEOUT` / `NOT_READY`. A constraint, data or syntax error
 * is not.
 */
export function isTransientStorageError(err: unknown): boolean {
  if (VoiceError.is(err)) return TRANSIENT_CODES.has(err.code);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return true;
  if (/^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2));
  return code.startsWith('E');
}
const TRANSIENT_CODES = new Set<string>(['STORAGE_UNAVAILABLE', 'TIMEOUT', 'NOT_READY']);
const TRANSIENT_SQLSTATE_CLASSES = new Set(['08', '40', '53', '57', '58']);

/** The time source of repositories (a `Clock` satisfies it). */
export interface NowSource {
  now(): number;
}
