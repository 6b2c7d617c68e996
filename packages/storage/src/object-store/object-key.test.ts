import { describe, expect, it } from 'vitest';
import {
  assertFolderPrefix,
  assertObjectKey,
  assertObjectPrefix,
  compareKeys,
  objectKeyProblem,
} from './object-key.js';

describe('objectKeyProblem', () => {
  it('accepts ordinary keys', () => {
    for (const key of [
      'a',
      'a/b',
      'ten_x/recordings/2026/01/01/sess_y/call.wav',
      'a/.hidden',
      'é/日本/😀',
      'a b/c+d=e',
    ]) {
      expect(objectKeyProblem(key)).toBeUndefined();
    }
  });

  it.each([
    ['', /empty/],
    ['/abs', /starts with "\/"/],
    ['a//b', /segment 2 is empty/],
    ['a/', /segment 2 is empty/],
    ['a/../b', /segment 2 is "\.\."/],
    ['..', /segment 1 is "\.\."/],
    ['./a', /segment 1 is "\."/],
    ['a\\b', /backslash/],
    ['a\u0000b', /U\+0000/],
    ['a\u007fb', /U\+007f/],
    ['a\u0085b', undefined],
    ['a/\ud800', /unpaired surrogate/],
    ['a/.prx-meta-1.json', /reserved/],
    ['a/.PRX-tmp-1', /reserved/],
    ['x'.repeat(1025), /longer than 1024 bytes/],
    [`${'é'.repeat(300)}/${'é'.repeat(300)}`, /longer than 1024 bytes/],
    [`a/${'x'.repeat(256)}`, /segment 2 is longer than 255 bytes/],
  ])('%j', (key, problem) => {
    const found = objectKeyProblem(key);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });

  it('counts bytes, not characters', () => {
    expect(objectKeyProblem(`${'x'.repeat(254)}/${'é'.repeat(127)}`)).toBeUndefined(); // 254 + 1 + 254 bytes
    expect(objectKeyProblem(`a/${'é'.repeat(128)}`)).toMatch(/255 bytes/);
  });

  it('rejects non-strings', () => {
    expect(objectKeyProblem(42)).toMatch(/number/);
  });
});

describe('assertObjectKey / prefixes', () => {
  it('throws VALIDATION_FAILED with the field', () => {
    expect(() => assertObjectKey('a/../b')).toThrow(
      expect.objectContaining({
        code: 'VALIDATION_FAILED',
        details: { field: 'key', value: 'a/../b' },
      }),
    );
  });

  it('allows a partial last segment in prefixes, checked for characters only', () => {
    for (const prefix of ['', 'a', 'a/', 'a/b', 'a/.', 'a/.pr'])
      expect(assertObjectPrefix(prefix)).toBe(prefix);
    for (const prefix of ['/a', 'a//', '../', 'a/../', 'a\\', 'a\u0000', '.prx-x/']) {
      expect(() => assertObjectPrefix(prefix)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED' }),
      );
    }
  });

  it('requires folder prefixes to be non-empty and end in "/"', () => {
    expect(assertFolderPrefix('ten_a/')).toBe('ten_a/');
    for (const prefix of ['', 'ten_a', 'a//']) {
      expect(() => assertFolderPrefix(prefix)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED' }),
      );
    }
  });
});

describe('compareKeys', () => {
  it('orders like UTF-8 bytes', () => {
    const keys = ['b', 'a/x', 'a-b', 'a', '\uffee', '\u{1f600}', 'é', 'ab', 'A'];
    const byBytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...keys].sort(compareKeys)).toEqual(byBytes);
    expect([...keys].sort()).not.toEqual(byBytes); // UTF-16 order differs for astral vs U+FFEE
  });
});
