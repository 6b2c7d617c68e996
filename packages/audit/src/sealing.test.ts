import { randomBytes } from 'node:crypto';
import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import {
  isSealedText,
  newDataKey,
  openText,
  parseMasterKey,
  sealText,
  subjectRef,
  unwrapKey,
  wrapKey,
} from './sealing.js';

const AAD = 'ten_1\0subj_0123';

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function expectOpenFailure(fn: () => unknown, reason: string): void {
  const error = caught(fn);
  expect(VoiceError.is(error)).toBe(true);
  expect(error).toMatchObject({ code: 'INTERNAL', retryable: false, details: { reason } });
}

/** Flips one bit of the base64url character at `at` of `text`, keeping it base64url. */
function flipChar(text: string, at: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const index = alphabet.indexOf(text.charAt(at));
  return text.slice(0, at) + alphabet.charAt(index ^ 1) + text.slice(at + 1);
}

describe('master keys', () => {
  const bytes = randomBytes(32);

  it('takes 32 bytes as base64, base64url (padded or not) or hex', () => {
    const expected = new Uint8Array(bytes);
    for (const text of [
      bytes.toString('base64'),
      bytes.toString('base64').replace(/=$/, ''),
      bytes.toString('base64url'),
      `${bytes.toString('base64url')}=`,
      bytes.toString('hex'),
      bytes.toString('hex').toUpperCase(),
      `  ${bytes.toString('base64')}\n`,
    ]) {
      expect(parseMasterKey(text, 'sealing.master_key')).toEqual(expected);
    }
  });

  it('refuses anything else, naming the field', () => {
    const url = Buffer.from(Array.from({ length: 32 }, () => 0xfb)).toString('base64url');
    for (const text of [
      '',
      'not a key',
      randomBytes(16).toString('base64'),
      randomBytes(33).toString('base64'),
      randomBytes(31).toString('hex'),
      `${bytes.toString('hex')}00`,
      `${bytes.toString('hex').slice(0, 63)}g`,
      // Mixed alphabets; a non-canonical last character.
      `+${url.slice(1, 42)}_`,
      `${bytes.toString('base64url').slice(0, 42)}B`,
    ]) {
      const error = caught(() => parseMasterKey(text, 'sealing.master_key'));
      expect(error).toBeInstanceOf(VoiceError);
      expect(error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { field: 'sealing.master_key' },
        message: expect.stringContaining('sealing.master_key') as unknown,
      });
    }
  });
});

describe('data keys and subject refs', () => {
  it('makes fresh 32-byte data keys', () => {
    const a = newDataKey();
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a.length).toBe(32);
    expect(newDataKey()).not.toEqual(a);
  });

  it('gives a stable ref per tenant, key and value that does not show the value', () => {
    const secret = randomBytes(32);
    const ref = subjectRef(secret, 'ten_1', 'phone', '+15551234567');
    expect(ref).toMatch(/^subj_[0-9a-f]{32}$/);
    expect(ref).not.toContain('15551234567');
    expect(subjectRef(secret, 'ten_1', 'phone', '+15551234567')).toBe(ref);
    const others = [
      subjectRef(secret, 'ten_2', 'phone', '+15551234567'),
      subjectRef(secret, 'ten_1', 'email', '+15551234567'),
      subjectRef(secret, 'ten_1', 'phone', '+15551234568'),
      subjectRef(randomBytes(32), 'ten_1', 'phone', '+15551234567'),
      // The separator keeps the fields apart.
      subjectRef(secret, 'ten_1', 'phone+', '15551234567'),
    ];
    expect(new Set([ref, ...others]).size).toBe(others.length + 1);
  });

  it('is HMAC-SHA256 over tenant NUL key NUL value', async () => {
    const { createHmac } = await import('node:crypto');
    const secret = Buffer.from('0123456789abcdef0123456789abcdef');
    const mac = createHmac('sha256', secret).update('t\0k\0v').digest('hex');
    expect(subjectRef(secret, 't', 'k', 'v')).toBe(`subj_${mac.slice(0, 32)}`);
  });

  it('refuses a short secret', () => {
    expect(() => subjectRef(Buffer.from('short'), 't', 'k', 'v')).toThrow(VoiceError);
  });
});

