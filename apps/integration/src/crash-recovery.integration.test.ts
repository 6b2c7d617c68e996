/**
 * `kill -9` of a server on PostgreSQL with live sessions — one mid-answer — then
 * another instance on the same database: nothing stays live forever. `end` of
 * a session of the dead instance succeeds at once; the sweeper ends the other
 * once the dead instance has been missing for `deploy.instance_ttl_ms`. Both
 * end `Failed` (outcome `error`, reason `instance_lost`) exactly once, the open
 * turn is failed, and each durable event log is gap-free and ends with
 * `session.failed`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent } from '@prx-voice/event';
import { startServerProcess } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import { connectWs } from './support/ws-client.ts';

const KEY = 'pk_integration_crash_key_0123456789abcd';
const TTL_MS = 2_000;
const base = process.env.DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), 'prx-crash-'));
const database = `prx_crash_${randomBytes(5).toString('hex')}`;
const running: ServerProcess[] = [];

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  if (base !== undefined && base !== '') await admin(`create database ${database}`);
});
afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
  if (base !== undefined && base !== '')
    await admin(`drop database if exists ${database} with (force)`);
  rmSync(dir, { recursive: true, force: true });
});

async function start(instanceId: string): Promise<ServerProcess> {
  const url = new URL(base ?? '');
  url.pathname = `/${database}`;
  const p = await startServerProcess(dir, {
    DATABASE_URL: url.toString(),
    PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
    PRX_VOICE_STORAGE__DATA_DIR: 'data',
    PRX_VOICE_DEPLOY__INSTANCE_ID: instanceId,
    PRX_VOICE_DEPLOY__INSTANCE_TTL_MS: String(TTL_MS),
    PRX_VOICE_DEPLOY__RECOVERY_INTERVAL_MS: '500',
    PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
  });
  running.push(p);
  return p;
}

async function api(
  server: ServerProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: { data: Row; error: { code: string } | null } }> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${KEY}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as never };
}

/** The session's durable log, read back as SSE (it ends after the terminal event). */
async function loggedEvents(server: ServerProcess, id: string) {
  const res = await fetch(`${server.url}/api/v1/sessions/${id}/events`, {
    headers: { authorization: `Bearer ${KEY}` },
  });
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n\n')
    .map((block) =>
      block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.replace(/^data: ?/, ''))
        .join('\n'),
    )
    .filter((data) => data !== '')
    .map((data) => parseEvent(data));
}

/** Polls `read` until `done` holds, up to `timeoutMs` (the sweeper works in real time here). */
async function until<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The fields of a session or page the test reads. */
interface Row {
  readonly id: string;
  readonly state: string;
  readonly items: readonly { readonly status: string }[];
  readonly [field: string]: unknown;
}

const LOST = { state: 'Failed', outcome: 'error', close_reason: 'instance_lost' };

describe.skipIf(base === undefined || base === '')('kill -9 on PostgreSQL', () => {
  it('ends the dead instance’s sessions once: end at once, the rest by the sweeper', async () => {
    const a = await start('crash-a');
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const created = await api(a, 'POST', '/sessions', {
        provider_options: { agent: { token_delay_ms: 50 } },
      });
      expect(created.status).toBe(201);
      ids.push(created.json.data.id);
    }
    const [talking, idle] = ids as [string, string];
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
    a.child.kill('SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');

    const b = await start('crash-b');
    // `end` of a session whose instance is gone succeeds, and ends it as lost.
    const ended = await api(b, 'POST', `/sessions/${talking}/end`);
    expect(ended.status).toBeLessThan(300);
    expect((await api(b, 'GET', `/sessions/${talking}`)).json.data).toMatchObject(LOST);
    const turns = await api(b, 'GET', `/sessions/${talking}/turns`);
    expect(turns.json.data.items.map((t) => t.status)).toEqual(['failed']);
    // The other: by the sweeper, once crash-a has been missing for a lease lifetime.
    const idleRow = await until(
      () => api(b, 'GET', `/sessions/${idle}`),
      (r) => r.json.data.state === 'Failed',
      TTL_MS * 5 + 10_000,
    );
    expect(idleRow.json.data).toMatchObject(LOST);
    expect((await api(b, 'POST', `/sessions/${idle}/end`)).status).toBe(409);

    for (const id of ids) {
      const events = await loggedEvents(b, id);
      expect(events.map((e) => e.prxseq)).toEqual(events.map((_, i) => i + 1));
      const failed = events.filter((e) => e.type === 'prx.voice.session.failed');
      expect(failed).toHaveLength(1);
      expect(events.at(-1)?.type).toBe('prx.voice.session.failed');
    }
    b.child.kill('SIGTERM');
    expect((await b.exited).code).toBe(0);
  });
});
