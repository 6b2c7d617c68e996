/**
 * `kill -9` under load loses no usage and doubles none on the embedded default
 * too: one server process on PGlite in a data directory with in-process
 * coordination (no `DATABASE_URL`, no `REDIS_URL`). Six callers talk in real
 * time (turns keep completing); the server is killed while answers are under
 * way, at a moment when usage reports the callers have received are not yet in
 * the meter events (the meter recorder writes every 200 ms, the event log every
 * 25 ms). It is started again on the same data directory: it ends every session
 * its previous run left live (`Failed` / `instance_lost`, once that run has
 * been missing for a lease lifetime) and records what their durable logs
 * report. Everything is read over the wire, as PGlite cannot be opened beside
 * the server holding it: each lost session's log (SSE, ending at its terminal
 * event) is compared with its recorded meters (`GET /usage?session_id=`) —
 * for every meter other than session time, the quantity and the number of meter
 * events are exactly those of the log's `governance.usage_recorded` reports
 * (none lost, none twice); every `turn.completed` of the log has its agent
 * tokens and TTS characters reported; and the session's time is metered once,
 * up to its last stored event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { afterAll, describe, expect, it } from 'vitest';
import { api, loggedEvents, mockServerEnv, until } from './support/cluster.ts';
import { logDefects } from './support/fault-checks.ts';
import { startServerProcess } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import type { Talker } from './support/talker.ts';
import { answering, talkingSession } from './support/talking.ts';
import type { Talking } from './support/talking.ts';

const KEY = 'pk_integration_usage_kill_embedded_0123';
/** The restarted server ends its previous run's sessions once that run has been missing this long. */
const TTL_MS = 3_000;
const SESSIONS = 6;
/** Turns each caller has had answered before the kill. */
const TURNS_BEFORE_KILL = 3;
const USAGE_RECORDED = 'prx.voice.governance.usage_recorded';
const dir = mkdtempSync(join(tmpdir(), 'prx-usage-kill-embedded-'));
const running: ServerProcess[] = [];
const talkers: Talker[] = [];

afterAll(async () => {
  for (const t of talkers) t.stop();
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
  rmSync(dir, { recursive: true, force: true });
});

/** The embedded server on the test's data directory (the same one each time). */
async function start(): Promise<ServerProcess> {
  const p = await startServerProcess(
    dir,
    mockServerEnv(KEY, TTL_MS, { PRX_VOICE_STORAGE__DATA_DIR: 'data' }),
  );
  running.push(p);
  return p;
}

/** Recorded usage of one meter and provider, as `GET /usage` reports it. */
interface Metered {
  readonly quantity: number;
  readonly events: number;
}

/** `meter|provider` of a meter total or a usage report. */
const meterKey = (meter: string, provider: string | null | undefined): string =>
  `${meter}|${provider ?? ''}`;

/** The recorded meters of this month (of one session, or the tenant's), by `meter|provider`. */
async function recordedMeters(
  server: ServerProcess,
  sessionId?: string,
): Promise<Record<string, Metered>> {
  const res = await api(
    server,
    KEY,
    'GET',
    sessionId === undefined ? '/usage' : `/usage?session_id=${sessionId}`,
  );
  if (res.status !== 200) throw new Error(`GET /usage answered ${String(res.status)}`);
  const { meters } = res.json.data as unknown as {
    meters: readonly {
      meter: string;
      provider: string | null;
      quantity: number;
      events: number;
    }[];
  };
  return Object.fromEntries(
    meters.map((m) => [meterKey(m.meter, m.provider), { quantity: m.quantity, events: m.events }]),
  );
}

/** Without session time. */
function usageOnly(meters: Record<string, Metered>): Record<string, Metered> {
  return Object.fromEntries(
    Object.entries(meters).filter(([k]) => !k.startsWith('session_seconds|')),
  );
}

/** Meter events in `meters`. */
const eventsIn = (meters: Record<string, Metered>): number =>
  Object.values(meters).reduce((n, m) => n + m.events, 0);

