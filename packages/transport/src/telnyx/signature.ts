/**
 * Telnyx's webhook signature, as Telnyx documents it: an Ed25519 signature (base64, in
 * `telnyx-signature-ed25519`) of `{telnyx-timestamp}|{raw body}`, checked with the
 * account's public key (base64 of the raw 32-byte key, from the Mission Control portal);
 * a timestamp too far from now is refused, so a captured request cannot be replayed.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isEd25519PublicKey } from '@prx-voice/core';

/** Header carrying the signature. */
export const TELNYX_SIGNATURE_HEADER = 'telnyx-signature-ed25519';
/** Header carrying the Unix time (seconds) the request was signed at. */
export const TELNYX_TIMESTAMP_HEADER = 'telnyx-timestamp';
/** How far the timestamp may be from now by default, in seconds (Telnyx's SDKs use 300). */
export const TELNYX_SIGNATURE_TOLERANCE_S = 300;

/** Whether `text` is a Telnyx public key: base64 of a raw 32-byte Ed25519 key. */
export const isTelnyxPublicKey: (text: string) => boolean = isEd25519PublicKey;

/** The key object of a Telnyx public key; throws `TypeError` for one that is not. */
export function telnyxPublicKey(text: string): KeyObject {
  if (!isTelnyxPublicKey(text)) {
    throw new TypeError('expected a base64 Ed25519 public key of 32 bytes');
  }
  const x = Buffer.from(text.trim(), 'base64').toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

/** Options of {@link verifyTelnyxSignature}. */
export interface VerifyTelnyxSignatureOptions {
  /** The account's public key ({@link telnyxPublicKey}). */
  readonly publicKey: KeyObject;
  /** The `telnyx-signature-ed25519` header; a missing one fails. */
  readonly signature: string | undefined;
  /** The `telnyx-timestamp` header; a missing one fails. */
  readonly timestamp: string | undefined;
  /** The raw request body, exactly as received. */
  readonly body: string | Uint8Array;
  /** Now, in ms since the epoch (from the injected clock). */
  readonly nowMs: number;
  /** Largest distance between the timestamp and now, in seconds (default 300). */
  readonly toleranceS?: number;
}

/** Why a signature was refused, or `valid`. */
export type TelnyxSignatureResult =
  | { readonly kind: 'valid' }
  | { readonly kind: 'invalid'; readonly reason: 'missing' | 'stale' | 'mismatch' };

/**
 * Checks a Telnyx webhook's Ed25519 signature and timestamp.
 *
 * @example
 * const result = verifyTelnyxSignature({ publicKey, signature: c.req.header('telnyx-signature-ed25519'),
 *   timestamp: c.req.header('telnyx-timestamp'), body: await c.req.text(), nowMs: clock.now() });
 * if (result.kind !== 'valid') return c.text('forbidden', 403);
 */
export function verifyTelnyxSignature(
  options: VerifyTelnyxSignatureOptions,
): TelnyxSignatureResult {
  const { signature, timestamp } = options;
  if (signature === undefined || signature === '' || timestamp === undefined) {
    return { kind: 'invalid', reason: 'missing' };
  }
  if (!/^\d{1,12}$/.test(timestamp)) return { kind: 'invalid', reason: 'missing' };
  const tolerance = options.toleranceS ?? TELNYX_SIGNATURE_TOLERANCE_S;
  if (Math.abs(options.nowMs / 1000 - Number(timestamp)) > tolerance) {
    return { kind: 'invalid', reason: 'stale' };
  }
  const sig = Buffer.from(signature, 'base64');
  if (sig.length !== 64) return { kind: 'invalid', reason: 'mismatch' };
  const body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
  const signed = Buffer.concat([Buffer.from(`${timestamp}|`, 'utf8'), body]);
  return verify(null, signed, options.publicKey, sig)
    ? { kind: 'valid' }
    : { kind: 'invalid', reason: 'mismatch' };
}
