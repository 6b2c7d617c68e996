/**
 * Operator-held secrets at rest — an assistant's tool header secrets and its signing
 * secret: sealed with AES-256-GCM under a key derived from the master key (HKDF-SHA256,
 * its own purpose, so it never equals the master key or a key wrapping subjects' keys),
 * the caller's `aad` bound (the tenant, so a value copied into another tenant's row does
 * not open).
 *
 * A sealed secret is `enc:v1:<key id>:<b64url(nonce ‖ ciphertext ‖ tag)>`; the key id
 * (16 hex digits, derived from the master key, revealing nothing of it) names the master
 * key it was sealed under, so a master key can be rotated: the new key seals, the old ones
 * (`previousMasterKeys`) still open what they sealed, and {@link SecretBox.needsReseal}
 * says what to seal anew. A stored value without the `enc:` prefix is a plaintext secret
 * written before sealing (or without a master key): it is read as it is and sealed on the
 * next write. Without a master key nothing is sealed.
 */
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { NONCE_BYTES, TAG_BYTES, checkKey, gcmOpen, gcmSeal, openFailed } from './sealing.js';
import type { DataKey } from './sealing.js';

/** See {@link createSecretBox}. */
export interface SecretBox {
  /** Whether new secrets are sealed (a master key is configured). */
  readonly sealing: boolean;
  /** The id of the key sealing new secrets (none without a master key). */
  readonly keyId: string | undefined;
  /** The stored form of `plaintext`: sealed under the current key, or itself without one. */
  seal(plaintext: string, aad: string): string;
  /**
   * The plaintext of a stored secret: a sealed one opened with the key its id names, a
   * plaintext one as it is.
   *
   * @throws VoiceError `INTERNAL` (not retryable; `details.reason`) when a sealed value names
   * a key that is not configured (`unknown_key`) or does not open.
   */
  open(stored: string, aad: string): string;
  /** Whether a stored secret should be sealed anew: plaintext while sealing, or an older key's. */
  needsReseal(stored: string): boolean;
}

/** Options of {@link createSecretBox}. */
export interface SecretBoxOptions {
  /** The master key sealing new secrets; absent: secrets are stored as given. */
  readonly masterKey?: DataKey;
  /** Master keys rotated out: they still open what they sealed. */
  readonly previousMasterKeys?: readonly DataKey[];
}

const PREFIX = 'enc:v1:';
const SEALED_RE = /^enc:v1:([0-9a-f]{16}):([A-Za-z0-9_-]+)$/;

/** Whether a stored secret is sealed (has the `enc:` prefix of {@link SecretBox.seal}). */
export function isSealedSecret(stored: string): boolean {
  return stored.startsWith('enc:');
}

interface BoxKey {
  readonly id: string;
  readonly key: Buffer;
}

function boxKeyOf(master: DataKey): BoxKey {
  checkKey(master, 'The master key');
  const derive = (info: string, bytes: number) =>
    Buffer.from(hkdfSync('sha256', master, new Uint8Array(0), info, bytes));
  const id = createHash('sha256').update(derive('prx-voice key-id', 32)).digest('hex').slice(0, 16);
  return { id, key: derive('prx-voice secret-box', 32) };
}

/**
 * Creates the secret box of a server.
 *
 * @example
 * const box = createSecretBox({ masterKey });
 * const stored = box.seal('Bearer s3cret', `tenant ${tenantId}`); // 'enc:v1:…'
 * box.open(stored, `tenant ${tenantId}`); // 'Bearer s3cret'
 */
export function createSecretBox(o: SecretBoxOptions = {}): SecretBox {
  const current = o.masterKey === undefined ? undefined : boxKeyOf(o.masterKey);
  const keys = new Map<string, BoxKey>();
  for (const k of [current, ...(o.previousMasterKeys ?? []).map(boxKeyOf)])
    if (k !== undefined && !keys.has(k.id)) keys.set(k.id, k);
  return {
    sealing: current !== undefined,
    keyId: current?.id,
    seal(plaintext, aad) {
      if (current === undefined) return plaintext;
      const nonce = randomBytes(NONCE_BYTES);
      const sealed = gcmSeal(current.key, nonce, Buffer.from(plaintext, 'utf8'), utf8(aad));
      return `${PREFIX}${current.id}:${Buffer.concat([nonce, sealed]).toString('base64url')}`;
    },
    open(stored, aad) {
      if (!isSealedSecret(stored)) return stored;
      if (!stored.startsWith(PREFIX)) throw openFailed('the secret', 'unsupported_version');
      const match = SEALED_RE.exec(stored);
      const bytes = match === null ? undefined : Buffer.from(match[2] ?? '', 'base64url');
      if (match === null || bytes === undefined || bytes.length < NONCE_BYTES + TAG_BYTES)
        throw openFailed('the secret', 'malformed');
      const key = keys.get(match[1] ?? '');
      if (key === undefined) throw openFailed('the secret', 'unknown_key');
      const plain = gcmOpen(
        key.key,
        bytes.subarray(0, NONCE_BYTES),
        bytes.subarray(NONCE_BYTES),
        utf8(aad),
      );
      if (plain === undefined) throw openFailed('the secret', 'authentication_failed');
      return plain.toString('utf8');
    },
    needsReseal(stored) {
      if (current === undefined) return false;
      return !stored.startsWith(`${PREFIX}${current.id}:`);
    },
  };
}

function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}