/** The `governance.usage_recorded` reports of a log. */
function reportsIn(log: readonly AnyVoiceEvent[]): {
  readonly key: string;
  readonly meter: string;
  readonly quantity: number;
  readonly provider: string | undefined;
  readonly runId: string | undefined;
}[] {
  return log.flatMap((e) =>
    e.type === USAGE_RECORDED
      ? [
          {
            key: e.data.idempotency_key,
            meter: e.data.meter,
            quantity: e.data.quantity,
            provider: e.data.provider,
            runId: e.prxrunid,
          },
        ]
      : [],
  );
}

/** What a log's usage reports (session time aside) stand for in the meters, by `meter|provider`. */
function reportedMeters(log: readonly AnyVoiceEvent[]): Record<string, Metered> {
  const out: Record<string, Metered> = {};
  for (const r of reportsIn(log)) {
    if (r.meter === 'session_seconds') continue;
    const k = meterKey(r.meter, r.provider);
    const m = out[k] ?? { quantity: 0, events: 0 };
    out[k] = { quantity: m.quantity + r.quantity, events: m.events + 1 };
  }
  return out;
}

const wordsOf = (text: string): number => (text.match(/\S+/g) ?? []).length;

const LOST = { state: 'Failed', outcome: 'error', close_reason: 'instance_lost' };

