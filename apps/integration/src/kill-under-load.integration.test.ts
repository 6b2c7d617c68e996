/**
 * `kill -9` under load: instance A runs eight sessions whose callers stream
 * speech in real time (turns keep happening, some answers mid-playback), B runs
 * two of its own and watches A's over SSE, both on one PostgreSQL and one
 * Redis. A is killed in the middle. Each of A's sessions ends exactly once,
 * `Failed` / `instance_lost`, by B's sweeper: its open turn failed, its durable
 * log gap-free with one terminal event, and what B's SSE client saw is that log
 * event for event. B's sessions are untouched — they answer a new turn after
 * the recovery — and the tenant's live sessions count B's alone (A's slots
 * freed, none counted twice); each lost session's time is metered once, and
 * the budget's counter agrees with the durable meters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { api, freshDatabase, loggedEvents, clusterEnv, until } from './support/cluster.ts';
import { openEventStream } from './support/event-stream.ts';
import type { EventStream } from './support/event-stream.ts';
import { durableMeters, isTerminal, logDefects, usageOf } from './support/fault-checks.ts';
import { flushRedisDatabase } from './support/private-redis.ts';
import { startServerProcess } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import { startTalker } from './support/talker.ts';
import type { Talker } from './support/talker.ts';
import { answering } from './support/talking.ts';
import { connectWs } from './support/ws-client.ts';
import type { WsClient } from './support/ws-client.ts';

const KEY = 'pk_integration_kill_load_key_0123456789';
const REDIS_DB = 7;
// Long enough that B, sharing two cores with a loaded A and the callers, is never mistaken for
// lost; the sweeper then takes up to twice this after the kill.
const TTL_MS = 3_000;
const A_SESSIONS = 8;
const B_SESSIONS = 2;
const pgBase = process.env.DATABASE_URL;
const redisBase = process.env.REDIS_URL;
const ready = pgBase !== undefined && pgBase !== '' && redisBase !== undefined && redisBase !== '';
const dir = mkdtempSync(join(tmpdir(), 'prx-kill-load-'));
const running: ServerProcess[] = [];
const streams: EventStream[] = [];
const talkers: Talker[] = [];
let db: { url: string; drop(): Promise<void> } | undefined;

beforeAll(async () => {
  if (!ready) return;
  db = await freshDatabase(pgBase, 'prx_kill_load');
  await flushRedisDatabase(redisBase, REDIS_DB);
});
afterAll(async () => {
  for (const t of talkers) t.stop();
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

interface Talking {
  readonly id: string;
  readonly client: WsClient;
  readonly talker: Talker;
  /** The session's events over SSE from B. */
  readonly sse: EventStream;
}

/** A session on `owner` whose caller talks, watched over SSE from `watcher`. */
async function talkingSession(owner: ServerProcess, watcher: ServerProcess): Promise<Talking> {
  const created = await api(owner, KEY, 'POST', '/sessions', {});
  expect(created.status).toBe(201);
  const id = created.json.data.id;
  const sse = await openEventStream(`${watcher.url}/api/v1/sessions/${id}/events`, KEY);
  streams.push(sse);
  const client = await connectWs(`${String(created.json.data['ws_url'])}?token=${KEY}`);
  const talker = startTalker(client);
  talkers.push(talker);
  return { id, client, talker, sse };
}

/** The recovery's `state_changed` into `Failed`. */
const isRecovered = (e: AnyVoiceEvent): boolean =>
  e.type === 'prx.voice.session.state_changed' && e.data.to === 'Failed';

const LOST = { state: 'Failed', outcome: 'error', close_reason: 'instance_lost' };

