import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import { openTestDatabase } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import {
  apiKeyProblem,
  createApiKeyService,
  generateApiKey,
  hashApiKey,
  lookupIdOf,
} from './api-keys.js';
import type { ApiKeyService } from './api-keys.js';
import { createTenant, ensureBootstrap } from './bootstrap.js';
import { limitsOfTenant } from './tiers.js';

let now = Date.UTC(2026, 10, 21);
const clock = { now: () => now };
let tdb: TestDatabase;
let keys: ApiKeyService;
let n = 0;
const tenant = async () =>
  (await createTenant(tdb.repos, { slug: `k-${++n}`, name: 'K', tier: 'starter' })).id as TenantId;

beforeAll(async () => {
  tdb = await openTestDatabase({ clock });
  keys = createApiKeyService({ repos: tdb.repos, clock });
}, 60_000);
afterAll(() => tdb.close());

describe('API key format', () => {
  it('generates pk_ keys with 32 random bytes and an embedded lookup id', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^pk_[0-9a-hjkmnp-tv-z]{16}_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(-43), 'base64url')).toHaveLength(32);
    expect(lookupIdOf(key)).toBe(key.slice(3, 19));
    expect(generateApiKey()).not.toBe(key);
  });

  it('derives a lookup id for operator-chosen keys and salts hashes', () => {
    const chosen = 'pk_test_bootstrap_key_0123456789abcdef';
    expect(lookupIdOf(chosen)).toMatch(/^h[0-9a-f]{31}$/);
    expect(lookupIdOf(chosen)).toBe(lookupIdOf(chosen));
    expect(hashApiKey(chosen, '00ff')).not.toBe(hashApiKey(chosen, '0fff'));
  });

  it('rejects malformed keys with a reason', () => {
    expect(apiKeyProblem('sk_' + 'x'.repeat(40))).toMatch(/starts with pk_/);
    expect(apiKeyProblem('pk_short')).toMatch(/at least 32/);
    expect(apiKeyProblem('pk_' + 'x'.repeat(300))).toMatch(/at most 256/);
    expect(apiKeyProblem('pk_' + 'x'.repeat(30) + ' y')).toMatch(/printable/);
    expect(apiKeyProblem(generateApiKey())).toBeUndefined();
  });
});

describe('API key service', () => {
  it('creates a key shown once, stores only its hash, and verifies it to a principal', async () => {
    const t = await tenant();
    const { key, row } = await keys.create({
      tenantId: t,
      name: 'ci',
      role: 'workspace_developer',
    });
    expect(JSON.stringify(row)).not.toContain(key.slice(20));
    expect(row.hash).toBe(hashApiKey(key, row.salt));
    const v = await keys.verify(key);
    expect(v).toEqual({
      kind: 'valid',
      keyId: row.id,
      principal: { tenantId: t, role: 'workspace_developer', subject: row.id, kind: 'api_key' },
    });
    expect(
      (await tdb.repos.forTenant(t).apiKeys.get(row.id as never))?.last_used_at?.getTime(),
    ).toBe(now);
  });

  it('refuses malformed, unknown, tampered, revoked and expired keys', async () => {
    const t = await tenant();
    const { key, row } = await keys.create({
      tenantId: t,
      name: 'a',
      role: 'tenant_admin',
      expiresAt: new Date(now + 1000),
    });
    expect(await keys.verify('pk_nope')).toEqual({ kind: 'invalid', reason: 'malformed' });
    expect(await keys.verify(generateApiKey())).toEqual({ kind: 'invalid', reason: 'unknown' });
    const tampered = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    expect(await keys.verify(tampered)).toEqual({ kind: 'invalid', reason: 'unknown' });
    now += 1000;
    // Refused, but known for sure (the secret matched): whose key it is.
    expect(await keys.verify(key)).toEqual({
      kind: 'invalid',
      reason: 'expired',
      tenantId: t,
      keyId: row.id,
    });
    const other = await keys.create({ tenantId: t, name: 'b', role: 'tenant_admin' });
    expect(await keys.revoke(t, other.row.id as never)).toBe(true);
    expect(await keys.verify(other.key)).toEqual({
      kind: 'invalid',
      reason: 'revoked',
      tenantId: t,
      keyId: other.row.id,
    });
    // A tenant cannot revoke another tenant's key.
    const u = await tenant();
    expect(await keys.revoke(u, row.id as never)).toBe(false);
  });

  it('validates names and explicit keys', async () => {
    const t = await tenant();
    await expect(keys.create({ tenantId: t, name: '', role: 'workspace_qa' })).rejects.toThrow(
      VoiceError,
    );
    await expect(
      keys.create({ tenantId: t, name: 'x', role: 'workspace_qa', key: 'pk_too_short' }),
    ).rejects.toThrow(/at least 32/);
  });
});

describe('bootstrap', () => {
  it('ensures the default tenant and a platform_admin key, idempotently', async () => {
    const key = 'pk_bootstrap_for_tests_0123456789abcdef';
    const first = await ensureBootstrap({ repos: tdb.repos, keys, bootstrapKey: key });
    expect(first.tenant.slug).toBe('default');
    expect(first.tenant.tier).toBe('enterprise');
    expect(first).toMatchObject({ tenantCreated: true, keyCreated: true });
    const again = await ensureBootstrap({ repos: tdb.repos, keys, bootstrapKey: key });
    expect(again).toMatchObject({ tenantCreated: false, keyCreated: false });
    expect(again.tenant.id).toBe(first.tenant.id);
    const v = await keys.verify(key);
    expect(v.kind === 'valid' && v.principal.role).toBe('platform_admin');
    expect(v.kind === 'valid' && v.principal.tenantId).toBe(first.tenant.id);
  });

  it('refuses a revoked bootstrap key and works without one', async () => {
    const key = 'pk_bootstrap_revoked_0123456789abcdefgh';
    const r = await ensureBootstrap({ repos: tdb.repos, keys, bootstrapKey: key });
    const found = await tdb.repos.apiKeyLookup.find(lookupIdOf(key));
    await keys.revoke(r.tenant.id as TenantId, found?.id as never);
    await expect(ensureBootstrap({ repos: tdb.repos, keys, bootstrapKey: key })).rejects.toThrow(
      /revoked/,
    );
    expect((await ensureBootstrap({ repos: tdb.repos, keys })).keyCreated).toBe(false);
  });

  it('creates tenants only with known tiers and valid limits', async () => {
    await expect(
      createTenant(tdb.repos, { slug: 'p', name: 'P', tier: 'platinum' }),
    ).rejects.toThrow(/tier must be one of/);
    await expect(
      createTenant(tdb.repos, {
        slug: 'q',
        name: 'Q',
        tier: 'trial',
        limits: { concurrent_sessions: -2 },
      }),
    ).rejects.toThrow(VoiceError);
    const ok = await createTenant(tdb.repos, {
      slug: 'r',
      name: 'R',
      tier: 'growth',
      limits: { concurrent_sessions: 150 },
    });
    expect(ok.limits).toEqual({ concurrent_sessions: 150 });
    const unlimited = await createTenant(tdb.repos, {
      slug: 's',
      name: 'S',
      tier: 'trial',
      limits: { monthly_tokens: null },
    });
    const stored = await tdb.repos.tenants.get(unlimited.id as TenantId);
    expect(stored?.limits).toEqual({ monthly_tokens: null });
    expect(limitsOfTenant(stored ?? { tier: 'trial', limits: {} }).monthlyTokens).toBeNull();
  });
});
