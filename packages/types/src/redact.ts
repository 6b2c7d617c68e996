/**
 * PII and secret redaction for logs and stored transcripts: {@link redact} for
 * text, {@link redactValue} for structured log payloads, {@link findPii} for the
 * spans, and {@link hashContent} to store a whole transcript as a keyed hash.
 */
import { createHmac } from 'node:crypto';
import { REDACTION_LEVELS, detectPii } from './redact-detectors.js';
import type { PiiFinding, PiiKind, RedactionLevel } from './redact-detectors.js';
import { VoiceError } from './voice-error.js';

export { PII_KINDS, REDACTION_LEVELS } from './redact-detectors.js';
export type { PiiFinding, PiiKind, RedactionLevel } from './redact-detectors.js';

/** How a finding is replaced: a fixed `[EMAIL]`-style mask, or a salted `[EMAIL:<12 hex>]` hash. */
export type RedactionMode = 'mask' | 'hash';

/** Options of {@link redact}. */
export interface RedactOptions {
  /** What to find (see {@link RedactionLevel}); default `'basic'`. */
  readonly level?: RedactionLevel;
  /** How to replace what is found; default `'mask'`. */
  readonly mode?: RedactionMode;
  /** HMAC key of hash mode; required (non-empty) when `mode` is `'hash'`. */
  readonly salt?: string;
}

/** Options of {@link redactValue}. */
export interface RedactValueOptions extends RedactOptions {
  /** Keys whose values are replaced whole by `'[REDACTED]'`; default {@link SENSITIVE_KEY_PATTERN}. */
  readonly sensitiveKey?: RegExp;
}

/** Options of {@link findPii}. */
export interface FindPiiOptions {
  /** What to find; default `'basic'`. */
  readonly level?: RedactionLevel;
}

/**
 * Object keys whose values {@link redactValue} replaces whole, whatever they
 * hold. It is tested against the key in snake case (`accessToken` and
 * `access-token` both become `access_token`) and matches whole words only, so
 * `max_tokens`, `prompt_tokens`, `passenger` and `bypass` are kept.
 */
export const SENSITIVE_KEY_PATTERN =
  /(?:^|_)(?:pass|password|passwd|passphrase|secret|token|authorization|api_?key|cookie|set_cookie|credentials?|private_key|signature)(?:_|$)/;

/** A key in lower snake case: `accessToken`, `Access-Token` → `access_token`. */
function snakeKey(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toLowerCase();
}

/** Placeholder label of each kind; `bearer` keeps the word `Bearer` before it. */
const LABELS: Readonly<Record<PiiKind, string>> = {
  email: 'EMAIL',
  phone: 'PHONE',
  card: 'CARD',
  digits: 'DIGITS',
  bearer: 'TOKEN',
  jwt: 'JWT',
  api_key: 'API_KEY',
  ipv4: 'IP',
};

/** Hex characters of the HMAC kept in a hash-mode placeholder. */
const HASH_HEX_LENGTH = 12;

interface Resolved {
  readonly level: RedactionLevel;
  readonly mode: RedactionMode;
  readonly salt: string;
}

function invalid(message: string, field: string): VoiceError {
  return new VoiceError('VALIDATION_FAILED', { message, details: { field } });
}

function checkSalt(salt: unknown): string {
  if (typeof salt !== 'string' || salt.length === 0) {
    throw invalid('Hash-mode redaction needs a non-empty salt.', 'salt');
  }
  return salt;
}

function checkLevel(level: unknown): RedactionLevel {
  const found = REDACTION_LEVELS.find((l) => l === level);
  if (found === undefined) throw invalid(`Unknown redaction level: ${String(level)}.`, 'level');
  return found;
}

function resolveOptions(options: RedactOptions | undefined): Resolved {
  const level = checkLevel(options?.level ?? 'basic');
  const mode = options?.mode ?? 'mask';
  if (mode === 'mask') return { level, mode, salt: '' };
  if ((mode as string) !== 'hash')
    throw invalid(`Unknown redaction mode: ${mode as string}.`, 'mode');
  return { level, mode, salt: checkSalt(options?.salt) };
}

/**
 * The value a hash is taken of, so formatting variants of one value hash alike:
 * e-mails lower-cased; phones, cards and digit runs reduced to their digits, a
 * 10-digit phone written without `+` read as North American (`1` prefixed) and a
 * `(0)` trunk prefix dropped; tokens, keys and addresses as they are.
 */
function normalize(kind: PiiKind, value: string): string {
  switch (kind) {
    case 'email':
      return value.toLowerCase();
    case 'phone': {
      const digits = value.replaceAll('(0)', '').replace(/\D/g, '');
      return !value.includes('+') && digits.length === 10 ? `1${digits}` : digits;
    }
    case 'card':
    case 'digits':
      return value.replace(/\D/g, '');
    case 'bearer':
    case 'jwt':
    case 'api_key':
    case 'ipv4':
      return value;
  }
}

