/**
 * Redis freezes under talking sessions — the nastiest outage: the process is
 * stopped (SIGSTOP), so every connection stays open and every command hangs
 * instead of failing. Two server processes on one PostgreSQL and a private
 * `redis-server`, sessions on both, callers streaming speech, each session
 * watched over SSE from the other instance; Redis stays frozen for longer than
 * `deploy.instance_ttl_ms`, then resumes (SIGCONT). While frozen: readiness
 * answers 503 within 2 s, `POST /sessions` is refused promptly with a
 * retryable error, and the live sessions keep answering voice turns (they do
 * not need Redis). After: no session was ended (the sweepers did not mistake
 * the freeze for dead instances), every session answers a new turn — through
 * the other instance too — new sessions are admitted, and once all are ended
 * each log is gap-free with one `session.closed`, the durable meters hold
 * exactly what the logs metered and the budgets' counters count nothing twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { api, freshDatabase, loggedEvents, mockServerEnv, until } from './support/cluster.ts';
import { openEventStream } from './support/event-stream.ts';
import type { EventStream } from './support/event-stream.ts';
import {
  durableMeters,
  isTerminal,
  logDefects,
  meteredIn,
  readiness,
  usageOf,
} from './support/fault-checks.ts';
import { startPrivateRedis } from './support/private-redis.ts';
import type { PrivateRedis } from './support/private-redis.ts';
import { startServerProcess } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import { startTalker } from './support/talker.ts';
import type { Talker } from './support/talker.ts';
import { connectWs } from './support/ws-client.ts';
import type { WsClient } from './support/ws-client.ts';

const KEY = 'pk_integration_redis_pause_key_01234567';
const TTL_MS = 2_000;
/** How long Redis stays frozen: well past a heartbeat lease. */
const FREEZE_MS = 5_000;
const pgBase = process.env.DATABASE_URL;
const ready =
  pgBase !== undefined &&
  pgBase !== '' &&
  process.env.REDIS_URL !== undefined &&
  process.env.REDIS_URL !== '';
const dir = mkdtempSync(join(tmpdir(), 'prx-redis-pause-'));
const running: ServerProcess[] = [];
const streams: EventStream[] = [];
const talkers: Talker[] = [];
let db: { url: string; drop(): Promise<void> } | undefined;
let redis: PrivateRedis | undefined;

