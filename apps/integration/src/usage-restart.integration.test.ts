/**
 * Monthly usage is durable: on the embedded defaults (PGlite, in-process
 * coordination) a tenant's usage — session time, agent tokens, TTS characters —
 * is the same after a restart of the server as before it, because every meter is
 * recorded in the database and the budgets' counters are seeded from it. A
 * restart never hands a tenant a fresh budget.
 */
import { describe, expect, it } from 'vitest';
import { api, mockServerEnv, until } from './support/cluster.ts';
import { useServerProcesses } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';

const KEY = 'pk_integration_usage_key_0123456789abcd';
const servers = useServerProcesses('prx-usage-restart-');

function start(): Promise<ServerProcess> {
  return servers.start(mockServerEnv(KEY, 15_000, { PRX_VOICE_STORAGE__DATA_DIR: 'data' }));
}

/** `used` of each budget, from `GET /usage`. */
async function usage(s: ServerProcess): Promise<Record<string, number>> {
  const res = await api(s, KEY, 'GET', '/usage');
  expect(res.status).toBe(200);
  const items = (res.json.data as unknown as { usage: { kind: string; used: number }[] }).usage;
  return Object.fromEntries(items.map((u) => [u.kind, u.used]));
}

describe('usage across a restart of the embedded server', () => {
  it('keeps the month’s session time, tokens and characters', async () => {
    const first = await start();
    const created = await api(first, KEY, 'POST', '/sessions', {});
    expect(created.status).toBe(201);
    const id = created.json.data.id;
    for (const text of ['hello there', 'and a second turn'])
      expect((await api(first, KEY, 'POST', `/sessions/${id}/turns`, { text })).status).toBe(202);
    await until(
      () => api(first, KEY, 'GET', `/sessions/${id}`),
      (r) => r.json.data['turn_count'] === 2,
      20_000,
    );
    expect((await api(first, KEY, 'POST', `/sessions/${id}/end`)).status).toBe(200);
    const before = await until(
      () => usage(first),
      (u) => (u['session_seconds'] ?? 0) > 0,
      10_000,
    );
    expect(before['tokens']).toBeGreaterThan(0);
    expect(before['characters']).toBeGreaterThan(0);
    expect(before['session_seconds']).toBeGreaterThan(0);

    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    const second = await start();
    expect(await usage(second)).toEqual(before);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 90_000);
});
