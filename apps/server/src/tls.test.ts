import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer } from './server.js';
import type { RunningServer } from './server.js';

const KEY = 'pk_tls_test_bootstrap_key_0123456789abc';
const dir = mkdtempSync(join(tmpdir(), 'prx-tls-'));
let server: RunningServer;

/** An HTTPS request trusting the test's self-signed certificate. */
function https(
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        rejectUnauthorized: false,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(text) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

beforeAll(async () => {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  server = await startServer({
    load: {
      cwd: dir,
      env: {
        PRX_VOICE_SERVER__PORT: '0',
        PRX_VOICE_SERVER__HOST: '127.0.0.1',
        PRX_VOICE_SERVER__TLS__CERT_FILE: join(dir, 'cert.pem'),
        PRX_VOICE_SERVER__TLS__KEY_FILE: join(dir, 'key.pem'),
        PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
        PRX_VOICE_STORAGE__DATA_DIR: 'data',
        PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
      },
    },
    log: () => undefined,
  });
}, 120_000);
afterAll(async () => {
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('server.tls', () => {
  it('serves HTTPS, hands out wss:// session URLs and speaks the session WebSocket over TLS', async () => {
    expect(server.url.startsWith('https://127.0.0.1:')).toBe(true);
    expect((await https('GET', `${server.url}/health/live`)).status).toBe(200);
    const created = await https('POST', `${server.url}/api/v1/sessions`, { channel: 'websocket' });
    expect(created.status).toBe(201);
    const wsUrl = String((created.json['data'] as Record<string, unknown>)['ws_url']);
    expect(wsUrl.startsWith('wss://')).toBe(true);
    const ws = new WebSocket(`${wsUrl}?token=${KEY}`, { rejectUnauthorized: false });
    const firstEvent = await new Promise<{ type: string }>((resolve, reject) => {
      ws.once('message', (data: Buffer) =>
        resolve(JSON.parse(data.toString('utf8')) as { type: string }),
      );
      ws.once('error', reject);
      ws.once('open', () => ws.send(JSON.stringify({ type: 'ping', id: 'p1' })));
    });
    expect(firstEvent.type).toBe('prx.voice.session.pong');
    ws.close();
  }, 60_000);
});
