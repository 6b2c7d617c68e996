import { VoiceError } from './voice-error.js';

/**
 * The kinds of identifier and their readable prefixes. An ID is
 * `<prefix>_<26 Crockford base32 characters>`: 128 bits laid out like a
 * UUIDv7 (48-bit millisecond timestamp, version, 12-bit monotonic counter,
 * variant, 62 random bits), so IDs sort by creation time as strings.
 */
export const ID_PREFIXES = {
  tenant: 'ten',
  session: 'sess',
  turn: 'turn',
  run: 'run',
  segment: 'seg',
  event: 'evt',
  request: 'req',
  apiKey: 'key',
  toolCall: 'call',
  recording: 'rec',
  incident: 'inc',
  audit: 'aud',
  ledger: 'led',
  meter: 'mtr',
  invoice: 'inv',
  priceBook: 'pb',
  lease: 'lse',
  export: 'exp',
  assistant: 'ast',
} as const;

/** A kind of identifier. */
export type IdKind = keyof typeof ID_PREFIXES;

declare const brand: unique symbol;

/** A string known to be a well-formed ID of kind `K`. */
export type Id<K extends IdKind> = string & { readonly [brand]: K };

/** A tenant's ID (`ten_…`). */
export type TenantId = Id<'tenant'>;
/** A session's ID (`sess_…`). */
export type SessionId = Id<'session'>;
/** A turn's ID (`turn_…`). */
export type TurnId = Id<'turn'>;
/** An agent/TTS run's ID (`run_…`). */
export type RunId = Id<'run'>;
/** An output audio segment's ID (`seg_…`). */
export type SegmentId = Id<'segment'>;
/** An event's ID (`evt_…`). */
export type EventId = Id<'event'>;
/** An HTTP request's ID (`req_…`). */
export type RequestId = Id<'request'>;
/** An API key's public ID (`key_…`), never the secret. */
export type ApiKeyId = Id<'apiKey'>;

/** Length of the encoded body after the prefix. */
export const ID_BODY_LENGTH = 26;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) {
  DECODE[ALPHABET.charCodeAt(i)] = i;
  DECODE[ALPHABET.toUpperCase().charCodeAt(i)] = i;
}
const PREFIX_TO_KIND = new Map<string, IdKind>(
  (Object.entries(ID_PREFIXES) as [IdKind, string][]).map(([kind, prefix]) => [prefix, kind]),
);
// First character carries only the top 3 of 130 bits (2 bits of padding): 0–7.
const BODY = /^[0-7][0-9a-hjkmnp-tv-z]{25}$/;
const MAX_TIME = 2 ** 48 - 1;

/** Produces new IDs. Inject one into everything that mints IDs; tests use a deterministic one. */
export interface IdGenerator {
  /** A new ID of the given kind. */
  next<K extends IdKind>(kind: K): Id<K>;
}

/** Options of {@link createIdGenerator}. */
export interface IdGeneratorOptions {
  /** Milliseconds since the epoch; defaults to `Date.now`. Pass a Clock's `now` for simulated time. */
  readonly now?: () => number;
  /** Fills the array with random bytes; defaults to `crypto.getRandomValues` (drawn a pool at a time). */
  readonly random?: (bytes: Uint8Array) => void;
}

/**
 * A generator of time-ordered IDs: within one millisecond a 12-bit counter
 * keeps them strictly increasing; when it overflows, or the clock steps back,
 * the timestamp part is carried forward so order is never lost.
 *
 * @example
 * const ids = createIdGenerator();
 * const sessionId = ids.next('session'); // 'sess_01jd…'
 */
export function createIdGenerator(options: IdGeneratorOptions = {}): IdGenerator {
  const now = options.now ?? Date.now;
  const random = options.random ?? pooledRandom();
  const bytes = new Uint8Array(16);
  const rnd = new Uint8Array(8);
  let lastMs = -1;
  let counter = 0;
  return {
    next<K extends IdKind>(kind: K): Id<K> {
      let ms = Math.floor(now());
      if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIME) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `ID clock returned ${ms}, expected milliseconds since the epoch`,
        });
      }
      random(rnd);
      if (ms <= lastMs) {
        counter++;
        if (counter > 0xfff) {
          lastMs++;
          counter = 0;
        }
        ms = lastMs;
      } else {
        lastMs = ms;
        // Start low in the counter space so bursts in one millisecond rarely overflow.
        counter = (rnd[0] ?? 0) & 0x3ff;
      }
      writeLayout(bytes, ms, counter, rnd);
      return (ID_PREFIXES[kind] + '_' + encodeBody(bytes)) as Id<K>;
    },
  };
}

