/**
 * PostgreSQL restarted under live sessions (`pg_ctl stop -m fast`: every
 * connection ended with 57P01, then nothing listens; then started again). While
 * it is down readiness answers 503 promptly and callers go on talking — a turn
 * over the WebSocket is answered, its events reach the caller at once. Nothing
 * of what happened in the outage is lost: once the database is back the turns,
 * the session rows and the durable logs catch up (retried in order), every turn
 * is stored completed, each log is gap-free with one terminal event, and an SSE
 * client saw exactly the durable log. No session ended that could have gone on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, loggedEvents, mockServerEnv, until } from './support/cluster.ts';
import { openEventStream } from './support/event-stream.ts';
import { postgresBinaries, startPrivatePostgres } from './support/private-postgres.ts';
import type { PrivatePostgres } from './support/private-postgres.ts';
import { startServerProcess } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import { connectWs } from './support/ws-client.ts';
import type { WsClient } from './support/ws-client.ts';

const KEY = 'pk_integration_pgrestart_key_0123456789a';
const available = postgresBinaries() !== undefined;
const dir = mkdtempSync(join(tmpdir(), 'prx-pg-restart-'));
let pg: PrivatePostgres | undefined;
let server: ServerProcess | undefined;

beforeAll(async () => {
  if (available) pg = await startPrivatePostgres();
}, 60_000);
afterAll(async () => {
  if (server !== undefined && server.child.exitCode === null) server.child.kill('SIGKILL');
  await server?.exited;
  pg?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** `GET /health/ready`'s status, or 0 when it did not answer within 2 s. */
async function readiness(s: ServerProcess): Promise<number> {
  try {
    return (await fetch(`${s.url}/health/ready`, { signal: AbortSignal.timeout(2_000) })).status;
  } catch {
    return 0;
  }
}

/** Says `text` over the WebSocket and waits for that turn to complete. */
async function say(client: WsClient, text: string): Promise<void> {
  const done = client.next('prx.voice.turn.completed');
  client.ws.send(JSON.stringify({ type: 'input.text', text }));
  await done;
}

describe.skipIf(!available)('PostgreSQL restarted under live sessions', () => {
  it('goes on talking, then stores everything once the database is back', async () => {
    const s = await startServerProcess(
      dir,
      mockServerEnv(KEY, 2_000, {
        DATABASE_URL: pg?.url ?? '',
        PRX_VOICE_STORAGE__DATA_DIR: 'data',
      }),
    );
    server = s;
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const created = await api(s, KEY, 'POST', '/sessions', {});
      expect(created.status).toBe(201);
      ids.push(created.json.data.id);
    }
    const [talking, watched] = ids as [string, string];
    const client = await connectWs(
      `${s.url.replace('http', 'ws')}/api/v1/ws/${talking}?token=${KEY}`,
    );
    const sse = await openEventStream(`${s.url}/api/v1/sessions/${watched}/events`, KEY);
    await say(client, 'before the restart');
    expect((await api(s, KEY, 'POST', `/sessions/${watched}/turns`, { text: 'one' })).status).toBe(
      202,
    );
    await sse.waitFor((e) => e.type === 'prx.voice.turn.completed', 20_000);

    pg?.stop('fast');
    // Down: readiness says so (each probe is bounded at 800 ms; on a starved CI machine an answer
    // can take longer than the 2 s a request waits, so a request that got none is asked again);
    // the caller's turn is still answered.
    expect(
      await until(
        () => readiness(s),
        (status) => status !== 0,
        10_000,
      ),
    ).toBe(503);
    await say(client, 'while the database is down');
    await say(client, 'and once more');

    pg?.start();
    expect(
      await until(
        () => readiness(s),
        (status) => status === 200,
        30_000,
      ),
    ).toBe(200);
    await say(client, 'after the restart');
    expect((await api(s, KEY, 'POST', `/sessions/${watched}/turns`, { text: 'two' })).status).toBe(
      202,
    );
    await until(
      () => Promise.resolve(sse.events.filter((e) => e.type === 'prx.voice.turn.completed')),
      (done) => done.length === 2,
      20_000,
    );
    for (const id of ids)
      expect((await api(s, KEY, 'POST', `/sessions/${id}/end`)).status).toBe(200);
    await client.closed;
    await sse.waitFor((e) => e.type === 'prx.voice.session.closed', 20_000);

    // Everything, including what happened during the outage, is stored once.
    for (const [id, turns] of [
      [talking, 4],
      [watched, 2],
    ] as const) {
      const row = await until(
        () => api(s, KEY, 'GET', `/sessions/${id}`),
        (r) => r.json.data['ended_at'] !== null,
        20_000,
      );
      expect(row.json.data).toMatchObject({
        state: 'Closed',
        outcome: 'completed',
        turn_count: turns,
      });
      const stored = (await api(s, KEY, 'GET', `/sessions/${id}/turns`)).json.data.items;
      expect(stored.map((t) => t.status)).toEqual(Array.from({ length: turns }, () => 'completed'));
      const logged = await loggedEvents(s, KEY, id);
      expect(logged.map((e) => e.prxseq)).toEqual(logged.map((_, i) => i + 1));
      expect(
        logged.filter(
          (e) => e.type === 'prx.voice.session.closed' || e.type === 'prx.voice.session.failed',
        ),
      ).toHaveLength(1);
      expect(logged.filter((e) => e.type === 'prx.voice.turn.completed')).toHaveLength(turns);
      if (id === watched) expect(sse.events.map((e) => e.id)).toEqual(logged.map((e) => e.id));
      else {
        // Every event the caller saw over the WebSocket is durable, in the same order.
        const seen = client.events.map((e) => e.id);
        expect(logged.map((e) => e.id).filter((x) => seen.includes(x))).toEqual(seen);
      }
    }
    sse.close();
  }, 120_000);
});
