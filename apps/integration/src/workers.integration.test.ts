/**
 * `server.workers: 2` on one PostgreSQL and one Redis: one port, a supervisor and
 * two worker processes, each an instance. Sessions are created on whichever worker
 * takes the request; their WebSockets arrive at either and are handed to the one
 * holding the session — every caller is answered, by the instance that holds its
 * session. A worker killed with `kill -9` is replaced, its sessions are ended as
 * `instance_lost` by the other, and new sessions keep being served meanwhile.
 * SIGTERM to the supervisor drains both workers and exits 0. Twilio's media streams and
 * Pipecat RTVI connections are routed the same way (their session named in the URL or the
 * token).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { generateTone } from '@prx-voice/media';
import { decodePipecatFrame, encodeMessageFrame, twilioSignature } from '@prx-voice/transport';
import { createTwilioClientScript, parseTwilioOutbound } from '@prx-voice/transport/testing';
import { api, clusterEnv, freshDatabase, until } from './support/cluster.ts';
import { flushRedisDatabase } from './support/private-redis.ts';
import { useServerProcesses } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import { connectWs } from './support/ws-client.ts';
import type { WsClient } from './support/ws-client.ts';

const KEY = 'pk_integration_workers_key_0123456789ab';
const REDIS_DB = 10;
// Long enough that a worker starved of CPU under a loaded CI is never mistaken for lost.
const TTL_MS = 5_000;
const pgBase = process.env.DATABASE_URL;
const redisBase = process.env.REDIS_URL;
const ready = pgBase !== undefined && pgBase !== '' && redisBase !== undefined && redisBase !== '';
const servers = useServerProcesses('prx-workers-');
let db: { url: string; drop(): Promise<void> } | undefined;

beforeAll(async () => {
  if (!ready) return;
  db = await freshDatabase(pgBase, 'prx_workers');
  await flushRedisDatabase(redisBase, REDIS_DB);
});
afterAll(async () => {
  await db?.drop();
});

/** POST /sessions on a connection of its own (so the supervisor deals it to the next worker). */
function createSession(server: ServerProcess): Promise<{ id: string; ws_url: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}/api/v1/sessions`,
      {
        method: 'POST',
        agent: false,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => {
          const json = JSON.parse(body) as { data: { id: string; ws_url: string } | null };
          // Each session start is dealt afresh, whatever the client's keep-alive.
          expect(res.headers.connection).toBe('close');
          if (res.statusCode !== 201 || json.data === null)
            reject(new Error(`POST /sessions answered ${String(res.statusCode)}: ${body}`));
          else resolve(json.data);
        });
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

const TWILIO_TOKEN = 'twilio_auth_token_for_workers';
const PUBLIC = 'https://voice.example.com';

/** Twilio's voice webhook for a new call, signed, on a connection of its own: the TwiML. */
function twilioWebhook(server: ServerProcess, n: number): Promise<string> {
  const sid = (prefix: string): string => `${prefix}${String(n).padStart(32, '0')}`;
  const call = {
    CallSid: sid('CA'),
    AccountSid: sid('AC'),
    From: '+14155550100',
    To: '+14155550199',
  };
  const body = new URLSearchParams(call).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}/telephony/twilio/voice`,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilioSignature(
            TWILIO_TOKEN,
            `${PUBLIC}/telephony/twilio/voice`,
            call,
          ),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(text) : reject(new Error(`webhook: ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A Twilio call: the webhook's stream URL connected, the caller speaks, the answer's audio arrives. */
async function twilioCallAnswered(server: ServerProcess, n: number): Promise<string> {
  const twiml = await twilioWebhook(server, n);
  const streamUrl = /<Stream url="([^"]+)">/.exec(twiml)?.[1] ?? '';
  // With workers, the stream URL names its session so it can be routed to its holder.
  expect(streamUrl).toMatch(/^wss:\/\/voice\.example\.com\/telephony\/twilio\/stream\/sess_/);
  const params = Object.fromEntries(
    [...twiml.matchAll(/<Parameter name="([^"]+)" value="([^"]+)"\s*\/>/g)].map((m) => [
      m[1],
      m[2],
    ]),
  ) as Record<string, string>;
  const ws = new WebSocket(
    streamUrl.replace(PUBLIC.replace('https', 'wss'), server.url.replace('http', 'ws')),
  );
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const answered = new Promise<void>((resolve) =>
    ws.on('message', (data: Buffer) => {
      if (parseTwilioOutbound(data.toString('utf8')).event === 'media') resolve();
    }),
  );
  const twilio = createTwilioClientScript({
    customParameters: params,
    callSid: `CA${String(n).padStart(32, '0')}`,
  });
  ws.send(twilio.connected());
  ws.send(twilio.start());
  const speech = generateTone({
    sampleRate: 8000,
    frequencyHz: 300,
    durationMs: 600,
    amplitude: 0.3,
  });
  for (const m of twilio.audio(speech.samples)) ws.send(m);
  for (const m of twilio.audio(new Int16Array(8000))) ws.send(m);
  await answered;
  ws.send(twilio.stop());
  ws.close();
  return params['session_id'] ?? '';
}

/** POST `path` with a JSON body on a connection of its own: the JSON answer. */
function postJson(server: ServerProcess, path: string, body: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      {
        method: 'POST',
        agent: false,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () =>
          res.statusCode === 200 || res.statusCode === 201
            ? resolve(JSON.parse(text))
            : reject(new Error(`POST ${path} answered ${String(res.statusCode)}: ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/**
 * An RTVI session (POST /api/v1/rtvi/start, then its WebSocket with the token it answered,
 * on whichever worker): ready, a typed turn spoken back as audio; its session id.
 */
async function rtviAnswered(server: ServerProcess): Promise<string> {
  const { wsUrl, token } = (await postJson(server, '/api/v1/rtvi/start', {})) as {
    wsUrl: string;
    token: string;
  };
  expect(token).toMatch(/^sess_[0-9a-z]+\./);
  const path = new URL(wsUrl).pathname;
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}${path}?token=${token}`);
  const messages: { type: string; data: Record<string, unknown> }[] = [];
  let audio = 0;
  const waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer) => {
    const frame = decodePipecatFrame(new Uint8Array(data));
    if (frame.kind === 'message') messages.push(JSON.parse(frame.data) as (typeof messages)[0]);
    if (frame.kind === 'audio') audio += frame.audio.length;
    for (const w of waiters.splice(0)) w();
  });
  const until = async (done: () => boolean): Promise<void> => {
    while (!done()) await new Promise<void>((r) => waiters.push(r));
  };
  const send = (m: unknown): void => ws.send(Buffer.from(encodeMessageFrame(JSON.stringify(m))));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  send({ label: 'rtvi-ai', type: 'client-ready', id: 'r1', data: { version: '2.1.0' } });
  await until(() => messages.some((m) => m.type === 'bot-ready'));
  send({ label: 'rtvi-ai', type: 'send-text', id: 't1', data: { content: 'hello' } });
  await until(() => audio > 0 && messages.some((m) => m.type === 'bot-started-speaking'));
  send({ label: 'rtvi-ai', type: 'client-message', id: 'c1', data: { t: 'session' } });
  await until(() => messages.some((m) => m.type === 'server-response'));
  const reply = messages.find((m) => m.type === 'server-response');
  ws.close();
  return String((reply?.data['d'] as { session_id?: string } | undefined)?.session_id);
}

/** GET `path` on a connection of its own: the body. */
function getText(server: ServerProcess, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(`${server.url}${path}`, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
    })
      .on('error', reject)
      .end();
  });
}

/** GET /health/live on a connection of its own. */
async function ping(server: ServerProcess): Promise<void> {
  await getText(server, '/health/live');
}

/** The instance an event of the session says it comes from (`source` `/prx-voice/{instance}/sessions/{id}`). */
function instanceOf(client: WsClient): string {
  const source = client.events[0]?.source ?? '';
  return /^\/prx-voice\/([^/]+)\/sessions\//.exec(source)?.[1] ?? '';
}

/** A session's WebSocket connected (on whichever worker) and one text turn answered. */
async function answered(
  server: ServerProcess,
  created: {
    id: string;
    ws_url: string;
  },
): Promise<{ id: string; client: WsClient; instance: string }> {
  // Its URL is on the public URL (Twilio's); the test reaches the server directly.
  const url = new URL(created.ws_url);
  const client = await connectWs(`${server.url.replace('http', 'ws')}${url.pathname}?token=${KEY}`);
  client.ws.send(JSON.stringify({ type: 'input.text', text: 'hello' }));
  await client.waitFor('prx.voice.turn.completed');
  expect(client.audioBytes).toBeGreaterThan(0);
  return { id: created.id, client, instance: instanceOf(client) };
}

/** The supervisor's worker processes by instance id (from each one's environment). */
function workerPids(server: ServerProcess): Map<string, number> {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(server.child.pid)], {
    encoding: 'utf8',
  });
  const workers = new Map<string, number>();
  for (const pid of out.split('\n').map((l) => Number(l.trim()))) {
    if (!(pid > 0)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${String(pid)}/environ`, 'latin1');
    } catch {
      continue; // gone meanwhile
    }
    const id = environ
      .split('\0')
      .find((v) => v.startsWith('PRX_VOICE_DEPLOY__INSTANCE_ID='))
      ?.split('=')[1];
    if (id !== undefined && id !== 'wk') workers.set(id, pid);
  }
  return workers;
}

