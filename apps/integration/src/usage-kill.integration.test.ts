/**
 * `kill -9` under load loses no usage and doubles none: instance A runs six
 * sessions whose callers stream speech in real time (turns keep completing),
 * B runs beside it on the same PostgreSQL and Redis. A is killed while answers
 * are under way, at a moment when usage its sessions reported is already in
 * their durable event logs but not yet in the meter events (A's meter recorder
 * writes every 200 ms, the log every 25 ms). Once B has recovered every one of
 * A's sessions (`Failed` / `instance_lost`) and recorded what their logs
 * report, the ledger is read back from PostgreSQL and compared, session by
 * session, with what is stored: the meter events other than session time are
 * exactly the `governance.usage_recorded` reports of the durable log (by key,
 * meter, quantity and provider — none missing, none extra, none twice); every
 * completed turn whose `turn.completed` is in the log has its agent tokens and
 * TTS characters metered, the characters being those of its stored answer; and
 * each lost session's time is metered once, up to its last stored event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, freshDatabase, clusterEnv, until } from './support/cluster.ts';
import { flushRedisDatabase } from './support/private-redis.ts';
import { startServerProcess } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import type { Talker } from './support/talker.ts';
import { answering, talkingSession } from './support/talking.ts';
import type { Talking } from './support/talking.ts';

const KEY = 'pk_integration_usage_kill_key_012345678';
const REDIS_DB = 5;
// As in kill-under-load: B, sharing two cores with a loaded A and the callers, is never
// mistaken for lost; the sweeper then takes up to twice this after the kill.
const TTL_MS = 3_000;
const A_SESSIONS = 6;
/** Turns each of A's callers has had answered before the kill. */
const TURNS_BEFORE_KILL = 3;
const USAGE_RECORDED = 'prx.voice.governance.usage_recorded';
const pgBase = process.env.DATABASE_URL;
const redisBase = process.env.REDIS_URL;
const ready = pgBase !== undefined && pgBase !== '' && redisBase !== undefined && redisBase !== '';
const dir = mkdtempSync(join(tmpdir(), 'prx-usage-kill-'));
const running: ServerProcess[] = [];
const talkers: Talker[] = [];
let db: { url: string; drop(): Promise<void> } | undefined;
let sql: pg.Client | undefined;

