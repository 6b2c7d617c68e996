/**
 * Split brain: an instance frozen (SIGSTOP — a long GC pause, a suspended VM, a
 * host cut off) for longer than its heartbeat lease, while another instance on the
 * same PostgreSQL and Redis recovers its sessions as `instance_lost`. When the
 * frozen one wakes up (SIGCONT) it must not carry on as if nothing happened: it
 * finds its heartbeat had lapsed, checks its sessions against the database and
 * stops those ended elsewhere — the caller connected to it is told (`session.failed`
 * or `closed` with outcome `error`, then the socket closes) — and nothing it
 * writes afterwards overwrites the recovered end: the row stays
 * `Failed`/`instance_lost`, the durable log stays gap-free with one terminal event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, freshDatabase, loggedEvents, clusterEnv, until } from './support/cluster.ts';
import { startServerProcess } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import { connectWs } from './support/ws-client.ts';

const KEY = 'pk_integration_frozen_key_0123456789abc';
const TTL_MS = 1_000;
const REDIS_DB = 6;
const pgBase = process.env.DATABASE_URL;
const redisBase = process.env.REDIS_URL;
const ready = pgBase !== undefined && pgBase !== '' && redisBase !== undefined && redisBase !== '';
const dir = mkdtempSync(join(tmpdir(), 'prx-frozen-'));
const running: ServerProcess[] = [];
let db: { url: string; drop(): Promise<void> } | undefined;

beforeAll(async () => {
  if (ready) db = await freshDatabase(pgBase, 'prx_frozen');
});
afterAll(async () => {
  for (const p of running) {
    if (p.child.exitCode !== null) continue;
    p.child.kill('SIGCONT');
    p.child.kill('SIGKILL');
  }
  await Promise.all(running.map((p) => p.exited));
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(instanceId: string): Promise<ServerProcess> {
  const p = await startServerProcess(
    dir,
    clusterEnv({
      key: KEY,
      ttlMs: TTL_MS,
      databaseUrl: db?.url ?? '',
      redisBase: redisBase ?? '',
      redisDb: REDIS_DB,
      instanceId,
    }),
  );
  running.push(p);
  return p;
}

describe.skipIf(!ready)('an instance frozen past its lease', () => {
  it('wakes up fenced: stops the sessions recovered elsewhere, overwrites nothing', async () => {
    const a = await start(`frozen-a-${String(process.pid)}`);
    const b = await start(`frozen-b-${String(process.pid)}`);
    const created = await api(a, KEY, 'POST', '/sessions', {});
    expect(created.status).toBe(201);
    const id = created.json.data.id;
    const client = await connectWs(`${a.url.replace('http', 'ws')}/api/v1/ws/${id}?token=${KEY}`);
    client.ws.send(JSON.stringify({ type: 'input.text', text: 'hello' }));
    await client.waitFor('prx.voice.turn.completed');

    a.child.kill('SIGSTOP');
    // b's sweeper ends it once a has been missing for a lease's lifetime.
    const recovered = await until(
      () => api(b, KEY, 'GET', `/sessions/${id}`),
      (r) => r.json.data.state === 'Failed',
      TTL_MS * 10 + 40_000,
    );
    expect(recovered.json.data).toMatchObject({ state: 'Failed', close_reason: 'instance_lost' });
    a.child.kill('SIGCONT');

    // a finds its heartbeat lapsed, checks its sessions, and stops this one: the caller is told.
    const terminal = await Promise.race([
      client.waitFor('prx.voice.session.failed'),
      client.waitFor('prx.voice.session.closed'),
    ]);
    if (terminal.type === 'prx.voice.session.closed')
      expect(terminal.data).toMatchObject({ outcome: 'error' });
    await client.closed;

    // a goes on serving; then it stops gracefully, so everything it had to write is written.
    const again = await api(a, KEY, 'POST', '/sessions', {});
    expect(again.status).toBe(201);
    expect((await api(a, KEY, 'POST', `/sessions/${again.json.data.id}/end`)).status).toBe(200);
    a.child.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);

    // What a wrote after waking overwrote nothing.
    expect((await api(b, KEY, 'GET', `/sessions/${id}`)).json.data).toMatchObject({
      state: 'Failed',
      outcome: 'error',
      close_reason: 'instance_lost',
    });
    const logged = await loggedEvents(b, KEY, id);
    expect(logged.map((e) => e.prxseq)).toEqual(logged.map((_, i) => i + 1));
    const ends = logged.filter(
      (e) => e.type === 'prx.voice.session.closed' || e.type === 'prx.voice.session.failed',
    );
    expect(ends.map((e) => e.type)).toEqual(['prx.voice.session.failed']);
    expect(logged.at(-1)?.type).toBe('prx.voice.session.failed');
  }, 90_000);
});
