/**
 * The audit log through the composed control plane: every call of an admin route (and
 * of a session operation) leaves exactly one record in the chain of the tenant it
 * concerns, with its actor, outcome and request id and never a secret; `GET /audit`
 * lists and filters them for those allowed; `GET /audit/verify` recomputes the chain and
 * checks the signed checkpoints, and names the exact record a direct change broke.
 */
import { generateKeyPairSync } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCheckpointNote } from '@prx-voice/audit';
import type { TenantId } from '@prx-voice/types';
import { createControlHarness } from './testing/control-harness.js';
import type { ControlHarness } from './testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from './testing/composed.js';
import type { VoiceControl } from './voice-control.js';

const der = generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' });
const SEED = der.subarray(der.length - 32).toString('base64');

let h: ControlHarness;
let voice: VoiceControl;
let tenantId: TenantId;
let admin: string;
let platform: string;
let viewer: string;

type Json = { data: Record<string, unknown> & { items?: Record<string, unknown>[] } };
async function call(
  path: string,
  token: string,
  method = 'GET',
  body?: unknown,
): Promise<{ status: number; json: Json; requestId: string | null }> {
  const res = await h.request(
    `/api/v1${path}`,
    { method, token, ...(body === undefined ? {} : { body }) },
    voice.control,
  );
  return {
    status: res.status,
    json: (await res.json()) as Json,
    requestId: res.headers.get('X-Request-Id'),
  };
}

/** Every record of a tenant, straight from the database. */
async function records(id: string) {
  return (await h.db.repos.forTenant(id as TenantId).audit.list({ limit: 200 })).items;
}

beforeAll(async () => {
  h = await createControlHarness();
  voice = composeVoiceControl(h, {
    audit: { signing: { enabled: true, private_key: SEED }, checkpoint_every: 5 },
  });
  const tenant = await h.tenant('growth');
  tenantId = tenant.id as TenantId;
  admin = await h.key(tenant.id, 'tenant_admin');
  platform = await h.key(tenant.id, 'platform_admin');
  viewer = await h.key(tenant.id, 'workspace_viewer');
}, 60_000);

afterAll(() => shutdownOnClock(h, voice));

