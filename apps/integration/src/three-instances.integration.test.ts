/**
 * Three server processes on one PostgreSQL and one Redis, as one service:
 * sessions spread across them, each watched over SSE from another instance,
 * one instance killed with `kill -9`. Every session reaches one consistent end
 * (those of the survivors ended through another instance, the dead one's
 * recovered as `instance_lost`), every durable event log is gap-free with one
 * terminal event, and every SSE client — all on surviving instances — saw
 * exactly the durable events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, freshDatabase, loggedEvents, clusterEnv, until } from './support/cluster.ts';
import { openEventStream } from './support/event-stream.ts';
import type { EventStream } from './support/event-stream.ts';
import { startServerProcess } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';

const KEY = 'pk_integration_three_key_0123456789abcd';
const REDIS_DB = 8;
// Long enough that a survivor starved of CPU (three servers and the test on two cores) is never
// mistaken for lost; the sweeper then takes up to twice this after the kill.
const TTL_MS = 5_000;
const pgBase = process.env.DATABASE_URL;
const redisBase = process.env.REDIS_URL;
const ready = pgBase !== undefined && pgBase !== '' && redisBase !== undefined && redisBase !== '';
const dir = mkdtempSync(join(tmpdir(), 'prx-three-'));
const running: ServerProcess[] = [];
const streams: EventStream[] = [];
let db: { url: string; drop(): Promise<void> } | undefined;

/** Empties the test's own Redis database. */
function flushRedis(url: string): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port || 6379), u.hostname);
    let answered = '';
    socket.on('data', (d: Buffer) => {
      answered += d.toString('utf8');
      if ((answered.match(/\r\n/g) ?? []).length >= 2) {
        socket.end();
        if (answered === '+OK\r\n+OK\r\n') resolve();
        else reject(new Error(`redis answered ${answered}`));
      }
    });
    socket.on('error', reject);
    socket.write(`SELECT ${REDIS_DB}\r\nFLUSHDB\r\n`);
  });
}

beforeAll(async () => {
  if (!ready) return;
  db = await freshDatabase(pgBase, 'prx_three');
  await flushRedis(redisBase);
});
afterAll(async () => {
  for (const s of streams) s.close();
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
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

describe.skipIf(!ready)('three instances, one killed', () => {
  it('every session ends once, every log is gap-free, every SSE client saw the durable events', async () => {
    // One after another: each bootstraps the same database.
    const servers: ServerProcess[] = [];
    for (const id of ['three-a', 'three-b', 'three-c']) servers.push(await start(id));
    const [a, b, c] = servers as [ServerProcess, ServerProcess, ServerProcess];
    const sessions: {
      id: string;
      owner: ServerProcess;
      watcher: ServerProcess;
      sse?: EventStream;
    }[] = [];
    for (const [owner, watcher] of [
      [a, b],
      [a, b],
      [b, a],
      [b, a],
      [c, a],
      [c, b],
    ] as const) {
      const created = await api(owner, KEY, 'POST', '/sessions', {});
      expect(created.status).toBe(201);
      sessions.push({ id: created.json.data.id, owner, watcher });
    }
    for (const s of sessions) {
      s.sse = await openEventStream(`${s.watcher.url}/api/v1/sessions/${s.id}/events`, KEY);
      streams.push(s.sse);
      // A text turn through another instance: forwarded to the owner, answered there.
      const turn = await api(s.watcher, KEY, 'POST', `/sessions/${s.id}/turns`, { text: 'hello' });
      expect(turn.status).toBeLessThan(300);
    }
    for (const s of sessions)
      await s.sse?.waitFor((e) => e.type === 'prx.voice.turn.completed', 30_000);

    c.child.kill('SIGKILL');
    expect((await c.exited).signal).toBe('SIGKILL');
    // The survivors' sessions end through the other survivor (forwarded to the owner).
    for (const s of sessions.filter((x) => x.owner !== c)) {
      const ended = await api(s.watcher, KEY, 'POST', `/sessions/${s.id}/end`);
      expect(ended.status).toBeLessThan(300);
    }
    // The dead instance's sessions: by a survivor's sweeper, once c has been missing long enough.
    for (const s of sessions.filter((x) => x.owner === c)) {
      const row = await until(
        () => api(a, KEY, 'GET', `/sessions/${s.id}`),
        (r) => r.json.data.state === 'Failed',
        TTL_MS * 5 + 15_000,
      );
      expect(row.json.data).toMatchObject({ state: 'Failed', close_reason: 'instance_lost' });
    }

    for (const s of sessions) {
      const terminal = await s.sse?.waitFor(
        (e) => e.type === 'prx.voice.session.closed' || e.type === 'prx.voice.session.failed',
        30_000,
      );
      expect(terminal?.type).toBe(
        s.owner === c ? 'prx.voice.session.failed' : 'prx.voice.session.closed',
      );
      const logged = await loggedEvents(a, KEY, s.id);
      expect(logged.map((e) => e.prxseq)).toEqual(logged.map((_, i) => i + 1));
      expect(
        logged.filter(
          (e) => e.type === 'prx.voice.session.closed' || e.type === 'prx.voice.session.failed',
        ),
      ).toHaveLength(1);
      // What the watcher saw over SSE is the durable log, event for event.
      expect(s.sse?.events.map((e) => e.id)).toEqual(logged.map((e) => e.id));
      const row = (await api(b, KEY, 'GET', `/sessions/${s.id}`)).json.data;
      expect(row['ended_at']).not.toBeNull();
    }
  }, 180_000);
});
