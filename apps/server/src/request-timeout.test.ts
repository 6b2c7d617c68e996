/**
 * `server.request_timeout_ms` bounds receiving a request: a client that sends its headers and
 * stalls its body is cut off, while an SSE stream and a session WebSocket opened before it
 * stay open. Real time (the Node HTTP server's own timers), about one second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer } from './server.js';
import type { RunningServer } from './server.js';

const KEY = 'pk_request_timeout_test_key_0123456789';
const dir = mkdtempSync(join(tmpdir(), 'prx-request-timeout-'));
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({
    load: {
      cwd: dir,
      env: {
        PRX_VOICE_SERVER__PORT: '0',
        PRX_VOICE_SERVER__HOST: '127.0.0.1',
        PRX_VOICE_SERVER__REQUEST_TIMEOUT_MS: '1000',
        PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
        PRX_VOICE_STORAGE__DATA_DIR: 'data',
        PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
      },
    },
    log: () => undefined,
  });
}, 60_000);

afterAll(async () => {
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('server.request_timeout_ms', () => {
  it('cuts off a client that stalls its body; SSE streams and WebSockets stay open', async () => {
    const auth = { authorization: `Bearer ${KEY}` };
    const created = await fetch(`${server.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{}',
    });
    const session = ((await created.json()) as { data: { id: string; ws_url: string } }).data;
    // An SSE stream and the session WebSocket, open before the stalling client.
    const sse = new AbortController();
    const events = await fetch(`${server.url}/api/v1/sessions/${session.id}/events`, {
      headers: auth,
      signal: sse.signal,
    });
    let sseEnded = false;
    void (async () => {
      const reader = events.body?.getReader();
      try {
        while (reader !== undefined && !(await reader.read()).done);
      } catch {
        // aborted at the end of the test
      }
      sseEnded = true;
    })();
    const ws = new WebSocket(`${session.ws_url}?token=${KEY}`);
    let wsClosed = false;
    ws.on('close', () => (wsClosed = true));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });

    // Headers, then one byte of a 100-byte body, then nothing.
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    const sentAt = Date.now();
    socket.write(
      'POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        `Authorization: Bearer ${KEY}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 100\r\n\r\n{',
    );
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const after = Date.now() - sentAt;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(after).toBeGreaterThanOrEqual(900);
    expect(after).toBeLessThan(1500);
    expect(sseEnded).toBe(false);
    expect(wsClosed).toBe(false);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
    sse.abort();
  });
});
