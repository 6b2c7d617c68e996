import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import { createSecretBox, isSealedSecret } from './secret-box.js';

const OLD = new Uint8Array(32).fill(1);
const NEW = new Uint8Array(32).fill(2);
const AAD = 'prx-voice tool secret ten_1';

function reasonOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    expect(VoiceError.is(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INTERNAL', retryable: false });
    return (error as VoiceError).details['reason'];
  }
  throw new Error('expected a throw');
}

describe('the secret box', () => {
  it('seals under the current key with its id and opens it again', () => {
    const box = createSecretBox({ masterKey: NEW });
    const stored = box.seal('Bearer s3cret', AAD);
    expect(stored).toMatch(/^enc:v1:[0-9a-f]{16}:[A-Za-z0-9_-]+$/);
    expect(stored.split(':')[2]).toBe(box.keyId);
    expect(stored).not.toContain('s3cret');
    expect(box.seal('Bearer s3cret', AAD)).not.toBe(stored); // a fresh nonce each time
    expect(box.open(stored, AAD)).toBe('Bearer s3cret');
    expect(isSealedSecret(stored)).toBe(true);
    expect(box.needsReseal(stored)).toBe(false);
  });

  it('derives a different key id for a different master key', () => {
    expect(createSecretBox({ masterKey: OLD }).keyId).not.toBe(
      createSecretBox({ masterKey: NEW }).keyId,
    );
  });

  it('reads a plaintext secret as it is, and says it needs sealing', () => {
    const box = createSecretBox({ masterKey: NEW });
    expect(box.open('Bearer legacy', AAD)).toBe('Bearer legacy');
    expect(box.needsReseal('Bearer legacy')).toBe(true);
  });

  it('opens what a rotated-out key sealed, and says to seal it anew', () => {
    const stored = createSecretBox({ masterKey: OLD }).seal('token', AAD);
    const rotated = createSecretBox({ masterKey: NEW, previousMasterKeys: [OLD] });
    expect(rotated.open(stored, AAD)).toBe('token');
    expect(rotated.needsReseal(stored)).toBe(true);
    expect(reasonOf(() => createSecretBox({ masterKey: NEW }).open(stored, AAD))).toBe(
      'unknown_key',
    );
  });

  it('refuses another tenant, a tampered value and a malformed one', () => {
    const box = createSecretBox({ masterKey: NEW });
    const stored = box.seal('token', AAD);
    expect(reasonOf(() => box.open(stored, 'prx-voice tool secret ten_2'))).toBe(
      'authentication_failed',
    );
    const last = stored.at(-1) === 'A' ? 'B' : 'A';
    expect(reasonOf(() => box.open(stored.slice(0, -1) + last, AAD))).toBe('authentication_failed');
    expect(reasonOf(() => box.open('enc:v1:zz:abc', AAD))).toBe('malformed');
    expect(reasonOf(() => box.open('enc:v2:0123456789abcdef:abc', AAD))).toBe(
      'unsupported_version',
    );
  });

  it('without a master key stores secrets as given and cannot open sealed ones', () => {
    const box = createSecretBox();
    expect(box.sealing).toBe(false);
    expect(box.keyId).toBeUndefined();
    expect(box.seal('token', AAD)).toBe('token');
    expect(box.needsReseal('token')).toBe(false);
    const stored = createSecretBox({ masterKey: NEW }).seal('token', AAD);
    expect(reasonOf(() => box.open(stored, AAD))).toBe('unknown_key');
  });
});