function replacement(kind: PiiKind, value: string, options: Resolved): string {
  const label = LABELS[kind];
  if (options.mode === 'mask') return `[${label}]`;
  const hex = createHmac('sha256', options.salt)
    .update(`${kind}:${normalize(kind, value)}`)
    .digest('hex');
  return `[${label}:${hex.slice(0, HASH_HEX_LENGTH)}]`;
}

function redactResolved(text: string, options: Resolved): string {
  const findings = detectPii(text, options.level);
  if (findings.length === 0) return text;
  let out = '';
  let at = 0;
  for (const f of findings) {
    const value = text.slice(f.valueStart, f.valueEnd);
    out += text.slice(at, f.start) + replacement(f.kind, value, options);
    at = f.end;
  }
  return out + text.slice(at);
}

/**
 * Replaces the personal and secret data of `text` that `level` covers (default
 * `'basic'`; see {@link RedactionLevel} for the table) by `[EMAIL]`, `[PHONE]`,
 * `[CARD]`, `[DIGITS]`, `Bearer [TOKEN]`, `[JWT]`, `[API_KEY]` or `[IP]`; in hash
 * mode by `[EMAIL:<12 hex>]` etc., the hex being HMAC-SHA256 under `salt` of the
 * kind and the normalized value, so one value hashes alike across calls and
 * formats but differently under another salt. Throws `VALIDATION_FAILED` for
 * hash mode without a salt or an unknown level or mode.
 *
 * @example
 * redact('mail jane@example.com or call +1 415 555 2671'); // 'mail [EMAIL] or call [PHONE]'
 * redact('card 4111 1111 1111 1111', { mode: 'hash', salt }); // 'card [CARD:…]'
 */
export function redact(text: string, options?: RedactOptions): string {
  return redactResolved(text, resolveOptions(options));
}

/** The spans `redact` would replace at `level` (default `'basic'`), sorted and non-overlapping. */
export function findPii(text: string, options?: FindPiiOptions): PiiFinding[] {
  return detectPii(text, checkLevel(options?.level ?? 'basic')).map(({ kind, start, end }) => ({
    kind,
    start,
    end,
  }));
}

/** `'hmac-sha256:' + hex` of the whole text under `salt`, to store a transcript as a hash instead of text. */
export function hashContent(text: string, salt: string): string {
  return `hmac-sha256:${createHmac('sha256', checkSalt(salt)).update(text, 'utf8').digest('hex')}`;
}

function isBinary(value: object): value is ArrayBufferView | ArrayBuffer | SharedArrayBuffer {
  return (
    ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer
  );
}

function hasToJSON(value: object): value is { toJSON: () => unknown } {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/**
 * A deep copy of `value` fit for a structured log: every string redacted as by
 * {@link redact}, the value of every key matching `sensitiveKey` (default
 * {@link SENSITIVE_KEY_PATTERN}, tested on the snake-case key; a custom pattern is tested on the key as it is) replaced by `'[REDACTED]'` at every level,
 * cycles by `'[Circular]'`, Dates by ISO strings, binary data by
 * `'[Binary n bytes]'`; Maps become objects, Sets arrays, Errors objects with
 * name, message, stack and their own fields; numbers, booleans and null stay.
 *
 * @example
 * redactValue({ user: 'jane@example.com', password: 'hunter2' }); // { user: '[EMAIL]', password: '[REDACTED]' }
 */
export function redactValue(value: unknown, options?: RedactValueOptions): unknown {
  const resolved = resolveOptions(options);
  const sensitive = options?.sensitiveKey ?? SENSITIVE_KEY_PATTERN;
  const inProgress = new Set<object>();
  const done = new Map<object, unknown>();

  const entry = (key: string, v: unknown): [string, unknown] => [
    key,
    sensitive.test(options?.sensitiveKey === undefined ? snakeKey(key) : key)
      ? '[REDACTED]'
      : walk(v),
  ];

  const copyObject = (v: object): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => entry(String(k), x)));
    if (v instanceof Set) return [...v].map(walk);
    if (v instanceof Error) {
      const fields: [string, unknown][] = [
        ['name', v.name],
        ['message', walk(v.message)],
      ];
      if (typeof v.stack === 'string') fields.push(['stack', walk(v.stack)]);
      if (v.cause !== undefined) fields.push(entry('cause', v.cause));
      for (const [k, x] of Object.entries(v)) fields.push(entry(k, x));
      return Object.fromEntries(fields);
    }
    if (hasToJSON(v)) return walk(v.toJSON());
    return Object.fromEntries(Object.entries(v).map(([k, x]) => entry(k, x)));
  };

  function walk(v: unknown): unknown {
    if (typeof v === 'string') return redactResolved(v, resolved);
    if (typeof v !== 'object' || v === null) return v;
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
    if (isBinary(v)) return `[Binary ${v.byteLength} bytes]`;
    if (inProgress.has(v)) return '[Circular]';
    if (done.has(v)) return done.get(v);
    inProgress.add(v);
    try {
      const copy = copyObject(v);
      done.set(v, copy);
      return copy;
    } finally {
      inProgress.delete(v);
    }
  }

  return walk(value);
}
