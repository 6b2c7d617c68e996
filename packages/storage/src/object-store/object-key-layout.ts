import { VoiceError, idProblem, parseId } from '@prx-voice/types';
import type { Id, SessionId, TenantId } from '@prx-voice/types';
import { utf8Length } from './object-key.js';

/** The kinds of object PRX Voice stores, the second segment of every key. */
export const OBJECT_KINDS = ['recordings', 'exports', 'transcripts'] as const;

/** A kind of stored object. */
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/** Longest object name, in UTF-8 bytes. */
export const MAX_OBJECT_NAME_BYTES = 255;

/** The parts of a key in the `{tenant}/{kind}/{yyyy}/{mm}/{dd}/{session}/{name}` layout. */
export interface ObjectKeyParts {
  /** Owner of the object. */
  readonly tenantId: TenantId;
  /** What the object is. */
  readonly kind: ObjectKind;
  /** When it was made (a `Date` or epoch milliseconds); its UTC date becomes `yyyy/mm/dd`. */
  readonly at: Date | number;
  /** The session it belongs to; for `exports`, the export (`exp_…`), which spans sessions. */
  readonly sessionId: SessionId | Id<'export'>;
  /** File name: ASCII letters, digits, `.`, `_`, `-`; starts with a letter or digit; no `..`. */
  readonly name: string;
}

/** What {@link parseObjectKey} finds in a key; `at` is midnight UTC of the key's date. */
export interface ParsedObjectKey extends ObjectKeyParts {
  /** Midnight UTC of the date in the key. */
  readonly at: Date;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const KIND_SET: ReadonlySet<string> = new Set(OBJECT_KINDS);

function invalid(message: string, details: Record<string, unknown>, cause?: unknown): VoiceError {
  return new VoiceError('VALIDATION_FAILED', {
    message,
    details,
    ...(cause === undefined ? {} : { cause }),
  });
}

function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `expected a string name, got ${typeof name}`;
  if (utf8Length(name) > MAX_OBJECT_NAME_BYTES) {
    return `the name is longer than ${MAX_OBJECT_NAME_BYTES} bytes`;
  }
  if (!NAME.test(name)) {
    return `the name "${name.slice(0, 64)}" must be ASCII letters, digits, ".", "_" or "-", starting with a letter or digit`;
  }
  if (name.includes('..')) return `the name "${name.slice(0, 64)}" contains ".."`;
  return undefined;
}

/** What the key's sixth segment names: a session, or for `exports` an export (`exp_…`) or a session. */
function ownerKind(kind: ObjectKind, owner: unknown): 'session' | 'export' {
  return kind === 'exports' && typeof owner === 'string' && owner.startsWith('exp_')
    ? 'export'
    : 'session';
}

function isObjectKind(value: unknown): value is ObjectKind {
  return typeof value === 'string' && KIND_SET.has(value);
}

function utcDateParts(at: Date | number): [string, string, string] {
  const ms = at instanceof Date ? at.getTime() : at;
  const date = new Date(typeof ms === 'number' ? ms : Number.NaN);
  const year = date.getUTCFullYear();
  if (Number.isNaN(year) || year < 1 || year > 9999) {
    throw invalid('Invalid object key time: expected a Date or epoch ms within years 1–9999', {
      field: 'at',
    });
  }
  return [
    String(year).padStart(4, '0'),
    String(date.getUTCMonth() + 1).padStart(2, '0'),
    String(date.getUTCDate()).padStart(2, '0'),
  ];
}

/**
 * Builds the key of a tenant's object: `{tenant}/{kind}/{yyyy}/{mm}/{dd}/{session}/{name}`,
 * the date in UTC. Throws `INVALID_ID` for a malformed tenant or session ID and
 * `VALIDATION_FAILED` for a bad kind, time or name.
 *
 * @example
 * objectKey({ tenantId, kind: 'recordings', at: Date.UTC(2026, 0, 31), sessionId, name: 'call.wav' });
 * // 'ten_…/recordings/2026/01/31/sess_…/call.wav'
 */
export function objectKey(parts: ObjectKeyParts): string {
  const tenant = parseId('tenant', parts.tenantId);
  if (!isObjectKind(parts.kind)) {
    throw invalid(
      `Invalid object kind "${String(parts.kind)}": expected one of ${OBJECT_KINDS.join(', ')}`,
      { field: 'kind' },
    );
  }
  const session = parseId(ownerKind(parts.kind, parts.sessionId), parts.sessionId);
  const problem = nameProblem(parts.name);
  if (problem !== undefined) {
    throw invalid(`Invalid object name: ${problem}`, { field: 'name' });
  }
  const [yyyy, mm, dd] = utcDateParts(parts.at);
  return [tenant, parts.kind, yyyy, mm, dd, session, parts.name].join('/');
}

/**
 * Splits a key made by {@link objectKey} back into its parts; throws
 * `VALIDATION_FAILED` (with the ID error as cause, if any) for anything else.
 *
 * @example
 * const { tenantId, sessionId, name } = parseObjectKey(info.key);
 */
export function parseObjectKey(key: string): ParsedObjectKey {
  const fail = (problem: string, cause?: unknown): VoiceError =>
    invalid(
      `Not an object key of the {tenant}/{kind}/{yyyy}/{mm}/{dd}/{session}/{name} layout: ${problem}`,
      { field: 'key' },
      cause,
    );
  if (typeof key !== 'string') throw fail(`expected a string, got ${typeof key}`);
  const segments = key.split('/');
  if (segments.length !== 7) throw fail(`expected 7 segments, got ${segments.length}`);
  const [tenant, kind, yyyy, mm, dd, session, name] = segments as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const tenantProblem = idProblem('tenant', tenant);
  if (tenantProblem !== undefined) throw fail(tenantProblem);
  if (!isObjectKind(kind)) throw fail(`unknown kind "${kind.slice(0, 32)}"`);
  const at = parseDate(yyyy, mm, dd);
  if (at === undefined) throw fail(`"${yyyy}/${mm}/${dd}" is not a valid date`);
  const owner = ownerKind(kind, session);
  const sessionProblem = idProblem(owner, session);
  if (sessionProblem !== undefined) throw fail(sessionProblem);
  const problem = nameProblem(name);
  if (problem !== undefined) throw fail(problem);
  const parsed: ParsedObjectKey = {
    tenantId: parseId('tenant', tenant),
    kind,
    at,
    sessionId: parseId(owner, session),
    name,
  };
  // Only the canonical (lower-case ID) spelling is a key of the layout.
  if (objectKey(parsed) !== key) throw fail('the IDs are not in canonical lower case');
  return parsed;
}

function parseDate(yyyy: string, mm: string, dd: string): Date | undefined {
  if (!/^\d{4}$/.test(yyyy) || !/^\d{2}$/.test(mm) || !/^\d{2}$/.test(dd)) return undefined;
  const [y, m, d] = [Number(yyyy), Number(mm), Number(dd)];
  if (y < 1) return undefined;
  const date = new Date(Date.UTC(y, m - 1, d));
  date.setUTCFullYear(y); // Date.UTC maps years 0–99 to 1900–1999
  const valid =
    date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  return valid ? date : undefined;
}

/**
 * The prefix of every object of a tenant, ending in `/` so that `ten_a…` never
 * matches `ten_ab…`; for per-tenant `list` and `deletePrefix` (erasure).
 *
 * @example
 * await store.deletePrefix(tenantPrefix(tenantId));
 */
export function tenantPrefix(tenantId: TenantId): string {
  return `${parseId('tenant', tenantId)}/`;
}
