/**
 * `kill -9` of a server on PostgreSQL with live sessions — one mid-answer — then
 * another instance on the same database: nothing stays live forever. `end` of
 * a session of the dead instance succeeds at once; the sweeper ends the other
 * once the dead instance has been missing for `deploy.instance_ttl_ms`. Both
 * end `Failed` (outcome `error`, reason `instance_lost`) exactly once, the open
 * turn is failed, and each durable event log is gap-free and ends with
 * `session.failed`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import { api, freshDatabase, loggedEvents, mockServerEnv, until } from './support/cluster.ts';
import { openEventStream } from './support/event-stream.ts';
import { connectWs } from './support/ws-client.ts';

const KEY = 'pk_integration_crash_key_0123456789abcd';
const TTL_MS = 2_000;
const base = process.env.DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), 'prx-crash-'));
const running: ServerProcess[] = [];
let db: { url: string; drop(): Promise<void> } | undefined;

beforeAll(async () => {
  if (base !== undefined && base !== '') db = await freshDatabase(base, 'prx_crash');
});
afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(instanceId: string): Promise<ServerProcess> {
  const p = await startServerProcess(
    dir,
    mockServerEnv(KEY, TTL_MS, {
      DATABASE_URL: db?.url ?? '',
      PRX_VOICE_STORAGE__DATA_DIR: 'data',
      PRX_VOICE_DEPLOY__INSTANCE_ID: instanceId,
    }),
  );
  running.push(p);
  return p;
}

const call = (server: ServerProcess, method: string, path: string, body?: unknown) =>
  api(server, KEY, method, path, body);

const LOST = { state: 'Failed', outcome: 'error', close_reason: 'instance_lost' };

describe.skipIf(base === undefined || base === '')('kill -9 on PostgreSQL', () => {
  it('ends the dead instance’s sessions once: end at once, the rest by the sweeper', async () => {
    const a = await start('crash-a');
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const created = await call(a, 'POST', '/sessions', {
        provider_options: { agent: { token_delay_ms: 50 } },
      });
      expect(created.status).toBe(201);
      ids.push(created.json.data.id);
    }
    const [talking, idle] = ids as [string, string];
    // An SSE client of the talking session on the instance about to die.
    const watcher = await openEventStream(`${a.url}/api/v1/sessions/${talking}/events`, KEY);
    // One session mid-answer: its turn is open when the process dies.
    const client = await connectWs(
      `${a.url.replace('http', 'ws')}/api/v1/ws/${talking}?token=${KEY}`,
    );
    client.ws.send(
      JSON.stringify({
        type: 'input.text',
        text: 'tell me a long story about the sea and the wind',
      }),
    );
    await client.waitFor('prx.voice.playback.started');
    await watcher.waitFor((e) => e.type === 'prx.voice.playback.started');
    a.child.kill('SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');

    const b = await start('crash-b');
    // `end` of a session whose instance is gone succeeds, and ends it as lost.
    const ended = await call(b, 'POST', `/sessions/${talking}/end`);
    expect(ended.status).toBeLessThan(300);
    expect((await call(b, 'GET', `/sessions/${talking}`)).json.data).toMatchObject(LOST);
    const turns = await call(b, 'GET', `/sessions/${talking}/turns`);
    expect(turns.json.data.items.map((t) => t.status)).toEqual(['failed']);
    // The other: by the sweeper, once crash-a has been missing for a lease lifetime.
    const idleRow = await until(
      () => call(b, 'GET', `/sessions/${idle}`),
      (r) => r.json.data.state === 'Failed',
      TTL_MS * 5 + 10_000,
    );
    expect(idleRow.json.data).toMatchObject(LOST);
    expect((await call(b, 'POST', `/sessions/${idle}/end`)).status).toBe(409);

    // Durable before visible: everything the SSE client saw is in the log, at the same seq,
    // and resuming after the last of it brings the recovered end.
    const seen = watcher.events;
    const log = await loggedEvents(b, KEY, talking);
    expect(log.slice(0, seen.length).map((e) => e.id)).toEqual(seen.map((e) => e.id));
    const resumed = await fetch(
      `${b.url}/api/v1/sessions/${talking}/events?after_seq=${String(seen.at(-1)?.prxseq ?? 0)}`,
      { headers: { authorization: `Bearer ${KEY}` } },
    );
    expect(await resumed.text()).toContain('prx.voice.session.failed');
    watcher.close();

    for (const id of ids) {
      const events = await loggedEvents(b, KEY, id);
      expect(events.map((e) => e.prxseq)).toEqual(events.map((_, i) => i + 1));
      const failed = events.filter((e) => e.type === 'prx.voice.session.failed');
      expect(failed).toHaveLength(1);
      expect(events.at(-1)?.type).toBe('prx.voice.session.failed');
    }
    b.child.kill('SIGTERM');
    expect((await b.exited).code).toBe(0);
  }, 120_000);
});
