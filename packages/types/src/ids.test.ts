import { describe, expect, it } from 'vitest';
import {
  ID_PREFIXES,
  createIdGenerator,
  createSequentialIdGenerator,
  idKindOf,
  idProblem,
  idTimestamp,
  isId,
  parseId,
} from './ids.js';
import type { IdKind } from './ids.js';
import { VoiceError } from './voice-error.js';

const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

function fixedRandom(seed: number): (b: Uint8Array) => void {
  let x = seed >>> 0 || 1;
  return (b) => {
    for (let i = 0; i < b.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      b[i] = x & 0xff;
    }
  };
}

describe('ID generation', () => {
  it('mints readable, well-formed IDs for every kind', () => {
    const ids = createIdGenerator({ now: () => T0, random: fixedRandom(7) });
    for (const kind of Object.keys(ID_PREFIXES) as IdKind[]) {
      const id = ids.next(kind);
      expect(id.startsWith(`${ID_PREFIXES[kind]}_`)).toBe(true);
      expect(id).toMatch(/^[a-z]+_[0-9a-hjkmnp-tv-z]{26}$/);
      expect(isId(kind, id)).toBe(true);
      expect(idKindOf(id)).toBe(kind);
    }
  });

  it('encodes the creation time, recoverable to the millisecond', () => {
    let t = T0;
    const ids = createIdGenerator({ now: () => t, random: fixedRandom(1) });
    expect(idTimestamp(ids.next('session'))).toBe(T0);
    t = T0 + 123_456;
    expect(idTimestamp(ids.next('session'))).toBe(T0 + 123_456);
  });

  it('sorts by creation order, within one millisecond and across counter overflow', () => {
    const ids = createIdGenerator({ now: () => T0, random: fixedRandom(3) });
    const minted = Array.from({ length: 10_000 }, () => ids.next('event'));
    const sorted = [...minted].sort();
    expect(sorted).toEqual(minted);
    expect(new Set(minted).size).toBe(minted.length);
  });

  it('stays ordered when the clock steps backwards', () => {
    let t = T0;
    const ids = createIdGenerator({ now: () => t, random: fixedRandom(9) });
    const a = ids.next('turn');
    t = T0 - 5_000;
    const b = ids.next('turn');
    expect(b > a).toBe(true);
  });

  it('is deterministic with injected time and randomness', () => {
    const one = createIdGenerator({ now: () => T0, random: fixedRandom(42) });
    const two = createIdGenerator({ now: () => T0, random: fixedRandom(42) });
    expect([one.next('run'), one.next('run')]).toEqual([two.next('run'), two.next('run')]);
    const seq = createSequentialIdGenerator(T0);
    const seq2 = createSequentialIdGenerator(T0);
    expect(seq.next('session')).toBe(seq2.next('session'));
    // Expected value checked with an independent Python encoding of the UUIDv7 layout.
    expect(seq.next('session')).toBe('sess_01m7yzmhg1e008000000000000');
  });

  it('rejects a clock that is not epoch milliseconds', () => {
    const ids = createIdGenerator({ now: () => Number.NaN });
    expect(() => ids.next('session')).toThrow(VoiceError);
  });
});

describe('ID validation', () => {
  const ids = createSequentialIdGenerator(T0);
  const session = ids.next('session');

  it('parses a valid ID, canonicalising case', () => {
    expect(parseId('session', session)).toBe(session);
    expect(parseId('session', 'sess_' + session.slice(5).toUpperCase())).toBe(session);
  });

  it.each([
    ['a foreign kind', ids.next('tenant'), /is a tenant ID, expected a session ID/],
    ['an unknown prefix', 'usr_01m7yzmhg1e008000000000000', /unknown prefix "usr_"/],
    ['no prefix', '01m7yzmhg1e008000000000000', /is not an ID/],
    ['a short body', 'sess_01m7yzmhg1', /malformed/],
    ['a long body', `${session}0`, /malformed/],
    ['excluded letters', 'sess_01m7yzmhg1e00800000000000u', /malformed/],
    ['an overflowing first digit', 'sess_81m7yzmhg1e008000000000000', /malformed/],
    ['the empty string', '', /is not an ID/],
  ])('rejects %s with a clear error', (_name, value, message) => {
    expect(isId('session', value)).toBe(false);
    try {
      parseId('session', value);
      expect.unreachable('parseId accepted a bad ID');
    } catch (err) {
      expect(VoiceError.is(err)).toBe(true);
      const e = err as VoiceError;
      expect(e.code).toBe('INVALID_ID');
      expect(e.status).toBe(400);
      expect(e.message).toMatch(message);
      expect(e.details).toMatchObject({ expected_kind: 'session', expected_prefix: 'sess' });
    }
  });

  it('rejects non-strings and truncates huge inputs in messages', () => {
    expect(idProblem('tenant', 42)).toMatch(/got number/);
    expect(idProblem('tenant', 'x'.repeat(10_000))?.length).toBeLessThan(200);
    expect(idKindOf('nope')).toBeUndefined();
  });
});
