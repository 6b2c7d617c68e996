/**
 * Coordination lost under a live session: the server's Redis database is
 * emptied (what a Redis restart without persistence leaves) while a caller is
 * connected. The session goes on — the next turn is answered, nothing ends it —
 * and its concurrency slot comes back on the next heartbeat, so usage counts it
 * again. (Its own Redis database, so other suites sharing the server are untouched.)
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useServerProcesses } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import { connectWs } from './support/ws-client.ts';

const KEY = 'pk_integration_redis_key_0123456789abcd';
const REDIS_DB = 9;
const base = process.env.REDIS_URL;
const servers = useServerProcesses('prx-redis-restart-');

/** Sends inline commands to Redis and resolves once it has answered each with +OK. */
function redis(url: string, commands: readonly string[]): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port || 6379), u.hostname);
    let answered = '';
    socket.on('data', (d: Buffer) => {
      answered += d.toString('utf8');
      if (answered.split('\r\n').filter((l) => l !== '').length >= commands.length) {
        socket.end();
        if (answered.split('\r\n').every((l) => l === '' || l === '+OK')) resolve();
        else reject(new Error(`redis answered ${answered}`));
      }
    });
    socket.on('error', reject);
    socket.write(commands.map((c) => `${c}\r\n`).join(''));
  });
}

async function api(server: ServerProcess, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${KEY}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as { data: Record<string, unknown> } };
}

/** Polls `read` until `done` holds, up to `timeoutMs` (heartbeats run in real time here). */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe.skipIf(base === undefined || base === '')('Redis emptied under a live session', () => {
  it('the session goes on, answers the next turn, and takes its slot back', async () => {
    const url = new URL(base ?? '');
    url.pathname = `/${REDIS_DB}`;
    await redis(url.toString(), [`SELECT ${REDIS_DB}`, 'FLUSHDB']);
    const server = await servers.start({
      REDIS_URL: url.toString(),
      PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
      PRX_VOICE_STORAGE__DATA_DIR: 'data',
      PRX_VOICE_DEPLOY__INSTANCE_TTL_MS: '2000',
      PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
      PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
      PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
      PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
    });
    const created = await api(server, 'POST', '/sessions', {});
    expect(created.status).toBe(201);
    const id = String(created.json.data['id']);
    const client = await connectWs(`${String(created.json.data['ws_url'])}?token=${KEY}`);
    client.ws.send(JSON.stringify({ type: 'input.text', text: 'hello before' }));
    await client.waitFor('prx.voice.turn.completed');
    const live = async () =>
      Number((await api(server, 'GET', '/usage')).json.data['live_sessions']);
    expect(await live()).toBe(1);

    await redis(url.toString(), [`SELECT ${REDIS_DB}`, 'FLUSHDB']);
    expect(await live()).toBe(0);
    // The slot's next heartbeat (a third of its 30 s lease) finds it gone and takes it again.
    expect(await until(live, (n) => n === 1, 25_000)).toBe(1);

    const next = client.next('prx.voice.turn.completed');
    client.ws.send(JSON.stringify({ type: 'input.text', text: 'hello after' }));
    expect((await next).data).toMatchObject({ user_text: 'hello after' });
    const ended = client.events.filter(
      (e) => e.type === 'prx.voice.session.closed' || e.type === 'prx.voice.session.failed',
    );
    expect(ended).toEqual([]);
    expect((await api(server, 'GET', `/sessions/${id}`)).json.data['state']).not.toMatch(
      /Closed|Failed/,
    );
    client.ws.close();
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  }, 120_000);
});
