/**
 * Redis itself dies under talking sessions: two server processes on one
 * PostgreSQL and a private `redis-server`, sessions on both, each caller
 * streaming speech over its WebSocket and each session watched over SSE from
 * the other instance. Redis is killed (`kill -9`) and started again, empty, on
 * the same port. While it is down the sessions keep answering and readiness
 * says 503. As soon as it is back, a text turn sent to each session through
 * the other instance is forwarded and answered (no session taken for lost
 * because its instance was still resubscribing); readiness says 200, every
 * caller is answered again, the SSE watchers keep receiving, each session holds
 * its concurrency slot once, and no session was ended. Then all are ended: each
 * reaches exactly one `session.closed`, its durable log gap-free, what its
 * watcher saw the log; the durable meters hold exactly what the logs metered.
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

const KEY = 'pk_integration_redis_real_key_0123456789';
const TTL_MS = 2_000;
/** How long Redis stays dead: longer than a heartbeat lease, so every lease is lost with it. */
const OUTAGE_MS = Number(process.env.OUTAGE ?? 3_000);
const pgBase = process.env.DATABASE_URL;
const ready =
  pgBase !== undefined &&
  pgBase !== '' &&
  process.env.REDIS_URL !== undefined &&
  process.env.REDIS_URL !== '';
const dir = mkdtempSync(join(tmpdir(), 'prx-redis-real-'));
const running: ServerProcess[] = [];
const streams: EventStream[] = [];
const talkers: Talker[] = [];
let db: { url: string; drop(): Promise<void> } | undefined;
let redis: PrivateRedis | undefined;

beforeAll(async () => {
  if (!ready) return;
  redis = await startPrivateRedis();
  db = await freshDatabase(pgBase, 'prx_redis_real');
});
afterAll(async () => {
  for (const t of talkers) t.stop();
  for (const s of streams) s.close();
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
      PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '1000',
    }),
  );
  running.push(p);
  return p;
}

/** Whether an event is the completion of the text turn `text`. */
const answers =
  (text: string) =>
  (e: AnyVoiceEvent): boolean =>
    e.type === 'prx.voice.turn.completed' && e.data.user_text === text;

/** Live states in which the owner refuses a text turn for now (the caller is speaking). */
const BUSY = ['UserSpeaking', 'AsrProcessing', 'Interrupted'];

/**
 * `POST /sessions/{id}/turns` on `server` until it is accepted (202), retrying what a client
 * retries — 5xx, 429 and a live owner's "not now" — for up to `timeoutMs`; anything else (the
 * session has ended, say) is returned at once.
 */
async function forwardTextTurn(
  server: ServerProcess,
  id: string,
  text: string,
  timeoutMs: number,
): Promise<{ status: number; error: unknown }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api(server, KEY, 'POST', `/sessions/${id}/turns`, { text });
    const error = res.json.error as { details?: { state?: string } } | null;
    const retry =
      res.status >= 500 ||
      res.status === 429 ||
      (res.status === 409 && BUSY.includes(error?.details?.state ?? ''));
    if (!retry || Date.now() > deadline) return { status: res.status, error };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Talking {
  readonly id: string;
  readonly owner: ServerProcess;
  readonly watcher: ServerProcess;
  readonly client: WsClient;
  readonly talker: Talker;
  readonly sse: EventStream;
}

