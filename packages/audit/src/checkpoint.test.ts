import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { createCheckpointSigner, parsePrivateKey, verifyCheckpointNote } from './checkpoint.js';

const HEAD = 'ab'.repeat(32);

describe('checkpoints as signed notes', () => {
  it('signs a note a verifier key checks, and refuses any change or another key', () => {
    const signer = createCheckpointSigner('prx', generateKeyPairSync('ed25519').privateKey);
    expect(signer.verifierKey).toMatch(/^prx\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    const note = signer.sign({ origin: 'prx-voice/audit/t1', treeSize: 12, headHash: HEAD });
    expect(verifyCheckpointNote(note, signer.verifierKey)).toEqual({
      ok: true,
      checkpoint: { origin: 'prx-voice/audit/t1', treeSize: 12, headHash: HEAD },
    });
    expect(verifyCheckpointNote(note.replace('\n12\n', '\n13\n'), signer.verifierKey).ok).toBe(
      false,
    );
    const other = createCheckpointSigner('prx', generateKeyPairSync('ed25519').privateKey);
    expect(verifyCheckpointNote(note, other.verifierKey)).toMatchObject({ ok: false });
    expect(verifyCheckpointNote('garbage', signer.verifierKey)).toMatchObject({ ok: false });
  });

  it('takes a base64 seed or a PKCS#8 PEM, the same key either way, and refuses others', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    const seed = der.subarray(der.length - 32).toString('base64');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(createCheckpointSigner('k', parsePrivateKey(seed)).verifierKey).toBe(
      createCheckpointSigner('k', parsePrivateKey(pem)).verifierKey,
    );
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => parsePrivateKey(rsa.export({ format: 'pem', type: 'pkcs8' }).toString())).toThrow(
      /expected an Ed25519 private key/,
    );
    expect(() => parsePrivateKey('not a key')).toThrow(/expected an Ed25519 private key/);
  });
});

describe('canonical JSON', () => {
  it('sorts keys at every depth and leaves no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null, 'x'], c: 2.5 }, e: undefined })).toBe(
      '{"a":{"c":2.5,"d":[true,null,"x"]},"b":1}',
    );
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
  });
});
