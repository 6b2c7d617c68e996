import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRow } from '@prx-voice/storage';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import type { ControlApp } from '../app.js';
import { tenantBucket } from './rate-limit.js';

let h: ControlHarness;
let app: ControlApp;

beforeAll(async () => {
  h = await createControlHarness();
  app = h.build({
    config: {
      limits: {
        rate_limit: {
          per_credential: { requests_per_second: 0.5, burst: 3 },
          per_tenant: { requests_per_second: 2, burst: 5 },
        },
      },
    },
  });
});

afterAll(async () => {
  await h.close();
});

const limitHeaders = (res: Response): (string | null)[] =>
  ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After'].map((n) =>
    res.headers.get(n),
  );

async function read(t: TenantRow, key: string): Promise<Response> {
  return h.request(`/api/v1/tenants/${t.id}`, { token: key }, app);
}

describe('rate limits', () => {
  it('lets a credential burst, then answers 429 with Retry-After until tokens refill', async () => {
    const t = await h.tenant('enterprise');
    const key = await h.key(t.id, 'tenant_admin');
    const seen: (string | null)[][] = [];
    for (let i = 0; i < 3; i++) {
      const res = await read(t, key);
      expect(res.status).toBe(200);
      seen.push(limitHeaders(res));
    }
    expect(seen.map((s) => s.slice(0, 2))).toEqual([
      ['3', '2'],
      ['3', '1'],
      ['3', '0'],
    ]);
    expect(seen[2]?.[2]).toBe('6'); // 3 tokens at 0.5/s
    const denied = await read(t, key);
    expect(denied.status).toBe(429);
    expect(limitHeaders(denied)).toEqual(['3', '0', '6', '2']);
    const body = (await denied.json()) as {
      error: { code: string; retryable: boolean; details: Record<string, unknown> };
    };
    expect(body.error).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: true,
      details: { scope: 'credential' },
    });

    h.clock.advance(1_999);
    expect((await read(t, key)).status).toBe(429);
    h.clock.advance(1);
    expect((await read(t, key)).status).toBe(200);
    expect((await read(t, key)).status).toBe(429);
  });

  it("limits the tenant across its credentials with the tier's limits capped by config", async () => {
    const t = await h.tenant('enterprise');
    const keys = await Promise.all([1, 2].map(() => h.key(t.id, 'tenant_admin')));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await read(t, keys[i % 2] ?? '')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const denied = await read(t, keys[0] ?? '');
    expect(denied.status).toBe(429);
    expect(
      ((await denied.json()) as { error: { details: { scope: string } } }).error.details.scope,
    ).toBe('credential');
    const third = await h.key(t.id, 'tenant_admin');
    const tenantDenied = await read(t, third);
    expect(tenantDenied.status).toBe(429);
    expect(limitHeaders(tenantDenied)).toEqual(['5', '0', '3', '1']);
    expect(
      ((await tenantDenied.json()) as { error: { details: { scope: string } } }).error.details
        .scope,
    ).toBe('tenant');
    h.clock.advance(500);
    expect((await read(t, third)).status).toBe(200);
  });

  it('uses the lower of tier and configuration', async () => {
    const trial = await h.tenant('trial');
    expect(tenantBucket(trial, { requests_per_second: 100, burst: 200 })).toEqual({
      capacity: 10,
      refillPerSecond: 5,
    });
    expect(tenantBucket(trial, { requests_per_second: 2, burst: 5 })).toEqual({
      capacity: 5,
      refillPerSecond: 2,
    });
  });

  it('does not limit probes', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await h.request('/api/v1/health/live', {}, app);
      expect(res.status).toBe(200);
      expect(res.headers.get('RateLimit-Limit')).toBeNull();
    }
  });
});