describe('audit log', () => {
  it('records every admin call once, in the chain of the tenant it concerns', async () => {
    const other = await h.tenant('starter');
    const steps: {
      path: string;
      method?: string;
      body?: unknown;
      token: string;
      action: string;
      outcome: string;
      tenant?: string;
    }[] = [
      {
        path: '/api-keys',
        method: 'POST',
        body: { name: 'ci', role: 'workspace_developer' },
        token: admin,
        action: 'api_key.create',
        outcome: 'success',
      },
      { path: '/api-keys', token: admin, action: 'api_key.list', outcome: 'success' },
      { path: `/tenants/${tenantId}`, token: admin, action: 'tenant.read', outcome: 'success' },
      {
        path: `/tenants/${tenantId}`,
        method: 'PATCH',
        body: { name: 'Renamed' },
        token: admin,
        action: 'tenant.update',
        outcome: 'success',
      },
      { path: '/usage', token: admin, action: 'usage.read', outcome: 'success' },
      { path: '/invoices', token: admin, action: 'invoice.list', outcome: 'success' },
      { path: '/price-books', token: platform, action: 'price_book.list', outcome: 'success' },
      { path: '/incidents', token: admin, action: 'incident.list', outcome: 'success' },
      // Refused: the viewer may not create keys; still recorded, as denied.
      {
        path: '/api-keys',
        method: 'POST',
        body: { name: 'x', role: 'workspace_viewer' },
        token: viewer,
        action: 'api_key.create',
        outcome: 'denied',
      },
      // A platform admin acting on another tenant: that tenant's chain.
      {
        path: `/tenants/${other.id}`,
        method: 'PATCH',
        body: { name: 'Other renamed' },
        token: platform,
        action: 'tenant.update',
        outcome: 'success',
        tenant: other.id,
      },
      {
        path: '/sessions',
        method: 'POST',
        body: { channel: 'websocket' },
        token: admin,
        action: 'session.create',
        outcome: 'success',
      },
    ];
    let sessionId = '';
    for (const step of steps) {
      const concerned = step.tenant ?? tenantId;
      const before = (await records(concerned)).length;
      const res = await call(step.path, step.token, step.method, step.body);
      if (step.action === 'session.create') sessionId = String(res.json.data['id']);
      const after = await records(concerned);
      expect(after.length, step.action).toBe(before + 1);
      expect(after.at(-1), step.action).toMatchObject({
        action: step.action,
        outcome: step.outcome,
        actor_type: 'api_key',
        request_id: res.requestId,
      });
    }
    await settle();
    const ended = await call(`/sessions/${sessionId}/end`, admin, 'POST');
    expect(ended.status).toBeLessThan(300);
    const last = (await records(tenantId)).at(-1);
    expect(last).toMatchObject({
      action: 'session.end',
      resource_type: 'session',
      resource_id: sessionId,
      outcome: 'success',
    });
    // The created key's id is the record's target; its secret is nowhere in the log.
    const created = (await records(tenantId)).find((r) => r.action === 'api_key.create');
    expect(created?.resource_id).toMatch(/^key_/);
    expect(created?.details).toMatchObject({ role: 'tenant_admin', status: 201, method: 'POST' });
    expect(JSON.stringify(await records(tenantId))).not.toMatch(/pk_[0-9a-z]{16}_/);
    const otherRecord = (await records(other.id)).at(-1);
    expect(otherRecord?.details).toMatchObject({
      actor_tenant_id: tenantId,
      role: 'platform_admin',
    });
  });

  it('lists and filters for those with audit:read, verifies, and names the record a change broke', async () => {
    expect((await call('/audit', viewer)).status).toBe(403);
    const listed = await call('/audit?action=api_key.create&limit=50', admin);
    expect(listed.status).toBe(200);
    expect(listed.json.data.items?.map((r) => [r['action'], r['outcome']])).toEqual([
      ['api_key.create', 'success'],
      ['api_key.create', 'denied'],
    ]);
    const denied = await call('/audit?outcome=denied', admin);
    expect(denied.json.data.items?.every((r) => r['outcome'] === 'denied')).toBe(true);

    const verified = await call('/audit/verify', admin);
    expect(verified.status).toBe(200);
    expect(verified.json.data).toMatchObject({ ok: true });
    const size = verified.json.data['records'] as number;
    expect(size).toBeGreaterThanOrEqual(10);
    // Checkpoints every 5 records, signed: each note checks out with the published key.
    const key = verified.json.data['verifier_key'] as string;
    expect(key).toMatch(/^prx-voice-audit\+[0-9a-f]{8}\+/);
    const cps = (await h.db.repos.forTenant(tenantId).audit.checkpoints()).items;
    // (The verification's own record came after it: one more.)
    expect(cps.length).toBe(Math.floor((size + 1) / 5));
    for (const cp of cps) expect(verifyCheckpointNote(cp.note, key).ok).toBe(true);

    // Tampering with a stored record: the verification names it.
    const victim = (await records(tenantId))[3];
    await sql`update audit_records set outcome = 'success' , ip = '198.51.100.1' where id = ${String(victim?.id)}`.execute(
      h.db.handle.db,
    );
    const broken = await call('/audit/verify', admin);
    expect(broken.json.data).toMatchObject({
      ok: false,
      records: 3,
      first_bad_record: { seq: 4, id: victim?.id, reason: 'altered' },
    });
    // Every call above was itself recorded (the reads of the log too).
    const actions = (await records(tenantId)).map((r) => r.action);
    expect(actions.filter((a) => a === 'audit.verify')).toHaveLength(2);
    expect(actions.filter((a) => a === 'audit.list')).toHaveLength(3);
  });

  it('records refused credentials of a known tenant, aggregated per minute, and counts every refusal', async () => {
    const created = await call('/api-keys', admin, 'POST', {
      name: 'soon revoked',
      role: 'workspace_viewer',
    });
    const { id: keyId, key } = created.json.data as { id: string; key: string };
    expect((await call(`/api-keys/${keyId}`, admin, 'DELETE')).status).toBeLessThan(300);
    const failedRecords = async () =>
      (await records(tenantId)).filter((r) => r.action === 'auth.failed');
    for (let i = 0; i < 3; i++) expect((await call('/usage', key)).status).toBe(401);
    // The first at once; the two after it within the minute wait for the next window.
    expect(await failedRecords()).toMatchObject([
      {
        actor_type: 'api_key',
        actor_id: keyId,
        outcome: 'denied',
        resource_type: 'credential',
        details: { reason: 'revoked', count: 1 },
      },
    ]);
    h.clock.advance(61_000);
    expect((await call('/usage', key)).status).toBe(401);
    await settle();
    expect((await failedRecords()).map((r) => r.details['count'])).toEqual([1, 2, 1]);
    // A key nobody has: counted, not audited (it names no tenant).
    const before = (await failedRecords()).length;
    expect((await call('/usage', 'pk_abcdefghijklmnop_' + 'x'.repeat(43))).status).toBe(401);
    expect((await failedRecords()).length).toBe(before);
    const metrics = await voice.metrics.render();
    expect(metrics).toMatch(/prx_voice_auth_failures_total\{reason="revoked"\} 4/);
    expect(metrics).toMatch(/prx_voice_auth_failures_total\{reason="invalid_api_key"\} 1/);
  });

  it('refuses to start with signing enabled and no key, or a key that is not Ed25519', () => {
    expect(() => composeVoiceControl(h, { audit: { signing: { enabled: true } } })).toThrow(
      /audit\.signing\.private_key/,
    );
    expect(() =>
      composeVoiceControl(h, { audit: { signing: { enabled: true, private_key: 'c2hvcnQ=' } } }),
    ).toThrow(/audit\.signing\.private_key.*Ed25519/s);
    expect(() =>
      composeVoiceControl(h, {
        audit: { signing: { enabled: true, private_key_file: '/nonexistent/key.pem' } },
      }),
    ).toThrow(/audit\.signing\.private_key_file: cannot read/);
  });
});