describe('kill -9 of the embedded server under load, and usage', () => {
  it('meters, after the restart, every usage its sessions’ durable logs report, once, and their time', async () => {
    const first = await start();
    const talking: Talking[] = [];
    for (let i = 0; i < SESSIONS; i++) talking.push(await talkingSession(first, KEY, talkers));
    const ids = talking.map((s) => s.id);
    await Promise.all(talking.map((s) => s.talker.moreTurns(TURNS_BEFORE_KILL, 30_000)));

    // The kill: callers hearing an answer (their turns open), and usage reported to the callers
    // that the meter events do not hold yet — in the durable log (written every 25 ms) but still
    // queued in the recorder (every 200 ms): what only the recovery can record.
    const atKill = await until(
      async () => {
        const metered = eventsIn(usageOnly(await recordedMeters(first)));
        const reported = talking
          .flatMap((s) => reportsIn(s.client.events))
          .filter((r) => r.meter !== 'session_seconds').length;
        return {
          answering: talking.filter((s) => answering(s.client)).length,
          metered,
          unmetered: reported - metered,
        };
      },
      (k) => k.answering >= 2 && k.unmetered >= 1,
      20_000,
    );
    first.child.kill('SIGKILL');
    expect(atKill.answering).toBeGreaterThanOrEqual(2);
    expect((await first.exited).signal).toBe('SIGKILL');
    for (const s of talking) await s.client.closed;

    // Started again on the same data directory. Its previous run (another instance id: another
    // pid) is lost once missing for a lease lifetime; until then, the meters are what the killed
    // process wrote — read them, if no session was ended (nor metered) before the read was done.
    const second = await start();
    const unended = async (): Promise<boolean> =>
      (await Promise.all(ids.map((id) => api(second, KEY, 'GET', `/sessions/${id}`)))).every(
        (r) => r.json.data.state !== 'Failed' && r.json.data.state !== 'Closed',
      );
    const snapshot = usageOnly(await recordedMeters(second));
    const leftByTheKill = (await unended()) ? snapshot : undefined;

    // Every session of the first run ends…
    for (const id of ids) {
      const row = await until(
        () => api(second, KEY, 'GET', `/sessions/${id}`),
        (r) => r.json.data.state === 'Failed',
        TTL_MS * 3 + 10_000,
      );
      expect(row.json.data).toMatchObject(LOST);
    }

    const figures = { turns: 0, reports: 0, metered: 0, unlogged: 0 };
    for (const id of ids) {
      // …its durable log complete, the recovery's end last…
      const log = await loggedEvents(second, KEY, id);
      expect(logDefects(log)).toEqual([]);
      const recoveredAt = log.findIndex(
        (e) => e.type === 'prx.voice.session.state_changed' && e.data.to === 'Failed',
      );
      expect(recoveredAt).toBeGreaterThan(0);
      expect(log.slice(recoveredAt).map((e) => e.type)).toEqual([
        'prx.voice.session.state_changed',
        'prx.voice.session.failed',
      ]);

      // …each usage report of the log once (keys are unique within a session)…
      const reports = reportsIn(log);
      expect(new Set(reports.map((r) => r.key)).size).toBe(reports.length);
      expect(reports.filter((r) => r.meter === 'session_seconds')).toEqual([]);

      // …each completed turn of the log with its usage reported: the mock agent's completion
      // tokens are the words of its answer (no tool: round 0), its TTS the answer's characters…
      const completed = log.filter((e) => e.type === 'prx.voice.turn.completed');
      for (const turn of completed) {
        const run = turn.prxrunid;
        expect(run).toBeDefined();
        const ofRun = reports.filter((r) => r.runId === run);
        const tokens = (meter: string): number | undefined =>
          ofRun.find((r) => r.key === `${String(run)}:0:${meter}`)?.quantity;
        if (!turn.data.interrupted) {
          expect(tokens('agent_completion_tokens')).toBe(wordsOf(turn.data.assistant_text));
          expect(
            ofRun.filter((r) => r.meter === 'tts_characters').reduce((n, r) => n + r.quantity, 0),
          ).toBeGreaterThanOrEqual(turn.data.assistant_text.replace(/\s+/g, '').length);
        }
        expect(tokens('agent_prompt_tokens')).toBeGreaterThan(0);
      }
      figures.turns += completed.length;
      expect(completed.length).toBeGreaterThanOrEqual(TURNS_BEFORE_KILL);

      // …and its meters, once the recorder has written them: exactly what the log reports, then
      // its time, once, up to its last event stored before the kill.
      const expected = reportedMeters(log);
      const created = await api(second, KEY, 'GET', `/sessions/${id}`);
      const createdAt = Date.parse(String(created.json.data['created_at']));
      const lastAlive = log[recoveredAt - 1];
      const ran = Math.ceil((Date.parse(lastAlive?.time ?? '') - createdAt) / 1000);
      expect(ran).toBeGreaterThan(0);
      // Session time is metered under the session's channel.
      const want = { ...expected, 'session_seconds|websocket': { quantity: ran, events: 1 } };
      const recorded = await until(
        () => recordedMeters(second, id),
        (m) => JSON.stringify(sorted(m)) === JSON.stringify(sorted(want)),
        15_000,
      );
      expect(sorted(recorded)).toEqual(sorted(want));
      figures.reports += reports.length;
      // Reports the caller received that never reached the durable log (lost with the process).
      const logged = new Set(reports.map((r) => r.key));
      const talked = talking.find((s) => s.id === id);
      figures.unlogged += reportsIn(talked?.client.events ?? []).filter(
        (r) => !logged.has(r.key),
      ).length;
      figures.metered += eventsIn(usageOnly(recorded));
    }
    // Still so once everything queued is written: nothing recorded twice, late.
    const all = await recordedMeters(second);
    expect(eventsIn(usageOnly(all))).toBe(figures.reports);
    expect(all['session_seconds|websocket']?.events).toBe(SESSIONS);
    expect(figures.turns).toBeGreaterThanOrEqual(SESSIONS * TURNS_BEFORE_KILL);

    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    const added =
      leftByTheKill === undefined
        ? 'unknown (a session ended before the meters could be read)'
        : String(figures.reports - eventsIn(leftByTheKill));
    console.log(
      `usage-kill-embedded: ${String(SESSIONS)} sessions lost; ${String(figures.turns)} completed turns ` +
        `in their logs; ${String(figures.reports)} usage reports in the logs, ${String(figures.metered)} ` +
        `meter events (session time aside); recorded by the recovery: ${added}; at the kill ` +
        `${String(atKill.answering)} callers mid-answer, ${String(atKill.unmetered)} reports ` +
        `received by callers and not metered; ${String(figures.unlogged)} reports received by callers ` +
        `never reached the durable logs`,
    );
  }, 150_000);
});

/** `meters` with its keys in order (for comparison). */
function sorted(meters: Record<string, Metered>): [string, Metered][] {
  return Object.entries(meters).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}