describe.skipIf(!ready)('two workers on one port', () => {
  it('hands each WebSocket to the worker holding its session, survives a kill -9 of one, drains on SIGTERM', async () => {
    const server = await servers.start({
      ...clusterEnv({
        key: KEY,
        ttlMs: TTL_MS,
        databaseUrl: db?.url ?? '',
        redisBase: redisBase ?? '',
        redisDb: REDIS_DB,
        instanceId: 'wk',
      }),
      PRX_VOICE_SERVER__WORKERS: '2',
      PRX_VOICE_SERVER__PUBLIC_URL: PUBLIC,
      PRX_VOICE_TELEPHONY__TWILIO: JSON.stringify({ auth_token: TWILIO_TOKEN, tenant: 'default' }),
      PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '1000',
    });
    expect(server.out.join('\n')).toMatch(/2 workers: wk-w0-\d+, wk-w\d-\d+/);
    expect(workerPids(server).size).toBe(2);

    // Eight sessions: created on alternate workers (a connection each, dealt in turn), then
    // their sockets, dealt in turn too, one connection more after every second one: some
    // arrive at the worker holding their session, the others are handed to it.
    const created = [];
    for (let i = 0; i < 8; i++) created.push(await createSession(server));
    const sessions = [];
    for (const [i, c] of created.entries()) {
      sessions.push(await answered(server, c));
      if (i % 2 === 1) await ping(server);
    }
    const instances = new Set(sessions.map((s) => s.instance));
    expect([...instances].sort()).toEqual([
      expect.stringMatching(/^wk-w0-/),
      expect.stringMatching(/^wk-w1-/),
    ]);
    // A scrape, whichever worker it reaches, holds every worker's series.
    for (let i = 0; i < 2; i++) {
      const text = await getText(server, '/metrics');
      for (const instance of instances)
        expect(text).toMatch(
          new RegExp(`^prx_voice_live_sessions\\{worker="${instance}"\\} [1-9]`, 'm'),
        );
    }
    // Each session's row names the instance that answered its caller.
    for (const s of sessions) {
      const row = await api(server, KEY, 'GET', `/sessions/${s.id}`);
      expect(row.json.data.state).not.toBe('Failed');
      expect(s.client.events.every((e) => e.source.includes(`/${s.instance}/`))).toBe(true);
    }

    // Twilio calls: the stream names its session only in its first message, so its URL names
    // it too; every call is answered whichever worker its stream reaches.
    for (let n = 1; n <= 4; n++) {
      await twilioCallAnswered(server, n);
      if (n === 2) await ping(server);
    }

    // RTVI: its token names its session; every connection is answered wherever it lands.
    for (let n = 1; n <= 4; n++) {
      expect(await rtviAnswered(server)).toMatch(/^sess_/);
      if (n === 2) await ping(server);
    }

    // kill -9 the worker of the first session.
    const victim = sessions[0]?.instance ?? '';
    const killed = workerPids(server).get(victim);
    expect(killed).toBeDefined();
    process.kill(killed ?? 0, 'SIGKILL');
    const lost = sessions.filter((s) => s.instance === victim);
    const kept = sessions.filter((s) => s.instance !== victim);
    for (const s of lost) expect((await s.client.closed).code).not.toBe(1000);
    // The survivor serves new sessions meanwhile (every connection goes to a live worker).
    const during = await answered(server, await createSession(server));
    expect(during.instance).not.toBe(victim);
    // The dead worker's sessions end as instance_lost, through the survivor's sweeper.
    for (const s of lost) {
      const row = await until(
        () => api(server, KEY, 'GET', `/sessions/${s.id}`),
        (r) => r.json.data.state === 'Failed',
        TTL_MS * 5 + 15_000,
      );
      expect(row.json.data).toMatchObject({ state: 'Failed', close_reason: 'instance_lost' });
    }
    // The survivor's callers never noticed.
    for (const s of kept) {
      s.client.ws.send(JSON.stringify({ type: 'input.text', text: 'still there?' }));
      await s.client.next('prx.voice.turn.completed');
    }
    // A replacement worker starts, a new instance.
    const replaced = await until(
      () => Promise.resolve(workerPids(server)),
      (p) => p.size === 2 && !p.has(victim),
      30_000,
    );
    expect([...replaced.keys()]).toContainEqual(expect.stringMatching(/^wk-w\d-3$/));

    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const drained = server.out.find((l) => l.startsWith('stopped: every worker drained')) ?? '';
    expect(Number(/; (\d+) handed to the worker/.exec(drained)?.[1])).toBeGreaterThan(0);
    for (const s of [...kept, during]) await s.client.closed;
  }, 120_000);
});
