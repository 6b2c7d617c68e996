/**
 * `server.workers: 2` on one PostgreSQL and one Redis: one port, a supervisor and
 * two worker processes, each an instance. Sessions are created on whichever worker
 * takes the request; their WebSockets arrive at either and are handed to the one
 * holding the session — every caller is answered, by the instance that holds its
 * session. A worker killed with `kill -9` is replaced, its sessions are ended as
 * `instance_lost` by the other, and new sessions keep being served meanwhile.
 * SIGTERM to the supervisor drains both workers and exits 0.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, clusterEnv, freshDatabase, until } from './support/cluster.ts';
import { flushRedisDatabase } from './support/private-redis.ts';
import { useServerProcesses } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import { connectWs } from './support/ws-client.ts';
import type { WsClient } from './support/ws-client.ts';

const KEY = 'pk_integration_workers_key_0123456789ab';
const REDIS_DB = 10;
const TTL_MS = 3_000;
const pgBase = process.env.DATABASE_URL;
const redisBase = process.env.REDIS_URL;
const ready = pgBase !== undefined && pgBase !== '' && redisBase !== undefined && redisBase !== '';
const servers = useServerProcesses('prx-workers-');
let db: { url: string; drop(): Promise<void> } | undefined;

beforeAll(async () => {
  if (!ready) return;
  db = await freshDatabase(pgBase, 'prx_workers');
  await flushRedisDatabase(redisBase, REDIS_DB);
});
afterAll(async () => {
  await db?.drop();
});

/** POST /sessions on a connection of its own (so the supervisor deals it to the next worker). */
function createSession(server: ServerProcess): Promise<{ id: string; ws_url: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}/api/v1/sessions`,
      {
        method: 'POST',
        agent: false,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => {
          const json = JSON.parse(body) as { data: { id: string; ws_url: string } | null };
          if (res.statusCode !== 201 || json.data === null)
            reject(new Error(`POST /sessions answered ${String(res.statusCode)}: ${body}`));
          else resolve(json.data);
        });
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

/** GET /health/live on a connection of its own. */
function ping(server: ServerProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    request(`${server.url}/health/live`, { agent: false }, (res) => {
      res.resume().on('end', () => resolve());
    })
      .on('error', reject)
      .end();
  });
}

/** The instance an event of the session says it comes from (`source` `/prx-voice/{instance}/sessions/{id}`). */
function instanceOf(client: WsClient): string {
  const source = client.events[0]?.source ?? '';
  return /^\/prx-voice\/([^/]+)\/sessions\//.exec(source)?.[1] ?? '';
}

/** A session's WebSocket connected (on whichever worker) and one text turn answered. */
async function answered(created: {
  id: string;
  ws_url: string;
}): Promise<{ id: string; client: WsClient; instance: string }> {
  const client = await connectWs(`${created.ws_url}?token=${KEY}`);
  client.ws.send(JSON.stringify({ type: 'input.text', text: 'hello' }));
  await client.waitFor('prx.voice.turn.completed');
  expect(client.audioBytes).toBeGreaterThan(0);
  return { id: created.id, client, instance: instanceOf(client) };
}

/** The supervisor's worker processes by instance id (from each one's environment). */
function workerPids(server: ServerProcess): Map<string, number> {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(server.child.pid)], {
    encoding: 'utf8',
  });
  const workers = new Map<string, number>();
  for (const pid of out.split('\n').map((l) => Number(l.trim()))) {
    if (!(pid > 0)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${String(pid)}/environ`, 'latin1');
    } catch {
      continue; // gone meanwhile
    }
    const id = environ
      .split('\0')
      .find((v) => v.startsWith('PRX_VOICE_DEPLOY__INSTANCE_ID='))
      ?.split('=')[1];
    if (id !== undefined && id !== 'wk') workers.set(id, pid);
  }
  return workers;
}

describe.skipIf(!ready)('two workers on one port', () => {
  it('hands each WebSocket to the worker holding its session, survives a kill -9 of one, drains on SIGTERM', async () => {
    const server = await servers.start({
      ...clusterEnv({
        key: KEY,
        ttlMs: TTL_MS,
        databaseUrl: db?.url ?? '',
        redisBase: redisBase ?? '',
        redisDb: REDIS_DB,
        instanceId: 'wk',
      }),
      PRX_VOICE_SERVER__WORKERS: '2',
      PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '1000',
    });
    expect(server.out.join('\n')).toMatch(/2 workers: wk-w0-\d+, wk-w\d-\d+/);
    expect(workerPids(server).size).toBe(2);

    // Eight sessions: created on alternate workers (a connection each, dealt in turn), then
    // their sockets, dealt in turn too, one connection more after every second one: some
    // arrive at the worker holding their session, the others are handed to it.
    const created = [];
    for (let i = 0; i < 8; i++) created.push(await createSession(server));
    const sessions = [];
    for (const [i, c] of created.entries()) {
      sessions.push(await answered(c));
      if (i % 2 === 1) await ping(server);
    }
    const instances = new Set(sessions.map((s) => s.instance));
    expect([...instances].sort()).toEqual([
      expect.stringMatching(/^wk-w0-/),
      expect.stringMatching(/^wk-w1-/),
    ]);
    // Each session's row names the instance that answered its caller.
    for (const s of sessions) {
      const row = await api(server, KEY, 'GET', `/sessions/${s.id}`);
      expect(row.json.data.state).not.toBe('Failed');
      expect(s.client.events.every((e) => e.source.includes(`/${s.instance}/`))).toBe(true);
    }

    // kill -9 the worker of the first session.
    const victim = sessions[0]?.instance ?? '';
    const killed = workerPids(server).get(victim);
    expect(killed).toBeDefined();
    process.kill(killed ?? 0, 'SIGKILL');
    const lost = sessions.filter((s) => s.instance === victim);
    const kept = sessions.filter((s) => s.instance !== victim);
    for (const s of lost) expect((await s.client.closed).code).not.toBe(1000);
    // The survivor serves new sessions meanwhile (every connection goes to a live worker).
    const during = await answered(await createSession(server));
    expect(during.instance).not.toBe(victim);
    // The dead worker's sessions end as instance_lost, through the survivor's sweeper.
    for (const s of lost) {
      const row = await until(
        () => api(server, KEY, 'GET', `/sessions/${s.id}`),
        (r) => r.json.data.state === 'Failed',
        TTL_MS * 5 + 15_000,
      );
      expect(row.json.data).toMatchObject({ state: 'Failed', close_reason: 'instance_lost' });
    }
    // The survivor's callers never noticed.
    for (const s of kept) {
      s.client.ws.send(JSON.stringify({ type: 'input.text', text: 'still there?' }));
      await s.client.next('prx.voice.turn.completed');
    }
    // A replacement worker starts, a new instance.
    const replaced = await until(
      () => Promise.resolve(workerPids(server)),
      (p) => p.size === 2 && !p.has(victim),
      30_000,
    );
    expect([...replaced.keys()]).toContainEqual(expect.stringMatching(/^wk-w\d-3$/));

    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const drained = server.out.find((l) => l.startsWith('stopped: every worker drained')) ?? '';
    expect(Number(/\((\d+) connections were handed/.exec(drained)?.[1])).toBeGreaterThan(0);
    for (const s of [...kept, during]) await s.client.closed;
  }, 120_000);
});
