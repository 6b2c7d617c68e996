/**
 * Crypto-shredding for GDPR erasure: each data subject's recordings and transcripts are
 * encrypted under a per-subject data key, the data key is stored only wrapped under a
 * master key, and erasing the subject's wrapped key makes every copy unreadable.
 *
 * All ciphers are AES-256-GCM with a random 96-bit nonce and the caller's `aad` (UTF-8)
 * bound, so a value sealed for one tenant or subject cannot be opened as another's.
 *
 * - A wrapped key is `v1.<nonce b64url>.<ciphertext ‖ tag b64url>` (12-byte nonce,
 *   32-byte ciphertext, 16-byte tag).
 * - A sealed text is `sealed:v1:<b64url(nonce ‖ ciphertext ‖ tag)>`.
 * - Large objects are sealed as a stream, see `sealing-stream.ts`.
 *
 * Base64url is written without padding. Anything that does not decrypt — wrong key, wrong
 * `aad`, tampered or malformed text — is a `VoiceError` `INTERNAL` (not retryable) with
 * `details.reason`, never partial plaintext.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { VoiceError } from '@prx-voice/types';

/** A 32-byte AES-256 key. */
export type DataKey = Uint8Array;

/** Why a sealed value did not open (`details.reason` of the error). */
export type OpenFailure =
  'malformed' | 'unsupported_version' | 'authentication_failed' | 'truncated' | 'unknown_key';

/** Bytes of an AES-256 key. */
export const KEY_BYTES = 32;
/** Bytes of a GCM nonce. */
export const NONCE_BYTES = 12;
/** Bytes of a GCM authentication tag. */
export const TAG_BYTES = 16;

const CIPHER = 'aes-256-gcm';
const WRAP_VERSION = 'v1';
const TEXT_PREFIX = 'sealed:v1:';
/** The shortest sealed text: nonce and tag of an empty plaintext, 28 bytes in base64url. */
const SEALED_TEXT_RE = /^sealed:v1:[A-Za-z0-9_-]{38,}$/;
const B64URL_RE = /^[A-Za-z0-9_-]*$/;
const MIN_SUBJECT_SECRET_BYTES = 16;

/** The error of a value that does not open; `reason` says which check failed. */
export function openFailed(what: string, reason: OpenFailure): VoiceError {
  const messages: Record<OpenFailure, string> = {
    malformed: 'is malformed',
    unsupported_version: 'has an unsupported format version',
    authentication_failed: 'does not authenticate (wrong key or aad, or tampered)',
    truncated: 'is truncated',
    unknown_key: 'names a master key that is not configured',
  };
  return new VoiceError('INTERNAL', {
    message: `Cannot decrypt ${what}: it ${messages[reason]}.`,
    retryable: false,
    details: { reason },
  });
}

/** Throws unless `key` is a 32-byte key: a programming error, not bad input. */
export function checkKey(key: Uint8Array, what: string): void {
  if (key.length !== KEY_BYTES) {
    throw new VoiceError('INTERNAL', {
      message: `${what} must be ${String(KEY_BYTES)} bytes, got ${String(key.length)}.`,
      retryable: false,
    });
  }
}