describe('wrapped keys', () => {
  const master = newDataKey();
  const dataKey = newDataKey();

  it('round-trips, with a fresh nonce each time', () => {
    const wrapped = wrapKey(master, dataKey, AAD);
    expect(wrapped).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{64}$/);
    expect(unwrapKey(master, wrapped, AAD)).toEqual(dataKey);
    expect(wrapKey(master, dataKey, AAD)).not.toBe(wrapped);
  });

  it('refuses a wrong master key, a wrong aad or a changed text', () => {
    const wrapped = wrapKey(master, dataKey, AAD);
    expectOpenFailure(() => unwrapKey(newDataKey(), wrapped, AAD), 'authentication_failed');
    expectOpenFailure(
      () => unwrapKey(master, wrapped, 'ten_2\0subj_0123'),
      'authentication_failed',
    );
    for (const at of [3, 10, 18, 20, 50, wrapped.length - 1]) {
      expectOpenFailure(
        () => unwrapKey(master, flipChar(wrapped, at), AAD),
        'authentication_failed',
      );
    }
    expectOpenFailure(() => unwrapKey(master, `v2${wrapped.slice(2)}`, AAD), 'unsupported_version');
    expectOpenFailure(() => unwrapKey(master, wrapped.slice(0, -2), AAD), 'malformed');
    expectOpenFailure(() => unwrapKey(master, `${wrapped}.x`, AAD), 'malformed');
    expectOpenFailure(() => unwrapKey(master, wrapped.replace('.', '.+'), AAD), 'malformed');
    expectOpenFailure(() => unwrapKey(master, '', AAD), 'malformed');
  });

  it('refuses keys of the wrong size', () => {
    expect(() => wrapKey(master, new Uint8Array(16), AAD)).toThrow(/32 bytes/);
    expect(() => wrapKey(new Uint8Array(31), dataKey, AAD)).toThrow(VoiceError);
  });
});

describe('sealed texts', () => {
  const key = newDataKey();

  it.each(['', 'hello', 'Grüße, 你好 🎙️', 'x'.repeat(10_000)])('round-trips %j', (text) => {
    const sealed = sealText(key, text, AAD);
    expect(sealed.startsWith('sealed:v1:')).toBe(true);
    expect(isSealedText(sealed)).toBe(true);
    expect(openText(key, sealed, AAD)).toBe(text);
  });

  it('uses a fresh nonce each time', () => {
    expect(sealText(key, 'same', AAD)).not.toBe(sealText(key, 'same', AAD));
  });

  it('refuses a wrong key, a wrong aad or a changed text', () => {
    const sealed = sealText(key, 'the transcript', AAD);
    expectOpenFailure(() => openText(newDataKey(), sealed, AAD), 'authentication_failed');
    expectOpenFailure(() => openText(key, sealed, 'ten_1\0subj_9999'), 'authentication_failed');
    for (const at of [10, 20, 40, sealed.length - 1]) {
      expectOpenFailure(() => openText(key, flipChar(sealed, at), AAD), 'authentication_failed');
    }
    expectOpenFailure(() => openText(key, sealed.slice(0, 50), AAD), 'authentication_failed');
    expectOpenFailure(() => openText(key, 'sealed:v1:AAAA', AAD), 'malformed');
    expectOpenFailure(() => openText(key, `${sealed}!`, AAD), 'malformed');
    // One encoding per value: a dangling character or non-zero spare bits are refused.
    expectOpenFailure(() => openText(key, `${sealed}A`, AAD), 'malformed');
    const short = sealText(key, 'x', AAD); // 29 bytes: the last character has 2 spare bits
    expectOpenFailure(() => openText(key, flipChar(short, short.length - 1), AAD), 'malformed');
    expectOpenFailure(() => openText(key, sealed.replace('v1', 'v2'), AAD), 'unsupported_version');
    expectOpenFailure(() => openText(key, 'the transcript', AAD), 'malformed');
  });

  it('tells sealed texts from plain ones', () => {
    expect(isSealedText(sealText(key, '', AAD))).toBe(true);
    for (const plain of [
      '',
      'hello',
      'sealed:',
      'sealed:v1:',
      'sealed:v1:short',
      'sealed: the deal',
    ]) {
      expect(isSealedText(plain)).toBe(false);
    }
    expect(isSealedText(`sealed:v1:${'A'.repeat(37)}!`)).toBe(false);
  });
});