describe.skipIf(!ready)('kill -9 of an instance under load', () => {
  it('ends each of its sessions once as lost, with nothing lost or doubled, and spares the survivor’s', async () => {
    const a = await start('load-a');
    const b = await start('load-b');
    const onA: Talking[] = [];
    for (let i = 0; i < A_SESSIONS; i++) onA.push(await talkingSession(a, b));
    const onB: Talking[] = [];
    for (let i = 0; i < B_SESSIONS; i++) onB.push(await talkingSession(b, b));
    // Under way: every caller has been answered, and B's watchers follow A's sessions.
    await Promise.all([...onA, ...onB].map((s) => s.talker.moreTurns(1, 20_000)));
    await Promise.all(
      onA.map((s) => s.sse.waitFor((e) => e.type === 'prx.voice.turn.completed', 20_000)),
    );
    expect((await usageOf(b, KEY)).live).toBe(A_SESSIONS + B_SESSIONS);

    // The kill, while several callers are in the middle of hearing an answer (their turn open).
    const midAnswer = await until(
      () => Promise.resolve(onA.filter((s) => answering(s.client))),
      (list) => list.length >= 3,
      15_000,
    );
    a.child.kill('SIGKILL');
    expect(midAnswer.length).toBeGreaterThanOrEqual(3);
    expect((await a.exited).signal).toBe('SIGKILL');
    for (const s of onA) await s.client.closed;

    // B's sweeper ends every one of them, once A has been missing for a lease lifetime.
    for (const s of onA) {
      const row = await until(
        () => api(b, KEY, 'GET', `/sessions/${s.id}`),
        (r) => r.json.data.state === 'Failed',
        TTL_MS * 3 + 10_000,
      );
      expect(row.json.data).toMatchObject(LOST);
      expect(row.json.data['ended_at']).not.toBeNull();
    }
    let failedTurns = 0;
    for (const s of onA) {
      // No turn stays open: the one under way at the kill (if stored) failed, the rest ended.
      const statuses = (
        await api(b, KEY, 'GET', `/sessions/${s.id}/turns?limit=100`)
      ).json.data.items.map((t) => t.status);
      expect(statuses.length).toBeGreaterThanOrEqual(1);
      expect(statuses.slice(0, -1).every((t) => t !== 'open' && t !== 'failed')).toBe(true);
      expect(['completed', 'interrupted', 'cancelled', 'failed']).toContain(statuses.at(-1));
      if (statuses.at(-1) === 'failed') failedTurns++;
      // The log: gap-free, one terminal event — the recovery's — and what B's SSE client saw.
      const terminal = await s.sse.waitFor(isTerminal, 15_000);
      expect(terminal.type).toBe('prx.voice.session.failed');
      const logged = await loggedEvents(b, KEY, s.id);
      expect(logDefects(logged)).toEqual([]);
      expect(logged.filter(isTerminal).map((e) => e.type)).toEqual(['prx.voice.session.failed']);
      expect(logged.filter(isRecovered)).toHaveLength(1);
      expect(s.sse.events.map((e) => e.id)).toEqual(logged.map((e) => e.id));
      // Ended once: a second end is refused, the row unchanged.
      expect((await api(b, KEY, 'POST', `/sessions/${s.id}/end`)).status).toBe(409);
      // Its time is metered once, by the recovery: up to its last event stored before the kill.
      const lastAlive = logged[logged.findIndex(isRecovered) - 1];
      const createdAt = String(
        (await api(b, KEY, 'GET', `/sessions/${s.id}`)).json.data['created_at'],
      );
      const ran = Math.ceil((Date.parse(lastAlive?.time ?? '') - Date.parse(createdAt)) / 1000);
      const metered = await until(
        () => durableMeters(db?.url ?? '', s.id),
        (d) => (d['session_seconds'] ?? 0) > 0,
        10_000,
      );
      // (±1: the API's timestamps are whole milliseconds, the database's finer.)
      expect(Math.abs((metered['session_seconds'] ?? 0) - ran)).toBeLessThanOrEqual(1);
    }
    // At least the turns open at the kill were failed.
    expect(failedTurns).toBeGreaterThanOrEqual(1);

    // B's own sessions never noticed: no end, and each answers a new turn after the recovery.
    await Promise.all(onB.map((s) => s.talker.moreTurns(1, 15_000)));
    for (const s of onB) {
      expect(s.client.events.filter(isTerminal)).toEqual([]);
      const row = (await api(b, KEY, 'GET', `/sessions/${s.id}`)).json.data;
      expect(row.state).not.toMatch(/Closed|Failed/);
      expect(row['ended_at']).toBeNull();
    }
    // A's slots were freed by the recovery; B's are counted once each.
    expect(
      (
        await until(
          () => usageOf(b, KEY),
          (u) => u.live === B_SESSIONS,
          10_000,
        )
      ).live,
    ).toBe(B_SESSIONS);

    for (const s of onB) {
      s.talker.stop();
      s.client.ws.send(JSON.stringify({ type: 'end' }));
      expect((await s.client.closed).code).toBe(1000);
      await s.sse.waitFor(isTerminal, 15_000);
      const logged = await loggedEvents(b, KEY, s.id);
      expect(logDefects(logged)).toEqual([]);
      expect(logged.filter(isTerminal).map((e) => e.type)).toEqual(['prx.voice.session.closed']);
      expect(s.sse.events.map((e) => e.id)).toEqual(logged.map((e) => e.id));
      const row = (await api(b, KEY, 'GET', `/sessions/${s.id}`)).json.data;
      expect(row).toMatchObject({ state: 'Closed' });
      expect(row['close_reason']).not.toMatch(/instance_lost|error/);
    }
    // Every slot given back; the session time in the budget's counter is what the durable meters
    // hold — the lost sessions' and B's, each once.
    const usage = await until(
      () => usageOf(b, KEY),
      (u) => u.live === 0,
      10_000,
    );
    expect(usage.live).toBe(0);
    const durable = await until(
      () => durableMeters(db?.url ?? ''),
      (d) => d['session_seconds'] === usage.used['session_seconds'],
      10_000,
    );
    expect(usage.used['session_seconds']).toBe(durable['session_seconds']);
  }, 60_000);
});