/** Random bytes drawn a pool at a time: one `getRandomValues` call per 512 IDs instead of one each. */
function pooledRandom(): (bytes: Uint8Array) => void {
  const pool = new Uint8Array(4096);
  let at = pool.length;
  return (b) => {
    if (at + b.length > pool.length) {
      globalThis.crypto.getRandomValues(pool);
      at = 0;
    }
    b.set(pool.subarray(at, at + b.length));
    at += b.length;
  };
}

/**
 * A deterministic generator for tests and replays: IDs from a fixed start
 * time, one millisecond apart per call, with zero random bits.
 */
export function createSequentialIdGenerator(startMs = Date.UTC(2026, 0, 1)): IdGenerator {
  let n = 0;
  return createIdGenerator({ now: () => startMs + n++, random: (b) => b.fill(0) });
}

function writeLayout(out: Uint8Array, ms: number, counter: number, rnd: Uint8Array): void {
  const hi = Math.floor(ms / 2 ** 16);
  out[0] = (hi >>> 24) & 0xff;
  out[1] = (hi >>> 16) & 0xff;
  out[2] = (hi >>> 8) & 0xff;
  out[3] = hi & 0xff;
  out[4] = (ms >>> 8) & 0xff;
  out[5] = ms & 0xff;
  out[6] = 0x70 | ((counter >>> 8) & 0x0f);
  out[7] = counter & 0xff;
  out[8] = 0x80 | ((rnd[0] ?? 0) & 0x3f);
  for (let i = 1; i < 8; i++) out[8 + i] = rnd[i] ?? 0;
}

function encodeBody(bytes: Uint8Array): string {
  // 128 bits → 26 base32 digits, most significant first (2 leading pad bits).
  let out = '';
  let acc = 0;
  let bits = 2; // pretend two zero bits precede the value
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET.charAt((acc >>> bits) & 31);
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

function decodeBody(body: string): Uint8Array {
  const out = new Uint8Array(16);
  let acc = 0;
  let bits = -2; // drop the two pad bits
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    acc = ((acc << 5) | (DECODE[body.charCodeAt(i)] ?? 0)) & 0x3ff_ffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  return out;
}

/** Why a string is not an ID of a kind, or `undefined` if it is one. */
export function idProblem(kind: IdKind, value: unknown): string | undefined {
  if (typeof value !== 'string')
    return `expected a ${ID_PREFIXES[kind]}_… ID string, got ${typeof value}`;
  const sep = value.indexOf('_');
  if (sep <= 0)
    return `"${clip(value)}" is not an ID: expected ${ID_PREFIXES[kind]}_ followed by ${ID_BODY_LENGTH} base32 characters`;
  const prefix = value.slice(0, sep);
  if (prefix !== ID_PREFIXES[kind]) {
    const other = PREFIX_TO_KIND.get(prefix);
    return other === undefined
      ? `"${clip(value)}" has unknown prefix "${prefix}_", expected "${ID_PREFIXES[kind]}_"`
      : `"${clip(value)}" is a ${other} ID, expected a ${kind} ID (${ID_PREFIXES[kind]}_…)`;
  }
  const body = value.slice(sep + 1);
  if (body.length !== ID_BODY_LENGTH || !BODY.test(body.toLowerCase())) {
    return `"${clip(value)}" is malformed: expected ${ID_PREFIXES[kind]}_ followed by ${ID_BODY_LENGTH} Crockford base32 characters`;
  }
  return undefined;
}

/** Whether a value is a well-formed ID of the kind. */
export function isId<K extends IdKind>(kind: K, value: unknown): value is Id<K> {
  return idProblem(kind, value) === undefined;
}

/**
 * Validates an ID of an expected kind and returns it in canonical (lower-case)
 * form; throws `VoiceError('INVALID_ID')` naming what was wrong.
 */
export function parseId<K extends IdKind>(kind: K, value: unknown): Id<K> {
  const problem = idProblem(kind, value);
  if (problem !== undefined) {
    throw new VoiceError('INVALID_ID', {
      message: problem,
      details: { expected_kind: kind, expected_prefix: ID_PREFIXES[kind] },
    });
  }
  const s = value as string;
  const sep = s.indexOf('_');
  return (s.slice(0, sep + 1) + s.slice(sep + 1).toLowerCase()) as Id<K>;
}

/** The kind of a well-formed ID, or `undefined` for anything else. */
export function idKindOf(value: string): IdKind | undefined {
  const kind = PREFIX_TO_KIND.get(value.slice(0, value.indexOf('_')));
  return kind !== undefined && isId(kind, value) ? kind : undefined;
}

/** The creation time (epoch ms) encoded in an ID. */
export function idTimestamp(id: Id<IdKind>): number {
  const bytes = decodeBody(id.slice(id.indexOf('_') + 1).toLowerCase());
  let ms = 0;
  for (let i = 0; i < 6; i++) ms = ms * 256 + (bytes[i] ?? 0);
  return ms;
}

function clip(s: string): string {
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}
