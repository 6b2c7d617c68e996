/**
 * Checkpoints as signed notes, the shape transparency logs publish (C2SP
 * `tlog-checkpoint` over `signed-note`): a body of three lines — the log's origin, its
 * size, its head hash in base64 — a blank line, and one signature line per signer,
 * `— <name> <base64(key id ‖ Ed25519 signature)>`. The key id is the first four bytes of
 * SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key); a verifier key is written
 * `<name>+<key id hex>+<base64(0x01 ‖ public key)>`.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { VoiceError } from '@prx-voice/types';

/** The signature algorithm byte of Ed25519 in signed notes. */
const ED25519 = 0x01;
/** PKCS#8 DER prefix of an Ed25519 private key, before its 32-byte seed. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A checkpoint's content. */
export interface Checkpoint {
  /** The log's name, e.g. `prx-voice/audit/<tenant id>`. */
  readonly origin: string;
  readonly treeSize: number;
  /** The head record's hash, hex. */
  readonly headHash: string;
}

/** Signs checkpoints; see {@link createCheckpointSigner}. */
export interface CheckpointSigner {
  readonly name: string;
  /** `<name>+<key id>+<base64 public key>`: what a verifier needs. */
  readonly verifierKey: string;
  /** The signed note of a checkpoint. */
  sign(checkpoint: Checkpoint): string;
}

function keyIdOf(name: string, publicKey: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.from([ED25519]), publicKey]))
    .digest()
    .subarray(0, 4);
}

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.from(String(jwk.x), 'base64url');
}

/** An Ed25519 private key from a base64 32-byte seed or a PKCS#8 PEM. */
export function parsePrivateKey(text: string): KeyObject {
  const trimmed = text.trim();
  try {
    const key = trimmed.startsWith('-----BEGIN')
      ? createPrivateKey(trimmed)
      : createPrivateKey({
          key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(trimmed, 'base64')]),
          format: 'der',
          type: 'pkcs8',
        });
    if (key.asymmetricKeyType === 'ed25519') return key;
  } catch {
    // Reported below.
  }
  throw new VoiceError('CONFIG_INVALID', {
    message:
      'audit.signing.private_key: expected an Ed25519 private key, a base64 32-byte seed or a PKCS#8 PEM',
  });
}

/** The body a checkpoint's signatures are over. */
export function checkpointBody(c: Checkpoint): string {
  return `${c.origin}\n${String(c.treeSize)}\n${Buffer.from(c.headHash, 'hex').toString('base64')}\n`;
}

/**
 * A signer of checkpoints with `privateKey` under `name`.
 *
 * @example
 * const signer = createCheckpointSigner('prx-voice-audit', parsePrivateKey(seedBase64));
 * const note = signer.sign({ origin: 'prx-voice/audit/ten_1', treeSize: 42, headHash });
 */
export function createCheckpointSigner(name: string, privateKey: KeyObject): CheckpointSigner {
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  const keyId = keyIdOf(name, publicKey);
  return {
    name,
    verifierKey: `${name}+${keyId.toString('hex')}+${Buffer.concat([Buffer.from([ED25519]), publicKey]).toString('base64')}`,
    sign(c) {
      const body = checkpointBody(c);
      const signature = sign(null, Buffer.from(body), privateKey);
      return `${body}\n\u2014 ${name} ${Buffer.concat([keyId, signature]).toString('base64')}\n`;
    },
  };
}

/** What a note says, once its signature by the verifier key checked out. */
export type NoteCheck =
  | { readonly ok: true; readonly checkpoint: Checkpoint }
  | { readonly ok: false; readonly reason: string };

/** Checks a signed note against a verifier key (`<name>+<key id>+<base64 key>`) and reads it. */
export function verifyCheckpointNote(note: string, verifierKey: string): NoteCheck {
  // `<name>+<hex id>+<base64>`: the base64 may hold '+' too.
  const first = verifierKey.indexOf('+');
  const second = verifierKey.indexOf('+', first + 1);
  if (first < 0 || second < 0) return { ok: false, reason: 'bad verifier key' };
  const name = verifierKey.slice(0, first);
  const idHex = verifierKey.slice(first + 1, second);
  const keyB64 = verifierKey.slice(second + 1);
  const keyBytes = Buffer.from(keyB64, 'base64');
  if (keyBytes.length !== 33 || keyBytes[0] !== ED25519)
    return { ok: false, reason: 'bad verifier key' };
  const publicKey = keyBytes.subarray(1);
  const keyId = keyIdOf(name, publicKey);
  if (keyId.toString('hex') !== idHex) return { ok: false, reason: 'bad verifier key id' };
  const split = note.indexOf('\n\n');
  if (split < 0) return { ok: false, reason: 'not a signed note' };
  const body = note.slice(0, split + 1);
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') },
    format: 'jwk',
  });
  const signed = note
    .slice(split + 2)
    .split('\n')
    .filter((line) => line.startsWith(`\u2014 ${name} `))
    .some((line) => {
      const sig = Buffer.from(line.slice(`\u2014 ${name} `.length), 'base64');
      return (
        sig.length === 68 &&
        sig.subarray(0, 4).equals(keyId) &&
        verify(null, Buffer.from(body), key, sig.subarray(4))
      );
    });
  if (!signed) return { ok: false, reason: 'no valid signature by the verifier key' };
  const [origin = '', size = '', hash = ''] = body.split('\n');
  if (!/^\d+$/.test(size)) return { ok: false, reason: 'bad tree size' };
  return {
    ok: true,
    checkpoint: {
      origin,
      treeSize: Number(size),
      headHash: Buffer.from(hash, 'base64').toString('hex'),
    },
  };
}