beforeAll(async () => {
  if (!ready) return;
  db = await freshDatabase(pgBase, 'prx_usage_kill');
  await flushRedisDatabase(redisBase, REDIS_DB);
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
});
afterAll(async () => {
  for (const t of talkers) t.stop();
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
  await sql?.end();
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

/** Rows of a query on the test's database. */
async function rows<R extends pg.QueryResultRow>(
  text: string,
  params: readonly unknown[] = [],
): Promise<R[]> {
  if (sql === undefined) throw new Error('no database');
  return (await sql.query<R>(text, [...params])).rows;
}

/** Usage reports of `sessions` stored in their logs whose meter event is not written yet. */
async function unmeteredReports(sessions: readonly string[]): Promise<number> {
  const [row] = await rows<{ n: string }>(
    `select count(*)::text as n from session_events e
      where e.session_id = any($1::text[]) and e.type = $2
        and not exists (select 1 from meter_events m where m.tenant_id = e.tenant_id
          and m.idempotency_key = e.session_id || ':' || (e.event->'data'->>'idempotency_key'))`,
    [sessions, USAGE_RECORDED],
  );
  return Number(row?.n ?? 0);
}

/** One event of a session's durable log, as stored. */
interface StoredEvent {
  readonly seq: number;
  readonly type: string;
  readonly time: Date;
  readonly turn_id: string | null;
  readonly run_id: string | null;
  readonly data: Record<string, unknown>;
}

/** A session's durable log, in order. */
function storedLog(sessionId: string): Promise<StoredEvent[]> {
  return rows<StoredEvent>(
    `select seq::int as seq, type, time, turn_id, run_id, event->'data' as data
       from session_events where session_id = $1 order by seq`,
    [sessionId],
  );
}

/** One meter event, as the ledger holds it. */
interface Meter {
  readonly key: string;
  readonly meter: string;
  readonly quantity: number;
  readonly provider: string | null;
}

/** A session's meter events, by key. */
async function metersOf(sessionId: string): Promise<Meter[]> {
  return (
    await rows<{ key: string; meter: string; quantity: string; provider: string | null }>(
      `select idempotency_key as key, meter, quantity::text as quantity, provider
         from meter_events where session_id = $1 order by idempotency_key`,
      [sessionId],
    )
  ).map((r) => ({ ...r, quantity: Number(r.quantity) }));
}

/** The meter events a session's usage reports stand for (the recorder's key: `{session}:{report's key}`). */
function reportedMeters(sessionId: string, log: readonly StoredEvent[]): Meter[] {
  return log
    .filter((e) => e.type === USAGE_RECORDED)
    .map((e) => ({
      key: `${sessionId}:${String(e.data['idempotency_key'])}`,
      meter: String(e.data['meter']),
      quantity: Number(e.data['quantity']),
      provider: typeof e.data['provider'] === 'string' ? e.data['provider'] : null,
    }))
    .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

const wordsOf = (text: string): number => (text.match(/\S+/g) ?? []).length;

const LOST = { state: 'Failed', outcome: 'error', close_reason: 'instance_lost' };

describe.skipIf(!ready)('kill -9 of an instance under load, and usage', () => {
  it('meters every usage its sessions’ durable logs report, once, and each completed turn’s usage', async () => {
    const a = await start('usage-a');
    const b = await start('usage-b');
    const onA: Talking[] = [];
    for (let i = 0; i < A_SESSIONS; i++) onA.push(await talkingSession(a, KEY, talkers));
    const ids = onA.map((s) => s.id);
    await Promise.all(onA.map((s) => s.talker.moreTurns(TURNS_BEFORE_KILL, 30_000)));

    // The kill: callers hearing an answer (their turns open), and usage durable in a log that
    // A has not written as a meter event yet — what only the recovery can record.
    const atKill = await until(
      async () => ({
        answering: onA.filter((s) => answering(s.client)).length,
        unmetered: await unmeteredReports(ids),
      }),
      (k) => k.answering >= 2 && k.unmetered >= 1,
      20_000,
    );
    const killedAt = new Date();
    a.child.kill('SIGKILL');
    expect(atKill.answering).toBeGreaterThanOrEqual(2);
    expect((await a.exited).signal).toBe('SIGKILL');
    for (const s of onA) await s.client.closed;

    // B's sweeper ends every one of them, once A has been missing for a lease lifetime…
    for (const id of ids) {
      const row = await until(
        () => api(b, KEY, 'GET', `/sessions/${id}`),
        (r) => r.json.data.state === 'Failed',
        TTL_MS * 3 + 10_000,
      );
      expect(row.json.data).toMatchObject(LOST);
    }
    // …and meters each: the usage its log reports, then its time (one queue, written in order:
    // the time stored means the usage before it is).
    await until(
      () =>
        rows<{ n: string }>(
          `select count(*)::text as n from meter_events
            where session_id = any($1::text[]) and idempotency_key = session_id || ':session_seconds:final'`,
          [ids],
        ),
      (r) => Number(r[0]?.n) === A_SESSIONS,
      15_000,
    );

    // No key twice in the whole ledger.
    expect(
      await rows(
        `select tenant_id, idempotency_key, count(*) from meter_events
          group by tenant_id, idempotency_key having count(*) > 1`,
      ),
    ).toEqual([]);

    const figures = {
      turns: 0,
      failedTurns: 0,
      completedWithoutEvent: 0,
      characters: 0,
      reports: 0,
      meters: 0,
      byRecovery: 0,
    };
    for (const id of ids) {
      const log = await storedLog(id);
      const recoveredAt = log.findIndex(
        (e) => e.type === 'prx.voice.session.state_changed' && e.data['to'] === 'Failed',
      );
      expect(recoveredAt).toBeGreaterThan(0);
      expect(log.slice(recoveredAt).map((e) => e.type)).toEqual([
        'prx.voice.session.state_changed',
        'prx.voice.session.failed',
      ]);

      // 1. The ledger of the session (session time aside) is exactly what its log reports.
      const reported = reportedMeters(id, log);
      expect(new Set(reported.map((m) => m.key)).size).toBe(reported.length);
      const metered = (await metersOf(id)).filter((m) => m.meter !== 'session_seconds');
      expect(metered).toEqual(reported);
      figures.reports += reported.length;
      figures.meters += metered.length;
      const [added] = await rows<{ n: string }>(
        `select count(*)::text as n from meter_events
          where session_id = $1 and meter <> 'session_seconds' and recorded_at > $2`,
        [id, killedAt],
      );
      figures.byRecovery += Number(added?.n ?? 0);

      // 2. Each completed turn stored whose completion is in the log: its run's tokens and its
      // segments' characters are metered — the mock agent's completion tokens are the words of
      // the answer, the mock TTS meters each segment's characters, and the segments, trimmed
      // sentence chunks of the answer, join with single spaces into the stored answer.
      const ledger = new Map(metered.map((m) => [m.key, m]));
      const turns = await rows<{ id: string; user_text: string; assistant_text: string }>(
        `select id, user_text, assistant_text from turns
          where session_id = $1 and status = 'completed' order by seq`,
        [id],
      );
      expect(turns.length).toBeGreaterThanOrEqual(TURNS_BEFORE_KILL);
      for (const turn of turns) {
        const completed = log.find(
          (e) => e.type === 'prx.voice.turn.completed' && e.turn_id === turn.id,
        );
        if (completed === undefined) {
          figures.completedWithoutEvent++;
          continue;
        }
        figures.turns++;
        const run = completed.run_id;
        expect(run).not.toBeNull();
        // The mock agent calls no tool: one round, 0.
        const tokens = (meter: string): number | undefined =>
          ledger.get(`${id}:${String(run)}:0:${meter}`)?.quantity;
        expect(tokens('agent_completion_tokens')).toBe(wordsOf(turn.assistant_text));
        expect(tokens('agent_prompt_tokens')).toBeGreaterThanOrEqual(wordsOf(turn.user_text));
        // Its segments as their usage reports name them (`{segment}:tts_characters`), not by the
        // debug event tts.segment_queued, which a loaded server at L1 leaves out of the log.
        const segments = log
          .filter(
            (e) =>
              e.type === USAGE_RECORDED && e.run_id === run && e.data['meter'] === 'tts_characters',
          )
          .map((e) => ({
            id: String(e.data['idempotency_key']).replace(/:tts_characters$/, ''),
            characters: Number(e.data['quantity']),
          }));
        expect(segments.length).toBeGreaterThanOrEqual(1);
        // Trimmed sentence chunks joined with single spaces make the stored answer.
        expect(segments.reduce((n, s) => n + s.characters, 0) + segments.length - 1).toBe(
          turn.assistant_text.length,
        );
        for (const s of segments)
          expect(ledger.get(`${id}:${s.id}:tts_characters`)?.quantity).toBe(s.characters);
        figures.characters += segments.reduce((n, s) => n + s.characters, 0);
      }
      // The turns open at the kill, failed by the recovery.
      const [failed] = await rows<{ n: string }>(
        `select count(*)::text as n from turns where session_id = $1 and status = 'failed'`,
        [id],
      );
      figures.failedTurns += Number(failed?.n ?? 0);

      // 3. Its time, once, up to its last event stored before the kill.
      const [created] = await rows<{ created_at: Date }>(
        `select created_at from sessions where id = $1`,
        [id],
      );
      const lastAlive = log[recoveredAt - 1];
      const ran = Math.ceil(
        ((lastAlive?.time.getTime() ?? 0) - (created?.created_at.getTime() ?? 0)) / 1000,
      );
      expect(
        (await metersOf(id))
          .filter((m) => m.meter === 'session_seconds')
          .map((m) => [m.key, m.quantity]),
      ).toEqual([[`${id}:session_seconds:final`, ran]]);
    }
    expect(figures.turns).toBeGreaterThanOrEqual(A_SESSIONS * TURNS_BEFORE_KILL);
    console.log(
      `usage-kill: ${String(A_SESSIONS)} sessions lost; ${String(figures.turns)} completed turns ` +
        `checked (${String(figures.characters)} TTS characters; ${String(figures.completedWithoutEvent)} ` +
        `stored completed without turn.completed in the log), ${String(figures.failedTurns)} failed at the kill; ` +
        `${String(figures.reports)} usage reports in the logs, ${String(figures.meters)} meter events; ` +
        `${String(figures.byRecovery)} written by the recovery (at the kill ${String(atKill.unmetered)} ` +
        `durable reports were unmetered, ${String(atKill.answering)} callers mid-answer)`,
    );
  }, 90_000);
});
