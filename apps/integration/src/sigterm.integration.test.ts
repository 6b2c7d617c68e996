/**
 * The real binary (`prx-voice serve` as a child process) on SIGTERM and SIGINT:
 * it stops admitting (new sessions and readiness answer 503 `NOT_READY` while it
 * drains; the listener itself stays open until the drain is over, then closes),
 * ends live sessions with reason `shutdown` once `server.shutdown_timeout_ms` has
 * passed, tells their WebSocket clients (`prx.voice.session.closed`, then close
 * code 1000), keeps the closed events in its durable log, and exits with code 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loggedEvents } from './support/cluster.ts';
import { connectWs, pcmFrame } from './support/ws-client.ts';
import type { WsClient } from './support/ws-client.ts';
import { startServerProcess } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';

const KEY = 'pk_integration_sigterm_key_0123456789ab';
const SHUTDOWN_TIMEOUT_MS = 3000;
/** Time the process may take past the drain to close storage and exit (PGlite on a busy CI box). */
const EXIT_SLACK_MS = 15_000;
const dir = mkdtempSync(join(tmpdir(), 'prx-sigterm-'));
const running: ServerProcess[] = [];

afterAll(() => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<ServerProcess> {
  const p = await startServerProcess(dir, {
    PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
    PRX_VOICE_STORAGE__DATA_DIR: 'data',
    PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
    PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  });
  running.push(p);
  return p;
}

async function api(
  server: ServerProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<{
  status: number;
  json: { data: Record<string, unknown> | null; error: { code: string } | null };
}> {
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

/** Creates a session and attaches a WebSocket client to it. */
async function liveSession(server: ServerProcess): Promise<{ id: string; client: WsClient }> {
  const created = await api(server, 'POST', '/sessions', {
    provider_options: { agent: { token_delay_ms: 5 } },
  });
  expect(created.status).toBe(201);
  const client = await connectWs(`${String(created.json.data?.ws_url)}?token=${KEY}`);
  // Attached once it answers.
  client.ws.send(JSON.stringify({ type: 'ping', id: 'attached' }));
  await client.waitFor('prx.voice.session.pong');
  return { id: String(created.json.data?.id), client };
}

const SHUTDOWN = { outcome: 'shutdown', reason: 'shutdown' };

describe('prx-voice serve on signals', () => {
  it('SIGTERM: refuses new work, ends both live sessions with reason shutdown, logs it, exits 0', async () => {
    const server = await start();
    // The start-up lines point a newcomer at the pages and the key, never the whole key.
    expect(await server.line(/^playground: /)).toBe(
      `playground: ${server.url}/ (operators' console: ${server.url}/console)`,
    );
    expect(await server.line(/^sign in with/)).toBe(
      `sign in with the bootstrap key (${KEY.slice(0, 10)}…)`,
    );
    expect(server.out.join('\n')).not.toContain(KEY);
    const idle = await liveSession(server);
    const talking = await liveSession(server);
    // Mid-turn: a long answer plays out to the client while the client streams audio in.
    talking.client.ws.send(
      JSON.stringify({
        type: 'input.text',
        text: 'please tell me a long story about the sea, the wind, the old lighthouse keeper and the ships that pass his rock every night of the year',
      }),
    );
    await talking.client.waitFor('prx.voice.playback.started');
    const streaming = setInterval(() => {
      if (talking.client.ws.readyState === talking.client.ws.OPEN)
        talking.client.ws.send(pcmFrame('silence'));
    }, 20);
    try {
      const audioBefore = talking.client.audioBytes;
      const signalledAt = Date.now();
      server.child.kill('SIGTERM');
      await server.line(/^SIGTERM: draining/);
      // While draining: no new sessions, not ready; what is live carries on.
      const refused = await api(server, 'POST', '/sessions', {});
      expect(refused.status).toBe(503);
      expect(refused.json.error?.code).toBe('NOT_READY');
      const ready = await fetch(`${server.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(idle.client.events.some((e) => e.type === 'prx.voice.session.closed')).toBe(false);

      const [idleClosed, talkingClosed] = await Promise.all([
        idle.client.waitFor('prx.voice.session.closed'),
        talking.client.waitFor('prx.voice.session.closed'),
      ]);
      expect(idleClosed.data).toMatchObject(SHUTDOWN);
      expect(talkingClosed.data).toMatchObject(SHUTDOWN);
      // Both waited for the drain timeout before being ended.
      expect(Date.parse(idleClosed.time)).toBeGreaterThanOrEqual(
        signalledAt + SHUTDOWN_TIMEOUT_MS - 50,
      );
      expect(talking.client.audioBytes).toBeGreaterThan(audioBefore); // it kept playing meanwhile
      expect(await idle.client.closed).toEqual({ code: 1000, reason: 'session ended' });
      expect(await talking.client.closed).toEqual({ code: 1000, reason: 'session ended' });

      const exit = await server.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalledAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS + EXIT_SLACK_MS);
      expect(server.out.at(-1)).toBe(
        'stopped: 0 sessions ended on their own, 2 ended with reason shutdown',
      );
      // The listener is gone with the process.
      await expect(fetch(`${server.url}/health/live`)).rejects.toThrow();
    } finally {
      clearInterval(streaming);
    }

    // Restarted on the same data directory: both sessions are closed for the shutdown, and
    // their durable logs end with the closed event.
    const again = await start();
    for (const { id } of [idle, talking]) {
      const row = await api(again, 'GET', `/sessions/${id}`);
      expect(row.json.data).toMatchObject({ state: 'Closed', outcome: 'shutdown' });
      const log = await loggedEvents(again, KEY, id);
      expect(log.at(-1)).toMatchObject({ type: 'prx.voice.session.closed', data: SHUTDOWN });
    }
    // The answer that was playing is recorded as cut short: only what was heard.
    const turns = await api(again, 'GET', `/sessions/${talking.id}/turns`);
    const [turn] = turns.json.data?.items as {
      status: string;
      assistant_text: string;
      assistant_text_generated: string;
    }[];
    expect(turn?.status).toBe('cancelled');
    expect(turn?.assistant_text_generated.startsWith(turn.assistant_text)).toBe(true);
    expect(turn?.assistant_text.length).toBeLessThan(turn?.assistant_text_generated.length ?? 0);

    // SIGINT does the same; this time the session is the restarted server's own.
    const last = await liveSession(again);
    again.child.kill('SIGINT');
    await again.line(/^SIGINT: draining/);
    expect((await last.client.waitFor('prx.voice.session.closed')).data).toMatchObject(SHUTDOWN);
    expect((await last.client.closed).code).toBe(1000);
    expect(await again.exited).toEqual({ code: 0, signal: null });
    expect(again.out.at(-1)).toBe(
      'stopped: 0 sessions ended on their own, 1 ended with reason shutdown',
    );
  }, 180_000);
});