describe.skipIf(!ready)('Redis killed and restarted empty under talking sessions', () => {
  it('every session goes on, forwarding and readiness come back, nothing is lost', async () => {
    const a = await start('real-a');
    const b = await start('real-b');
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
    // Everyone talks: a voice turn answered on each, and seen over SSE on the other instance.
    await Promise.all(sessions.map((s) => s.talker.moreTurns(1, 20_000)));
    await Promise.all(
      sessions.map((s) => s.sse.waitFor((e) => e.type === 'prx.voice.turn.completed', 20_000)),
    );
    expect((await usageOf(a, KEY)).live).toBe(sessions.length);

    // Redis dies with every lease, slot and subscription in it.
    await redis?.kill();
    const downAt = Date.now();
    for (const server of [a, b]) {
      const probe = await until(
        () => readiness(server),
        (r) => r.status === 503,
        5_000,
      );
      expect(probe.status).toBe(503);
    }
    // The sessions go on without it: each answers a turn during the outage.
    await Promise.all(sessions.map((s) => s.talker.moreTurns(1, 15_000)));
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - downAt))),
    );
    // Redis comes back empty while the callers finish what they are saying; each session is
    // sent a text turn through the other instance at once, retried while that is refused as
    // retryable (coordination still reconnecting) or the owner says the caller is speaking.
    const idle = sessions.map((s) => s.talker.hush(15_000));
    await redis?.restart();
    const forwarded = await Promise.all(
      sessions.map((s) => forwardTextTurn(s.watcher, s.id, 'after the restart', 15_000)),
    );
    for (const turn of forwarded) expect(turn.status, JSON.stringify(turn.error)).toBe(202);
    await Promise.all(idle);
    for (const s of sessions) {
      await s.sse.waitFor(answers('after the restart'), 15_000);
      expect(s.client.events.some(answers('after the restart'))).toBe(true);
    }
    for (const server of [a, b]) {
      const probe = await until(
        () => readiness(server),
        (r) => r.status === 200,
        10_000,
      );
      expect(probe.status).toBe(200);
    }
    // And the callers talk on: a voice turn on each after the restart.
    for (const s of sessions) s.talker.resume();
    await Promise.all(sessions.map((s) => s.talker.moreTurns(1, 15_000)));
    // Every slot taken again (at its next heartbeat), each once.
    const usage = await until(
      () => usageOf(b, KEY),
      (u) => u.live === sessions.length,
      20_000,
    );
    expect(usage.live).toBe(sessions.length);
    for (const s of sessions) {
      expect(s.client.events.filter(isTerminal)).toEqual([]);
      const row = (await api(s.owner, KEY, 'GET', `/sessions/${s.id}`)).json.data;
      expect(row.state).not.toMatch(/Closed|Failed/);
      expect(row['ended_at']).toBeNull();
    }

    // The end, through the other instance.
    for (const s of sessions) {
      s.talker.stop();
      const ended = await api(s.watcher, KEY, 'POST', `/sessions/${s.id}/end`);
      expect(ended.status, JSON.stringify(ended.json.error)).toBeLessThan(300);
      expect((await s.client.closed).code).toBe(1000);
    }
    const logs = new Map<string, Awaited<ReturnType<typeof loggedEvents>>>();
    for (const s of sessions) {
      const terminal = await s.sse.waitFor(isTerminal, 15_000);
      expect(terminal.type).toBe('prx.voice.session.closed');
      const logged = await loggedEvents(s.watcher, KEY, s.id);
      logs.set(s.id, logged);
      expect(logDefects(logged)).toEqual([]);
      expect(logged.filter(isTerminal).map((e) => e.type)).toEqual(['prx.voice.session.closed']);
      // What the watcher on the other instance saw is the durable log, event for event.
      expect(s.sse.events.map((e) => e.id)).toEqual(logged.map((e) => e.id));
      const row = (await api(s.owner, KEY, 'GET', `/sessions/${s.id}`)).json.data;
      expect(row).toMatchObject({ state: 'Closed' });
      expect(row['ended_at']).not.toBeNull();
      expect(row['close_reason']).not.toMatch(/instance_lost|error/);
    }
    // Usage. The durable meters (billing's record) hold what the logs metered, exactly once.
    const after = await until(
      () => usageOf(a, KEY),
      (u) => u.live === 0,
      10_000,
    );
    expect(after.live).toBe(0);
    const metered = meteredIn([...logs.values()].flat());
    const durable = await until(
      () => durableMeters(db?.url ?? ''),
      (d) => d['characters'] === metered['characters'] && d['tokens'] === metered['tokens'],
      10_000,
    );
    expect({ tokens: durable['tokens'], characters: durable['characters'] }).toEqual(metered);
    // The budgets' counters are the fast path, approximate by design: Redis lost them and they
    // were seeded again from the durable meters (which hold the outage's usage); usage from
    // before the seeding is not added on top. Nothing is lost from them; some usage reported
    // around the restart is still counted twice — seen up to +17 % (was +20 % before the
    // seeding time was shared by the instances). TODO(issue 12: quotas from the ledger):
    // make the counters exact across a restart. The meters above are exact.
    for (const kind of ['characters', 'tokens'] as const) {
      expect(after.used[kind]).toBeGreaterThanOrEqual(Math.floor((durable[kind] ?? 0) * 0.85));
      expect(after.used[kind]).toBeLessThanOrEqual(Math.ceil((durable[kind] ?? 0) * 1.5));
    }
  }, 60_000);
});
