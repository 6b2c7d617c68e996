import { createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import { OBJECT_KINDS, objectKey, parseObjectKey, tenantPrefix } from './object-key-layout.js';
import type { ObjectKeyParts } from './object-key-layout.js';

const ids = createSequentialIdGenerator();
const tenantId = ids.next('tenant');
const sessionId = ids.next('session');
const base: ObjectKeyParts = {
  tenantId,
  kind: 'recordings',
  at: Date.UTC(2026, 6, 4, 12),
  sessionId,
  name: 'call.wav',
};

describe('objectKey', () => {
  it('lays keys out by tenant, kind, UTC date, session and name', () => {
    expect(objectKey(base)).toBe(`${tenantId}/recordings/2026/07/04/${sessionId}/call.wav`);
    // One millisecond before midnight UTC is still the previous day, whatever the local zone.
    expect(objectKey({ ...base, at: new Date(Date.UTC(2026, 0, 1) - 1) })).toContain(
      '/2025/12/31/',
    );
    expect(objectKey({ ...base, at: Date.UTC(2026, 0, 1) })).toContain('/2026/01/01/');
  });

  it('canonicalises upper-case IDs', () => {
    const upper = tenantId.toUpperCase().replace('TEN_', 'ten_') as TenantId;
    expect(objectKey({ ...base, tenantId: upper }).startsWith(`${tenantId}/`)).toBe(true);
  });

  it('rejects malformed IDs with INVALID_ID', () => {
    expect(() => objectKey({ ...base, tenantId: 'ten_nope' as TenantId })).toThrow(
      expect.objectContaining({ code: 'INVALID_ID' }),
    );
    expect(() => objectKey({ ...base, sessionId: tenantId as unknown as SessionId })).toThrow(
      expect.objectContaining({ code: 'INVALID_ID' }),
    );
    expect(() => objectKey({ ...base, tenantId: '../..' as TenantId })).toThrow(
      expect.objectContaining({ code: 'INVALID_ID' }),
    );
  });

  it.each([
    ['kind', { kind: 'secrets' }],
    ['at', { at: Number.NaN }],
    ['at', { at: new Date('garbage') }],
    ['at', { at: Date.UTC(10000, 0, 1) }],
    ['name', { name: '' }],
    ['name', { name: 'a/b.wav' }],
    ['name', { name: '..' }],
    ['name', { name: 'a..b' }],
    ['name', { name: '.hidden' }],
    ['name', { name: '-flag' }],
    ['name', { name: 'a\u0000b' }],
    ['name', { name: 'tab\there' }],
    ['name', { name: 'café.wav' }],
    ['name', { name: 'x'.repeat(256) }],
  ])('rejects a bad %s with VALIDATION_FAILED', (field, patch) => {
    expect(() => objectKey({ ...base, ...(patch as Partial<ObjectKeyParts>) })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: { field } }),
    );
  });

  it('accepts every kind and a 255-byte name', () => {
    for (const kind of OBJECT_KINDS) expect(objectKey({ ...base, kind })).toContain(`/${kind}/`);
    expect(objectKey({ ...base, name: 'x'.repeat(255) })).toMatch(/x{255}$/);
  });
});

describe('parseObjectKey', () => {
  it('round-trips with objectKey', () => {
    for (const kind of OBJECT_KINDS) {
      const key = objectKey({ ...base, kind, name: 'a_b-c.1.json' });
      const parsed = parseObjectKey(key);
      expect(parsed).toEqual({
        tenantId,
        kind,
        at: new Date(Date.UTC(2026, 6, 4)),
        sessionId,
        name: 'a_b-c.1.json',
      });
      expect(objectKey(parsed)).toBe(key);
    }
  });

  it.each([
    ['too few segments', `${tenantId}/recordings/2026/07/04/call.wav`],
    ['too many segments', `${tenantId}/recordings/2026/07/04/${sessionId}/x/call.wav`],
    ['a bad tenant', `ten_x/recordings/2026/07/04/${sessionId}/call.wav`],
    ['a session as tenant', `${sessionId}/recordings/2026/07/04/${sessionId}/call.wav`],
    ['an unknown kind', `${tenantId}/secrets/2026/07/04/${sessionId}/call.wav`],
    ['an impossible date', `${tenantId}/recordings/2026/02/30/${sessionId}/call.wav`],
    ['a short month', `${tenantId}/recordings/2026/7/04/${sessionId}/call.wav`],
    ['year zero', `${tenantId}/recordings/0000/01/01/${sessionId}/call.wav`],
    ['a bad name', `${tenantId}/recordings/2026/07/04/${sessionId}/..`],
    [
      'upper-case IDs',
      `${tenantId.toUpperCase().replace('TEN_', 'ten_')}/recordings/2026/07/04/${sessionId}/call.wav`,
    ],
  ])('rejects %s with VALIDATION_FAILED', (_what, key) => {
    expect(() => parseObjectKey(key)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: { field: 'key' } }),
    );
  });

  it('keeps early years exact', () => {
    const parsed = parseObjectKey(`${tenantId}/exports/0042/03/01/${sessionId}/x.zip`);
    expect(parsed.at.getUTCFullYear()).toBe(42);
    expect(objectKey(parsed)).toContain('/0042/03/01/');
  });
});

describe('tenantPrefix', () => {
  it('ends with "/" so one tenant never matches another that extends its ID', () => {
    expect(tenantPrefix(tenantId)).toBe(`${tenantId}/`);
    expect(
      objectKey({ ...base, tenantId: ids.next('tenant') }).startsWith(tenantPrefix(tenantId)),
    ).toBe(false);
    expect(objectKey(base).startsWith(tenantPrefix(tenantId))).toBe(true);
  });

  it('validates the ID', () => {
    expect(() => tenantPrefix('ten_a' as TenantId)).toThrow(
      expect.objectContaining({ code: 'INVALID_ID' }),
    );
  });
});
