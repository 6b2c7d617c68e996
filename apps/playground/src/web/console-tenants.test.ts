/** The console's tenant scopes: which `GET /sessions` each reads, and in what order rows come. */
import { describe, expect, it } from 'vitest';
import { ApiError } from './api.js';
import type { Api } from './api.js';
import { ALL_LIVE, ALL_LIVE_TENANTS, OWN, listSessions, loadTenants } from './console-tenants.js';
import type { SessionView } from './console-tenants.js';

const session = (id: string, tenant: string, created: string, ended = false): SessionView => ({
  id,
  tenant_id: tenant,
  state: ended ? 'Closed' : 'Listening',
  channel: 'websocket',
  turn_count: 0,
  created_at: created,
  ended_at: ended ? created : null,
});

/** An API that answers `GET` from `answer` and records the paths asked for. */
function fakeApi(answer: (path: string) => unknown): Api & { paths: string[] } {
  const paths: string[] = [];
  return {
    paths,
    get: <T>(path: string) => {
      paths.push(path);
      return new Promise<T>((resolve) => resolve(answer(path) as T));
    },
    post: () => Promise.reject(new Error('not used')),
    raw: () => Promise.reject(new Error('not used')),
  };
}

describe('listSessions', () => {
  it("reads the key's own tenant, live first, each group newest first", async () => {
    const api = fakeApi(() => ({
      items: [
        session('s1', 'ten_a', '2026-01-01T00:00:01Z', true),
        session('s2', 'ten_a', '2026-01-01T00:00:02Z'),
        session('s3', 'ten_a', '2026-01-01T00:00:03Z', true),
        session('s4', 'ten_a', '2026-01-01T00:00:00Z'),
      ],
    }));
    const rows = await listSessions(api, OWN, []);
    expect(api.paths).toEqual(['sessions?limit=50']);
    expect(rows.map((s) => s.id)).toEqual(['s2', 's4', 's3', 's1']);
  });

  it('reads a picked tenant with tenant_id', async () => {
    const api = fakeApi(() => ({ items: [] }));
    await listSessions(api, 'ten_b', []);
    expect(api.paths).toEqual(['sessions?limit=50&tenant_id=ten_b']);
  });

  it("reads every tenant's sessions (up to the cap) and keeps the live ones", async () => {
    const tenants = Array.from({ length: ALL_LIVE_TENANTS + 3 }, (_, i) => ({
      id: `ten_${String(i)}`,
      slug: `t${String(i)}`,
      name: `T${String(i)}`,
    }));
    const api = fakeApi((path) => {
      const id = new URLSearchParams(path.split('?')[1]).get('tenant_id') ?? '';
      if (id === 'ten_0')
        return {
          items: [
            session('a', id, '2026-01-01T00:00:01Z'),
            session('b', id, '2026-01-01T00:00:05Z', true),
          ],
        };
      if (id === 'ten_1') return { items: [session('c', id, '2026-01-01T00:00:03Z')] };
      return { items: [] };
    });
    const rows = await listSessions(api, ALL_LIVE, tenants);
    expect(api.paths).toHaveLength(ALL_LIVE_TENANTS);
    expect(rows.map((s) => s.id)).toEqual(['c', 'a']);
  });
});

describe('loadTenants', () => {
  it('is undefined for a key that may not list tenants, and fails on anything else', async () => {
    const forbidden = fakeApi(() => {
      throw new ApiError('FORBIDDEN', 'platform admins only', 403);
    });
    expect(await loadTenants(forbidden)).toBeUndefined();
    const down = fakeApi(() => {
      throw new ApiError('NETWORK', 'The server cannot be reached.', 0);
    });
    await expect(loadTenants(down)).rejects.toThrow('cannot be reached');
    const admin = fakeApi(() => ({ items: [{ id: 'ten_a', slug: 'a', name: 'A' }] }));
    expect(await loadTenants(admin)).toEqual([{ id: 'ten_a', slug: 'a', name: 'A' }]);
  });
});