beforeAll(async () => {
  if (!ready) return;
  redis = await startPrivateRedis();
  db = await freshDatabase(pgBase, 'prx_redis_pause');
});
afterAll(async () => {
  for (const t of talkers) t.stop();
  for (const s of streams) s.close();
  // A frozen Redis would hold the servers' shutdown: resume it first.
  redis?.thaw();
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
  await redis?.stop();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(instanceId: string): Promise<ServerProcess> {
  const p = await startServerProcess(
    dir,
    mockServerEnv(KEY, TTL_MS, {
      DATABASE_URL: db?.url ?? '',
      REDIS_URL: redis?.url ?? '',
      PRX_VOICE_STORAGE__DATA_DIR: `data-${instanceId}`,
      PRX_VOICE_DEPLOY__INSTANCE_ID: instanceId,
    }),
  );
  running.push(p);
  return p;
}

/** `POST /sessions` with its own deadline: status, error and how long the answer took (status 0: none in time). */
async function createWithin(
  server: ServerProcess,
  timeoutMs: number,
): Promise<{ status: number; ms: number; error: { code: string; retryable: boolean } | null }> {
  const started = Date.now();
  try {
    const res = await fetch(`${server.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const json = (await res.json()) as { error: { code: string; retryable: boolean } | null };
    return { status: res.status, ms: Date.now() - started, error: json.error };
  } catch {
    return { status: 0, ms: Date.now() - started, error: null };
  }
}

/** Whether an event is the completion of the text turn `text`. */
const answers =
  (text: string) =>
  (e: AnyVoiceEvent): boolean =>
    e.type === 'prx.voice.turn.completed' && e.data.user_text === text;

interface Talking {
  readonly id: string;
  readonly owner: ServerProcess;
  readonly watcher: ServerProcess;
  readonly client: WsClient;
  readonly talker: Talker;
  readonly sse: EventStream;
}

describe.skipIf(!ready)('Redis frozen (SIGSTOP) under talking sessions', () => {
  it('refuses what needs Redis promptly, ends nothing, and everything goes on after', async () => {
    const a = await start('pause-a');
    const b = await start('pause-b');
    const sessions: Talking[] = [];
    for (const [owner, watcher] of [
      [a, b],
      [a, b],
      [b, a],
      [b, a],
    ] as const) {
      const created = await api(owner, KEY, 'POST', '/sessions', {});
      expect(created.status).toBe(201);
      const id = created.json.data.id;
      const sse = await openEventStream(`${watcher.url}/api/v1/sessions/${id}/events`, KEY);
      streams.push(sse);
      const client = await connectWs(`${String(created.json.data['ws_url'])}?token=${KEY}`);
      const talker = startTalker(client);
      talkers.push(talker);
      sessions.push({ id, owner, watcher, client, talker, sse });
    }
    await Promise.all(sessions.map((s) => s.talker.moreTurns(1, 20_000)));

    redis?.freeze();
    const frozenAt = Date.now();
    // The live sessions do not need Redis to talk: each answers a voice turn while it is frozen.
    const talking = Promise.all(sessions.map((s) => s.talker.moreTurns(1, FREEZE_MS - 200)));
    // Readiness: a prompt 503 on both instances, not a hanging probe.
    for (const probe of await Promise.all([a, b].map((server) => readiness(server, 2_000)))) {
      expect(probe.status).toBe(503);
      expect(probe.ms).toBeLessThan(2_000);
    }
    // A new session needs Redis (rate limit, admission): refused at once, retryable.
    for (const refused of await Promise.all([a, b].map((server) => createWithin(server, 3_000)))) {
      expect(
        refused.status,
        `POST /sessions answered ${String(refused.status)} after ${String(refused.ms)} ms`,
      ).toBe(503);
      expect(refused.error?.retryable).toBe(true);
    }
    await talking;
    expect(Date.now() - frozenAt).toBeLessThan(FREEZE_MS);
    // The fault's length, deliberately past a heartbeat lease (every lease lapses).
    await new Promise((resolve) => setTimeout(resolve, FREEZE_MS - (Date.now() - frozenAt)));
    redis?.thaw();
    const thawedAt = Date.now();

    for (const server of [a, b]) {
      const probe = await until(
        () => readiness(server),
        (r) => r.status === 200,
        10_000,
      );
      expect(probe.status).toBe(200);
    }
    // New sessions are admitted again, on both instances.
    const fresh: { id: string; owner: ServerProcess }[] = [];
    for (const owner of [a, b]) {
      const created = await api(owner, KEY, 'POST', '/sessions', {});
      expect(created.status, JSON.stringify(created.json.error)).toBe(201);
      fresh.push({ id: created.json.data.id, owner });
    }
    // Every session answers a new voice turn, then a text turn sent through the other instance.
    await Promise.all(sessions.map((s) => s.talker.moreTurns(1, 15_000)));
    await Promise.all(sessions.map((s) => s.talker.hush(15_000)));
    for (const s of sessions) {
      const turn = await api(s.watcher, KEY, 'POST', `/sessions/${s.id}/turns`, {
        text: 'after the freeze',
      });
      expect(turn.status, JSON.stringify(turn.json.error)).toBe(202);
    }
    for (const s of sessions) {
      await s.sse.waitFor(answers('after the freeze'), 15_000);
      expect(s.client.events.some(answers('after the freeze'))).toBe(true);
    }
    for (const f of fresh) {
      const sse = await openEventStream(`${f.owner.url}/api/v1/sessions/${f.id}/events`, KEY);
      streams.push(sse);
      const turn = await api(f.owner, KEY, 'POST', `/sessions/${f.id}/turns`, { text: 'new here' });
      expect(turn.status, JSON.stringify(turn.json.error)).toBe(202);
      await sse.waitFor(answers('new here'), 15_000);
      sse.close();
    }
    // The sweepers have had two lease lifetimes since the thaw to mistake anyone for lost; the
    // turns above took most of that, the rest is waited out here.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, 2 * TTL_MS + 1_000 - (Date.now() - thawedAt))),
    );
    for (const s of sessions) {
      expect(s.client.events.filter(isTerminal)).toEqual([]);
      expect(s.sse.events.filter(isTerminal)).toEqual([]);
    }
    for (const id of [...sessions.map((s) => s.id), ...fresh.map((f) => f.id)]) {
      const row = (await api(a, KEY, 'GET', `/sessions/${id}`)).json.data;
      expect(row.state).not.toMatch(/Closed|Failed/);
      expect(row['ended_at']).toBeNull();
    }
    expect(
      (
        await until(
          () => usageOf(a, KEY),
          (u) => u.live === sessions.length + fresh.length,
          15_000,
        )
      ).live,
    ).toBe(sessions.length + fresh.length);

    // The end: every session closes once, its log intact, its watcher saw the log.
    for (const s of sessions) {
      s.talker.stop();
      const ended = await api(s.watcher, KEY, 'POST', `/sessions/${s.id}/end`);
      expect(ended.status, JSON.stringify(ended.json.error)).toBeLessThan(300);
      expect((await s.client.closed).code).toBe(1000);
    }
    for (const f of fresh) {
      const ended = await api(f.owner, KEY, 'POST', `/sessions/${f.id}/end`);
      expect(ended.status, JSON.stringify(ended.json.error)).toBeLessThan(300);
    }
    const logs: AnyVoiceEvent[][] = [];
    for (const s of sessions) {
      await s.sse.waitFor(isTerminal, 15_000);
      const logged = await loggedEvents(s.watcher, KEY, s.id);
      expect(s.sse.events.map((e) => e.id)).toEqual(logged.map((e) => e.id));
      logs.push(logged);
    }
    for (const f of fresh) logs.push(await loggedEvents(f.owner, KEY, f.id));
    for (const logged of logs) {
      expect(logDefects(logged)).toEqual([]);
      expect(logged.filter(isTerminal).map((e) => e.type)).toEqual(['prx.voice.session.closed']);
    }
    for (const id of [...sessions.map((s) => s.id), ...fresh.map((f) => f.id)]) {
      const row = (await api(b, KEY, 'GET', `/sessions/${id}`)).json.data;
      expect(row).toMatchObject({ state: 'Closed' });
      expect(row['ended_at']).not.toBeNull();
      expect(row['close_reason']).not.toMatch(/instance_lost|error/);
    }
    // Usage. The durable meters (billing's record) hold what the logs metered, exactly once.
    const usage = await until(
      () => usageOf(a, KEY),
      (u) => u.live === 0,
      10_000,
    );
    expect(usage.live).toBe(0);
    const metered = meteredIn(logs.flat());
    const durable = await until(
      () => durableMeters(db?.url ?? ''),
      (d) => d['session_seconds'] === usage.used['session_seconds'],
      10_000,
    );
    expect({ tokens: durable['tokens'], characters: durable['characters'] }).toEqual(metered);
    // The budgets' counters (Redis kept them through the freeze) never count anything twice;
    // the session time, metered at each end after the thaw, is exact.
    expect(usage.used['session_seconds']).toBe(durable['session_seconds']);
    // Tokens and characters: what failed to count while Redis was frozen is in the meters, and
    // the instance tops its counter up to them once the failure is 5 s old; an add that timed
    // out may still land late. The counters (the fast path, approximate by design) stay within
    // 15 % of the meters (seen: +7 of 401); the meters above are exact.
    for (const kind of ['characters', 'tokens'] as const) {
      expect(usage.used[kind]).toBeGreaterThanOrEqual(Math.floor((durable[kind] ?? 0) * 0.85));
      expect(usage.used[kind]).toBeLessThanOrEqual(Math.ceil((durable[kind] ?? 0) * 1.15));
    }
  }, 60_000);
});
