import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmissionService } from '@prx-voice/policy';
import type { TenantRow } from '@prx-voice/storage';
import type { TenantId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';

interface Env<T = Record<string, unknown>> {
  data: T | null;
  error: { code: string; details: Record<string, unknown> } | null;
}

let h: ControlHarness;
let platform: string;
let home: TenantRow;

beforeAll(async () => {
  h = await createControlHarness();
  home = await h.tenant('enterprise');
  platform = await h.key(home.id, 'platform_admin');
});

afterAll(async () => {
  await h.close();
});

async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: Env<T> }> {
  const res = await h.request(`/api/v1${path}`, {
    method,
    token,
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.status, body: (await res.json()) as Env<T> };
}

describe('tenants', () => {
  it('lets platform admins create tenants', async () => {
    const created = await call('POST', '/tenants', platform, {
      slug: 'acme',
      name: 'Acme',
      tier: 'starter',
      limits: { concurrent_sessions: 3 },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({
      slug: 'acme',
      name: 'Acme',
      tier: 'starter',
      status: 'active',
      limits: { concurrent_sessions: 3 },
      effective_limits: { concurrent_sessions: 3, requests_per_second: 20 },
    });
    expect(created.body.data?.['id']).toMatch(/^ten_/);
    expect(
      (await call('POST', '/tenants', platform, { slug: 'acme', name: 'Again' })).body.error?.code,
    ).toBe('CONFLICT');
    const bad = await call('POST', '/tenants', platform, {
      slug: 'Bad Slug',
      name: 'x',
      tier: 'gold',
    });
    expect(bad.status).toBe(400);
    expect((bad.body.error?.details['issues'] as { path: string }[]).map((i) => i.path)).toEqual([
      'slug',
      'tier',
    ]);
  });

  it('refuses tenant creation and listing to tenant admins', async () => {
    const admin = await h.key(home.id, 'tenant_admin');
    expect((await call('POST', '/tenants', admin, { slug: 'nope', name: 'Nope' })).status).toBe(
      403,
    );
    expect((await call('GET', '/tenants', admin)).status).toBe(403);
  });

  it('lists tenants with cursor pagination', async () => {
    for (let i = 0; i < 3; i++) await h.tenant();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${cursor}`;
      const page = await call<{ items: { id: string }[]; next_cursor: string | null }>(
        'GET',
        `/tenants${q}`,
        platform,
      );
      expect(page.status).toBe(200);
      expect(page.body.data?.items.length).toBeLessThanOrEqual(2);
      seen.push(...(page.body.data?.items.map((t) => t.id) ?? []));
      cursor = page.body.data?.next_cursor ?? null;
      pages++;
    } while (cursor !== null && pages < 20);
    const all = (await h.db.repos.tenants.list({ limit: 200 })).items.map((t) => t.id);
    expect(seen).toEqual(all);
    expect(pages).toBeGreaterThan(1);
    expect((await call('GET', '/tenants?limit=0', platform)).status).toBe(400);
    expect((await call('GET', '/tenants?cursor=garbage!', platform)).body.error?.code).toBe(
      'VALIDATION_FAILED',
    );
  });

  it('lets tenant admins read their own tenant, and platform admins any', async () => {
    const t = await h.tenant();
    const admin = await h.key(t.id, 'tenant_admin');
    expect((await call('GET', `/tenants/${t.id}`, admin)).status).toBe(200);
    expect((await call('GET', `/tenants/${home.id}`, admin)).status).toBe(403);
    expect((await call('GET', `/tenants/${t.id}`, platform)).status).toBe(200);
    const missing = await call('GET', '/tenants/ten_01jgz5r3p8x4k2m6n7q9s0t1v2', platform);
    expect([missing.status, missing.body.error?.code]).toEqual([404, 'TENANT_NOT_FOUND']);
    const malformed = await call('GET', '/tenants/sess_01jgz5r3p8x4k2m6n7q9s0t1v2', platform);
    expect([malformed.status, malformed.body.error?.details['location']]).toEqual([400, 'path']);
  });

  it('lets tenant admins rename but not re-tier, re-limit or suspend', async () => {
    const t = await h.tenant('trial');
    const admin = await h.key(t.id, 'tenant_admin');
    const renamed = await call('PATCH', `/tenants/${t.id}`, admin, {
      name: 'Renamed',
      settings: { locale: 'de' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.data).toMatchObject({ name: 'Renamed', settings: { locale: 'de' } });
    expect((await call('PATCH', `/tenants/${t.id}`, admin, { tier: 'enterprise' })).status).toBe(
      403,
    );
    expect(
      (await call('PATCH', `/tenants/${t.id}`, admin, { limits: { concurrent_sessions: 999 } }))
        .status,
    ).toBe(403);
    expect((await call('PATCH', `/tenants/${t.id}`, admin, { status: 'suspended' })).status).toBe(
      403,
    );
    expect((await call('PATCH', `/tenants/${t.id}`, admin, {})).status).toBe(400);
    expect((await call('PATCH', `/tenants/${t.id}`, admin, { id: 'x' })).status).toBe(400);
    const upgraded = await call('PATCH', `/tenants/${t.id}`, platform, {
      tier: 'growth',
      limits: { request_burst: 7 },
    });
    expect(upgraded.body.data).toMatchObject({
      tier: 'growth',
      effective_limits: { request_burst: 7, concurrent_sessions: 100 },
    });
    expect(
      (await call('PATCH', `/tenants/${home.id}`, platform, { status: 'suspended' })).body.error
        ?.details['reason'],
    ).toBe('self_suspension');
  });
});

describe('API keys', () => {
  it('creates a key whose secret is shown once and works', async () => {
    const t = await h.tenant();
    const admin = await h.key(t.id, 'tenant_admin');
    const created = await call<{ key: string; id: string; role: string; tenant_id: string }>(
      'POST',
      '/api-keys',
      admin,
      { name: 'ci', role: 'workspace_developer' },
    );
    expect(created.status).toBe(201);
    expect(created.body.data?.key).toMatch(/^pk_/);
    expect(created.body.data).toMatchObject({ role: 'workspace_developer', tenant_id: t.id });
    const newKey = created.body.data?.key ?? '';
    expect((await call('GET', '/usage', newKey)).status).toBe(403); // developers lack quota:read
    const list = await call<{ items: Record<string, unknown>[] }>('GET', '/api-keys', newKey);
    expect(list.status).toBe(403); // nor apikey:read
    const listed = await call<{ items: Record<string, unknown>[] }>('GET', '/api-keys', admin);
    expect(listed.body.data?.items.length).toBe(2);
    for (const item of listed.body.data?.items ?? []) {
      expect(Object.keys(item)).not.toContain('key');
      expect(Object.keys(item)).not.toContain('hash');
      expect(Object.keys(item)).not.toContain('salt');
    }
  });

  it("refuses to grant roles beyond the caller's own", async () => {
    const t = await h.tenant();
    const wsAdmin = await h.key(t.id, 'workspace_admin');
    const admin = await h.key(t.id, 'tenant_admin');
    const up = await call('POST', '/api-keys', wsAdmin, { name: 'x', role: 'tenant_admin' });
    expect([up.status, up.body.error?.details['reason']]).toEqual([403, 'role_escalation']);
    expect(
      (await call('POST', '/api-keys', admin, { name: 'x', role: 'platform_admin' })).status,
    ).toBe(403);
    expect(
      (await call('POST', '/api-keys', wsAdmin, { name: 'x', role: 'workspace_operator' })).status,
    ).toBe(201);
    const viewer = await h.key(t.id, 'workspace_viewer');
    expect(
      (await call('POST', '/api-keys', viewer, { name: 'x', role: 'workspace_viewer' })).status,
    ).toBe(403);
    const past = await call('POST', '/api-keys', admin, {
      name: 'x',
      role: 'workspace_viewer',
      expires_at: new Date(h.clock.now() - 1000).toISOString(),
    });
    expect(past.status).toBe(400);
  });

  it('lets platform admins create keys in another tenant', async () => {
    const t = await h.tenant();
    const created = await call<{ key: string }>('POST', '/api-keys', platform, {
      name: 'first',
      role: 'tenant_admin',
      tenant_id: t.id,
    });
    expect(created.status).toBe(201);
    expect((await call('GET', `/tenants/${t.id}`, created.body.data?.key ?? '')).status).toBe(200);
    const admin = await h.key(t.id, 'tenant_admin');
    expect(
      (
        await call('POST', '/api-keys', admin, {
          name: 'x',
          role: 'workspace_viewer',
          tenant_id: home.id,
        })
      ).status,
    ).toBe(403);
  });

  it('revokes keys', async () => {
    const t = await h.tenant();
    const admin = await h.key(t.id, 'tenant_admin');
    const created = await call<{ key: string; id: string }>('POST', '/api-keys', admin, {
      name: 'tmp',
      role: 'workspace_viewer',
    });
    const id = created.body.data?.id ?? '';
    const revoked = await call<{ revoked_at: string | null }>('DELETE', `/api-keys/${id}`, admin);
    expect(revoked.status).toBe(200);
    expect(revoked.body.data?.revoked_at).toBe(new Date(h.clock.now()).toISOString());
    expect((await call('DELETE', `/api-keys/${id}`, admin)).status).toBe(200);
    expect((await call('GET', '/health/live', created.body.data?.key ?? '')).status).toBe(200);
    expect((await call('GET', `/tenants/${t.id}`, created.body.data?.key ?? '')).status).toBe(401);
    expect(
      (await call('DELETE', '/api-keys/key_01jgz5r3p8x4k2m6n7q9s0t1v2', admin)).body.error?.code,
    ).toBe('NOT_FOUND');
    const other = await h.tenant();
    const otherAdmin = await h.key(other.id, 'tenant_admin');
    expect((await call('DELETE', `/api-keys/${id}`, otherAdmin)).status).toBe(404);
    const wsAdmin = await h.key(t.id, 'workspace_admin');
    const adminRow = (await h.db.repos.forTenant(t.id as TenantId).apiKeys.list()).items.find(
      (k) => k.role === 'tenant_admin',
    );
    expect((await call('DELETE', `/api-keys/${adminRow?.id ?? ''}`, wsAdmin)).status).toBe(403);
  });
});

describe('usage', () => {
  it("reports this month's budgets and live sessions", async () => {
    const t = await h.tenant('trial');
    await createAdmissionService({ coordinator: h.coordinator, clock: h.clock }).consume(
      t,
      'tokens',
      1234,
    );
    const admin = await h.key(t.id, 'billing_viewer');
    const res = await call<{
      period: string;
      usage: { kind: string; used: number; budget: number | null }[];
      live_sessions: number;
    }>('GET', '/usage', admin);
    expect(res.status).toBe(200);
    expect(res.body.data?.period).toBe('2026-01');
    expect(res.body.data?.usage).toEqual([
      { kind: 'session_seconds', used: 0, budget: 3600, exceeded: false },
      { kind: 'tokens', used: 1234, budget: 200_000, exceeded: false },
      { kind: 'characters', used: 0, budget: 100_000, exceeded: false },
    ]);
    expect(res.body.data?.live_sessions).toBe(0);
    expect((await call('GET', `/usage?tenant_id=${t.id}`, platform)).status).toBe(200);
  });
});

describe('incidents', () => {
  it('shows platform incidents to platform admins only, and each tenant its own', async () => {
    const t = await h.tenant();
    const admin = await h.key(t.id, 'tenant_admin');
    const other = await h.tenant();
    const platformIncident = await h.db.repos.platformIncidents.open({
      severity: 'critical',
      title: 'degradation L4 on node-1',
      trigger: 'load',
      details: { sev: 'SEV1', timeline: [{ level: 4 }] },
    });
    const mine = await h.db.repos.forTenant(t.id as TenantId).incidents.open({
      severity: 'warn',
      title: 'slow tts',
      trigger: 'provider_latency',
    });
    type Page = { items: { id: string; tenant_id: string | null }[] };
    const seen = await call<Page>('GET', '/incidents', platform);
    expect(seen.status).toBe(200);
    expect(seen.body.data?.items.map((i) => i.id)).toContain(platformIncident.id);
    expect(seen.body.data?.items.every((i) => i.tenant_id === null)).toBe(true);
    const own = await call<Page>('GET', '/incidents?status=open', admin);
    expect(own.body.data?.items.map((i) => i.id)).toEqual([mine.id]);
    // Not another tenant's, not the platform's.
    expect((await call('GET', `/incidents?tenant_id=${other.id}`, admin)).status).toBe(403);
    expect((await call('GET', `/incidents/${platformIncident.id}`, admin)).status).toBe(404);
    const one = await call('GET', `/incidents/${platformIncident.id}`, platform);
    expect(one.body.data).toMatchObject({ severity: 'critical', details: { sev: 'SEV1' } });
    expect((await call('GET', `/incidents/${mine.id}?tenant_id=${t.id}`, platform)).status).toBe(
      200,
    );
  });
});
