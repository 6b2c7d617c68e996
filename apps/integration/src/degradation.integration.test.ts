/**
 * Degradation on a real trigger, over the wire: an instance whose live sessions reach
 * its capacity (`limits.max_sessions_per_instance`) climbs to L4 at the next sample —
 * readiness fails naming `degradation`, `/metrics` shows the level, new sessions are
 * refused with 503 `OVERLOADED` and a Retry-After — while the live sessions go on
 * talking; the episode is a platform incident (`GET /incidents`) with its timeline. When
 * load drops it comes back down one level per dwell, and admits again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, mockServerEnv, until } from './support/cluster.ts';
import { startServerProcess } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';

const KEY = 'pk_integration_degrade_key_0123456789ab';
const dir = mkdtempSync(join(tmpdir(), 'prx-degradation-'));
let server: ServerProcess | undefined;

afterAll(async () => {
  if (server !== undefined && server.child.exitCode === null) server.child.kill('SIGKILL');
  await server?.exited;
  rmSync(dir, { recursive: true, force: true });
});

async function ready(s: ServerProcess): Promise<{ status: number; body: string }> {
  const res = await fetch(`${s.url}/health/ready`);
  return { status: res.status, body: await res.text() };
}

async function level(s: ServerProcess): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  return Number(/^prx_voice_degradation_level (\d+)$/m.exec(text)?.[1] ?? Number.NaN);
}

describe('degradation levels on a real trigger', () => {
  it('sheds new sessions at L4 while live ones talk, then comes back down', async () => {
    const s = await startServerProcess(
      dir,
      mockServerEnv(KEY, 15_000, {
        PRX_VOICE_STORAGE__DATA_DIR: 'data',
        PRX_VOICE_LIMITS__MAX_SESSIONS_PER_INSTANCE: '2',
        PRX_VOICE_OBSERVE__DEGRADATION__SAMPLE_MS: '100',
        PRX_VOICE_OBSERVE__DEGRADATION__MIN_DWELL_MS: '300',
      }),
    );
    server = s;
    expect((await ready(s)).status).toBe(200);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const created = await api(s, KEY, 'POST', '/sessions', {});
      expect(created.status).toBe(201);
      ids.push(created.json.data.id);
    }
    const [talking, other] = ids as [string, string];
    // Load 2 of 2: L4 at the next sample.
    const shedding = await until(
      () => ready(s),
      (r) => r.status === 503,
      10_000,
    );
    expect(shedding.status).toBe(503);
    expect(shedding.body).toContain('degradation');
    expect(await level(s)).toBe(4);
    // An incident is open for the episode, at SEV1 now, its timeline reaching L4.
    const incident = await until(
      () => api(s, KEY, 'GET', '/incidents?status=open'),
      (r) =>
        (r.json.data.items as unknown as { details: { sev: string } }[]).some(
          (i) => i.details.sev === 'SEV1',
        ),
      10_000,
    );
    const [open] = incident.json.data.items as unknown as {
      id: string;
      tenant_id: string | null;
      details: { timeline: { level: number }[] };
    }[];
    expect(open?.tenant_id).toBeNull();
    expect(open?.details.timeline.map((e) => e.level)).toContain(4);
    expect((await api(s, KEY, 'GET', `/incidents/${open?.id ?? ''}`)).status).toBe(200);
    const refused = await fetch(`${s.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('OVERLOADED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Live sessions go on.
    expect(
      (await api(s, KEY, 'POST', `/sessions/${talking}/turns`, { text: 'still here?' })).status,
    ).toBe(202);
    const answered = await until(
      () => api(s, KEY, 'GET', `/sessions/${talking}`),
      (r) => r.json.data['turn_count'] === 1,
      15_000,
    );
    expect(answered.json.data['turn_count']).toBe(1);

    // Load falls to 1 of 2: down one level per dwell, admitting again below L4.
    expect((await api(s, KEY, 'POST', `/sessions/${other}/end`)).status).toBe(200);
    const back = await until(
      () => ready(s),
      (r) => r.status === 200,
      10_000,
    );
    expect(back.status).toBe(200);
    expect(await level(s)).toBeLessThan(4);
    expect((await api(s, KEY, 'POST', '/sessions', {})).status).toBe(201);
    s.child.kill('SIGKILL');
  }, 90_000);
});
