import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRow } from '@prx-voice/storage';
import type { ApiKeyId, TenantId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';

interface ErrorBody {
  error: { code: string; details: Record<string, unknown> } | null;
  data: unknown;
}

const ISSUER = 'https://idp.example.com/';
const AUDIENCE = 'prx-voice';

let h: ControlHarness;
let privateKey: CryptoKey;
let publicPem: string;
let tenant: TenantRow;
let other: TenantRow;

const nowS = (): number => Math.floor(h.clock.now() / 1000);

function sign(
  claims: JWTPayload,
  opts: {
    key?: CryptoKey | Uint8Array;
    alg?: string;
    iss?: string;
    aud?: string;
    exp?: number | null;
    kid?: string;
  } = {},
): Promise<string> {
  let jwt = new SignJWT({ tenant_id: tenant.id, role: 'tenant_admin', ...claims })
    .setProtectedHeader({
      alg: opts.alg ?? 'RS256',
      ...(opts.kid === undefined ? {} : { kid: opts.kid }),
    })
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setSubject('user-1')
    .setIssuedAt(nowS());
  if (opts.exp !== null) jwt = jwt.setExpirationTime(opts.exp ?? nowS() + 300);
  return jwt.sign(opts.key ?? privateKey);
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function get(
  path: string,
  token?: string,
  app = h.control,
): Promise<{ status: number; body: ErrorBody; res: Response }> {
  const res = await h.request(path, token === undefined ? {} : { token }, app);
  return { status: res.status, body: (await res.json()) as ErrorBody, res };
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  publicPem = await exportSPKI(pair.publicKey);
  h = await createControlHarness({
    config: {
      auth: {
        jwt: { issuer: ISSUER, audience: AUDIENCE, algorithm: 'RS256', public_keys: [publicPem] },
      },
    },
  });
  tenant = await h.tenant();
  other = await h.tenant();
  h.control.api.get('/upgrade-test', (c) => c.json({ tenant: c.get('principal').tenantId }));
  h.control.registry.setAuth('get', '/upgrade-test', 'query');
});

afterAll(async () => {
  await h.close();
});

describe('JWT', () => {
  it('accepts a valid token and takes tenant and role from its claims', async () => {
    const { status, body } = await get(`/api/v1/tenants/${tenant.id}`, await sign({}));
    expect(status).toBe(200);
    expect((body.data as { id: string }).id).toBe(tenant.id);
  });

  it('refuses an expired token with TOKEN_EXPIRED, within the clock tolerance it passes', async () => {
    const expired = await get(`/api/v1/tenants/${tenant.id}`, await sign({}, { exp: nowS() - 60 }));
    expect(expired.status).toBe(401);
    expect(expired.body.error?.code).toBe('TOKEN_EXPIRED');
    expect(expired.res.headers.get('WWW-Authenticate')).toBe(
      'Bearer realm="prx-voice", error="invalid_token"',
    );
    const tolerated = await get(
      `/api/v1/tenants/${tenant.id}`,
      await sign({}, { exp: nowS() - 3 }),
    );
    expect(tolerated.status).toBe(200);
  });

  it('checks expiry against the injected clock', async () => {
    const token = await sign({}, { exp: nowS() + 60 });
    expect((await get(`/api/v1/tenants/${tenant.id}`, token)).status).toBe(200);
    h.clock.advance(120_000);
    expect((await get(`/api/v1/tenants/${tenant.id}`, token)).body.error?.code).toBe(
      'TOKEN_EXPIRED',
    );
  });

  it.each([
    ['not yet valid', () => sign({ nbf: nowS() + 600 }), 'claim_nbf'],
    ['wrong audience', () => sign({}, { aud: 'someone-else' }), 'claim_aud'],
    ['wrong issuer', () => sign({}, { iss: 'https://evil.example.com/' }), 'claim_iss'],
    ['without exp', () => sign({}, { exp: null }), 'claim_exp'],
    ['an unknown role', () => sign({ role: 'god' }), 'role_claim'],
    ['a malformed tenant', () => sign({ tenant_id: 'acme' }), 'tenant_claim'],
    [
      'a tenant that does not exist',
      () => sign({ tenant_id: 'ten_01jgz5r3p8x4k2m6n7q9s0t1v2' }),
      'unknown_tenant',
    ],
  ])('refuses a token with %s', async (_name, make, reason) => {
    const { status, body } = await get(`/api/v1/tenants/${tenant.id}`, await make());
    expect(status).toBe(401);
    expect(body.error?.code).toBe('UNAUTHENTICATED');
    expect(body.error?.details['reason']).toBe(reason);
  });

  it('refuses alg none, HS256 signed with the public key, and tampered signatures', async () => {
    const payload = {
      iss: ISSUER,
      aud: AUDIENCE,
      exp: nowS() + 300,
      tenant_id: tenant.id,
      role: 'platform_admin',
    };
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
    const hsWithPublic = await sign(
      { role: 'platform_admin' },
      { alg: 'HS256', key: new TextEncoder().encode(publicPem) },
    );
    const valid = await sign({});
    const [head, body, sig] = valid.split('.') as [string, string, string];
    const flipped = `${head}.${body}.${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    const escalated = `${head}.${b64url({ ...payload, role: 'platform_admin', sub: 'user-1', iat: nowS() })}.${sig}`;
    const otherPair = await generateKeyPair('RS256');
    const foreign = await sign({}, { key: otherPair.privateKey });
    for (const [token, reason] of [
      [none, 'algorithm'],
      [hsWithPublic, 'algorithm'],
      [flipped, 'signature'],
      [escalated, 'signature'],
      [foreign, 'signature'],
      ['not.a.jwt', 'malformed'],
    ] as const) {
      const res = await get(`/api/v1/tenants/${tenant.id}`, token);
      expect(res.status, token).toBe(401);
      expect(res.body.error?.details['reason'], token).toBe(reason);
    }
  });

  it('verifies against a JWKS URL through the injected fetch', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const fetched: string[] = [];
    const app = h.build({
      config: {
        auth: {
          jwt: {
            issuer: ISSUER,
            audience: AUDIENCE,
            algorithm: 'ES256',
            jwks_url: 'https://idp.example.com/jwks.json',
          },
        },
      },
      deps: {
        jwksFetch: (url) => {
          fetched.push(url);
          return Promise.resolve(Response.json({ keys: [jwk] }));
        },
      },
    });
    const token = await sign({}, { key: pair.privateKey, alg: 'ES256', kid: 'k1' });
    expect((await get(`/api/v1/tenants/${tenant.id}`, token, app)).status).toBe(200);
    expect(fetched).toEqual(['https://idp.example.com/jwks.json']);
    const rsa = await sign({}, { kid: 'k1' });
    expect(
      (await get(`/api/v1/tenants/${tenant.id}`, rsa, app)).body.error?.details['reason'],
    ).toBe('algorithm');
  });

  it('verifies HS256 with the configured secret', async () => {
    const secret = 's'.repeat(40);
    const app = h.build({
      config: {
        auth: {
          jwt: { issuer: ISSUER, audience: AUDIENCE, algorithm: 'HS256', hs256_secret: secret },
        },
      },
    });
    const good = await sign({}, { alg: 'HS256', key: new TextEncoder().encode(secret) });
    expect((await get(`/api/v1/tenants/${tenant.id}`, good, app)).status).toBe(200);
    const bad = await sign({}, { alg: 'HS256', key: new TextEncoder().encode('t'.repeat(40)) });
    expect((await get(`/api/v1/tenants/${tenant.id}`, bad, app)).status).toBe(401);
  });

  it('refuses JWTs when none are configured', async () => {
    const app = h.build({ config: {} });
    const res = await get(`/api/v1/tenants/${tenant.id}`, await sign({}), app);
    expect(res.body.error?.details['reason']).toBe('jwt_disabled');
  });
});

describe('API keys', () => {
  it('accepts a valid key and refuses revoked, unknown, malformed and expired ones', async () => {
    const key = await h.key(tenant.id, 'tenant_admin');
    expect((await get(`/api/v1/tenants/${tenant.id}`, key)).status).toBe(200);

    const revokedKey = await h.apiKeys.create({
      tenantId: tenant.id as TenantId,
      name: 'r',
      role: 'tenant_admin',
    });
    await h.apiKeys.revoke(tenant.id as TenantId, revokedKey.row.id as ApiKeyId);
    const revoked = await get(`/api/v1/tenants/${tenant.id}`, revokedKey.key);
    expect([
      revoked.status,
      revoked.body.error?.code,
      revoked.body.error?.details['reason'],
    ]).toEqual([401, 'UNAUTHENTICATED', 'revoked']);

    const unknown = await get(
      `/api/v1/tenants/${tenant.id}`,
      `pk_${'a'.repeat(16)}_${'b'.repeat(43)}`,
    );
    expect([unknown.status, unknown.body.error?.details['reason']]).toEqual([
      401,
      'invalid_api_key',
    ]);
    const malformed = await get(`/api/v1/tenants/${tenant.id}`, 'pk_short');
    expect([malformed.status, malformed.body.error?.details['reason']]).toEqual([
      401,
      'invalid_api_key',
    ]);

    const expiring = await h.apiKeys.create({
      tenantId: tenant.id as TenantId,
      name: 'e',
      role: 'tenant_admin',
      expiresAt: new Date(h.clock.now() + 1000),
    });
    h.clock.advance(2000);
    expect((await get(`/api/v1/tenants/${tenant.id}`, expiring.key)).body.error?.code).toBe(
      'TOKEN_EXPIRED',
    );
  });

  it("does not let a key of tenant A read tenant B's resources", async () => {
    const key = await h.key(tenant.id, 'tenant_admin');
    const res = await get(`/api/v1/tenants/${other.id}`, key);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'cross_tenant' },
    });
    expect((await get(`/api/v1/api-keys?tenant_id=${other.id}`, key)).status).toBe(403);
    expect((await get(`/api/v1/usage?tenant_id=${other.id}`, key)).status).toBe(403);
  });

  it('refuses the credential of a suspended tenant', async () => {
    const t = await h.tenant();
    const key = await h.key(t.id, 'tenant_admin');
    await h.db.repos.tenants.update(t.id as TenantId, { status: 'suspended' });
    const res = await get(`/api/v1/tenants/${t.id}`, key);
    expect(res.status).toBe(403);
    expect(res.body.error?.details['reason']).toBe('tenant_suspended');
  });
});

describe('presenting credentials', () => {
  it('asks for a bearer token when none or another scheme is sent', async () => {
    const missing = await get(`/api/v1/tenants/${tenant.id}`);
    expect(missing.status).toBe(401);
    expect(missing.res.headers.get('WWW-Authenticate')).toBe('Bearer realm="prx-voice"');
    const basic = await h.request(`/api/v1/tenants/${tenant.id}`, {
      headers: { Authorization: 'Basic dXNlcjpwYXNz' },
    });
    expect(basic.status).toBe(401);
  });

  it('takes ?token= only on routes that opt in, and only when configured', async () => {
    const key = await h.key(tenant.id, 'workspace_viewer');
    const opted = await h.request(`/api/v1/upgrade-test?token=${key}`);
    expect(opted.status).toBe(200);
    expect(await opted.json()).toEqual({ tenant: tenant.id });
    const plain = await get(`/api/v1/tenants/${tenant.id}?token=${key}`);
    expect([plain.status, plain.body.error?.details['reason']]).toEqual([401, 'query_token']);
    const off = h.build({ config: { auth: { allow_query_token: false } } });
    off.api.get('/upgrade-test', (c) => c.json({}));
    off.registry.setAuth('get', '/upgrade-test', 'query');
    expect((await h.request(`/api/v1/upgrade-test?token=${key}`, {}, off)).status).toBe(401);
  });
});
