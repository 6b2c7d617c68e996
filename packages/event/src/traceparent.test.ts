import { describe, expect, it } from 'vitest';
import { isTraceparent, traceparentProblem } from './traceparent.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('accepts W3C version 00 and later versions with extra fields', () => {
    expect(isTraceparent(`00-${TRACE}-${PARENT}-01`)).toBe(true);
    expect(isTraceparent(`00-${TRACE}-${PARENT}-00`)).toBe(true);
    expect(isTraceparent(`01-${TRACE}-${PARENT}-01-future`)).toBe(true);
  });

  it.each([
    [`00-${TRACE}-${PARENT}-01-extra`, 'exactly four fields'],
    [`ff-${TRACE}-${PARENT}-01`, 'version ff'],
    [`00-${'0'.repeat(32)}-${PARENT}-01`, 'trace id'],
    [`00-${TRACE}-${'0'.repeat(16)}-01`, 'parent id'],
    [`00-${TRACE.toUpperCase()}-${PARENT}-01`, 'not a traceparent'],
    [`00-${TRACE}-${PARENT}`, 'not a traceparent'],
    ['', 'not a traceparent'],
  ])('rejects %s', (value, why) => {
    expect(traceparentProblem(value)).toContain(why);
  });

  it('rejects non-strings', () => {
    expect(isTraceparent(undefined)).toBe(false);
  });
});