/** AES-256-GCM of `plaintext` under `key`, `nonce` and `aad` → ciphertext ‖ tag. */
export function gcmSeal(
  key: DataKey,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Buffer {
  const cipher = createCipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Opens ciphertext ‖ tag; `undefined` when it does not authenticate. */
export function gcmOpen(
  key: DataKey,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array,
): Buffer | undefined {
  if (sealed.length < TAG_BYTES) return undefined;
  const split = sealed.length - TAG_BYTES;
  const decipher = createDecipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(split));
  const head = decipher.update(sealed.subarray(0, split));
  try {
    return Buffer.concat([head, decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Unpadded base64url, canonical only: one encoding per value, so sealed text is not malleable. */
function fromB64url(text: string): Buffer | undefined {
  if (!B64URL_RE.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/**
 * Parses a master key given in config: 32 bytes as base64 (standard or url alphabet,
 * padding optional) or as 64 hex characters; surrounding whitespace is ignored.
 *
 * @throws VoiceError `VALIDATION_FAILED` naming `field` (in the message and `details.field`).
 * @example
 * const master = parseMasterKey(process.env.PRX_SEAL_KEY ?? '', 'audit.sealing.master_key');
 */
export function parseMasterKey(text: string, field: string): DataKey {
  const trimmed = text.trim();
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) {
    bytes = Buffer.from(trimmed, 'hex');
  } else if (/^[A-Za-z0-9+/]{43}=?$/.test(trimmed) || /^[A-Za-z0-9_-]{43}=?$/.test(trimmed)) {
    const unpadded = trimmed.replace(/=$/, '');
    const decoded = Buffer.from(unpadded, 'base64');
    // Canonical only: the two spare bits of the last character must be zero.
    const again = decoded.toString(
      unpadded.includes('-') || unpadded.includes('_') ? 'base64url' : 'base64',
    );
    if (decoded.length === KEY_BYTES && again.replace(/=$/, '') === unpadded) bytes = decoded;
  }
  if (bytes === undefined) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `${field}: expected a ${String(KEY_BYTES)}-byte key as base64, base64url or 64 hex characters.`,
      details: { field },
    });
  }
  return new Uint8Array(bytes);
}

/** A fresh random data key (32 bytes from the CSPRNG). */
export function newDataKey(): DataKey {
  return new Uint8Array(randomBytes(KEY_BYTES));
}

/**
 * The pseudonymous, stable reference of a data subject within a tenant:
 * `subj_` + the first 32 hex characters of HMAC-SHA256(secret, tenantId ‖ NUL ‖ key ‖ NUL ‖
 * value). The same inputs give the same ref; without the secret it reveals nothing of the
 * value. `secret` must be at least 16 bytes.
 *
 * @example
 * subjectRef(secret, 'ten_1', 'phone', '+15551234567'); // 'subj_3f…' (37 characters)
 */
export function subjectRef(
  secret: Uint8Array,
  tenantId: string,
  key: string,
  value: string,
): string {
  if (secret.length < MIN_SUBJECT_SECRET_BYTES) {
    throw new VoiceError('INTERNAL', {
      message: `The subject ref secret must be at least ${String(MIN_SUBJECT_SECRET_BYTES)} bytes.`,
      retryable: false,
    });
  }
  const mac = createHmac('sha256', secret).update(utf8(`${tenantId}\0${key}\0${value}`));
  return `subj_${mac.digest('hex').slice(0, 32)}`;
}

/**
 * Wraps a data key under the master key with AES-256-GCM, `aad` bound (e.g. tenant and
 * subject ref): `v1.<nonce b64url>.<ciphertext ‖ tag b64url>`.
 *
 * @example
 * const wrapped = wrapKey(master, newDataKey(), `${tenantId}\0${ref}`);
 */
export function wrapKey(master: DataKey, dataKey: DataKey, aad: string): string {
  checkKey(master, 'The master key');
  checkKey(dataKey, 'The data key');
  const nonce = randomBytes(NONCE_BYTES);
  const sealed = gcmSeal(master, nonce, dataKey, utf8(aad));
  return `${WRAP_VERSION}.${nonce.toString('base64url')}.${sealed.toString('base64url')}`;
}

/**
 * Unwraps a key wrapped by {@link wrapKey}.
 *
 * @throws VoiceError `INTERNAL` (not retryable) if the master key, `aad` or text is wrong or
 * was tampered with.
 */
export function unwrapKey(master: DataKey, wrapped: string, aad: string): DataKey {
  checkKey(master, 'The master key');
  const parts = wrapped.split('.');
  if (parts.length !== 3) throw openFailed('the wrapped key', 'malformed');
  const [version = '', nonceText = '', sealedText = ''] = parts;
  if (version !== WRAP_VERSION) throw openFailed('the wrapped key', 'unsupported_version');
  const nonce = fromB64url(nonceText);
  const sealed = fromB64url(sealedText);
  if (nonce?.length !== NONCE_BYTES || sealed?.length !== KEY_BYTES + TAG_BYTES) {
    throw openFailed('the wrapped key', 'malformed');
  }
  const key = gcmOpen(master, nonce, sealed, utf8(aad));
  if (key === undefined) throw openFailed('the wrapped key', 'authentication_failed');
  return new Uint8Array(key);
}

/**
 * Seals a short text (a transcript) under a data key: `sealed:v1:<b64url(nonce ‖ ciphertext
 * ‖ tag)>`, AES-256-GCM with `aad` bound.
 *
 * @example
 * const stored = sealText(dataKey, transcript, `${tenantId}\0${sessionId}`);
 * openText(dataKey, stored, `${tenantId}\0${sessionId}`) === transcript; // true
 */
export function sealText(key: DataKey, text: string, aad: string): string {
  checkKey(key, 'The data key');
  const nonce = randomBytes(NONCE_BYTES);
  const sealed = gcmSeal(key, nonce, utf8(text), utf8(aad));
  return `${TEXT_PREFIX}${Buffer.concat([nonce, sealed]).toString('base64url')}`;
}

/**
 * Opens a text sealed by {@link sealText}.
 *
 * @throws VoiceError `INTERNAL` (not retryable) if the key, `aad` or text is wrong or was
 * tampered with.
 */
export function openText(key: DataKey, sealed: string, aad: string): string {
  checkKey(key, 'The data key');
  if (!sealed.startsWith(TEXT_PREFIX)) {
    throw openFailed(
      'the sealed text',
      sealed.startsWith('sealed:') ? 'unsupported_version' : 'malformed',
    );
  }
  const bytes = fromB64url(sealed.slice(TEXT_PREFIX.length));
  if (bytes === undefined || bytes.length < NONCE_BYTES + TAG_BYTES) {
    throw openFailed('the sealed text', 'malformed');
  }
  const plain = gcmOpen(
    key,
    bytes.subarray(0, NONCE_BYTES),
    bytes.subarray(NONCE_BYTES),
    utf8(aad),
  );
  if (plain === undefined) throw openFailed('the sealed text', 'authentication_failed');
  return plain.toString('utf8');
}

/** Whether a stored value has the shape of a text sealed by {@link sealText} (v1). */
export function isSealedText(value: string): boolean {
  return SEALED_TEXT_RE.test(value);
}
