/**
 * The browser pages where the server composes them (`webAssetsDir`): content types,
 * the Content-Security-Policy, ETags, a plain page when they are not built, no file
 * outside the allowed names; and the session WebSocket authenticated the browser's
 * way — the key offered as a `prx-voice.auth.*` subprotocol, never echoed back.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { WS_AUTH_PROTOCOL_PREFIX, protocolToken } from '../auth/ws-protocol-token.js';
import { composeVoiceControl, shutdownOnClock } from '../testing/composed.js';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import type { VoiceControl } from '../voice-control.js';
import { WEB_CSP } from './web-routes.js';

const dir = mkdtempSync(join(tmpdir(), 'prx-web-'));
let h: ControlHarness;
let voice: VoiceControl;
let bare: VoiceControl;
let server: Server;
let base: string;
let token: string;

beforeAll(async () => {
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>playground</title>');
  writeFileSync(join(dir, 'console.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dir, 'playground.js'), 'export {};');
  writeFileSync(join(dir, 'app.css'), 'body{}');
  writeFileSync(join(dir, 'notes.txt'), 'not served');
  h = await createControlHarness();
  voice = composeVoiceControl(h, {}, { webAssetsDir: dir });
  bare = composeVoiceControl(h, {}, { webAssetsDir: join(dir, 'missing') });
  const listener = getRequestListener(voice.control.app.fetch);
  server = createServer((req, res) => void listener(req, res));
  server.on('upgrade', voice.control.upgrade);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  token = await h.key((await h.tenant()).id, 'workspace_developer');
});

afterAll(async () => {
  voice.control.closeSockets(1001, 'bye');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await bare.shutdown();
  await shutdownOnClock(h, voice);
  rmSync(dir, { recursive: true, force: true });
});

describe('the pages', () => {
  it('serves each page and asset with its content type and the security headers', async () => {
    for (const [path, type, body] of [
      ['/', 'text/html', 'playground'],
      ['/playground', 'text/html', 'playground'],
      ['/console', 'text/html', 'console'],
      ['/assets/playground.js', 'text/javascript', 'export'],
      ['/assets/app.css', 'text/css', 'body'],
    ] as const) {
      const res = await voice.control.app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain(type);
      expect(res.headers.get('content-security-policy')).toBe(WEB_CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(await res.text()).toContain(body);
    }
    expect(WEB_CSP).toContain("script-src 'self'");
    expect(WEB_CSP).not.toContain('unsafe');
  });

  it('answers a repeat with 304 when the ETag matches', async () => {
    const first = await voice.control.app.request('/assets/playground.js');
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"/);
    const again = await voice.control.app.request('/assets/playground.js', {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
  });

  it('serves only the built files of known kinds: 404 otherwise, 400 for a path', async () => {
    const missing = await voice.control.app.request('/assets/other.js');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await voice.control.app.request('/assets/notes.txt')).status).toBe(400);
    const escape = await voice.control.app.request('/assets/..%2Fpackage.json');
    expect(escape.status).toBe(400);
    expect(await escape.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  });

  it('says plainly when the pages are not built', async () => {
    const res = await bare.control.app.request('/console');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('pnpm build');
  });

  it('documents the pages in the OpenAPI document', () => {
    const paths = Object.keys((voice.control.openApi() as { paths: object }).paths);
    for (const p of ['/', '/playground', '/console', '/assets/{file}']) expect(paths).toContain(p);
  });
});

describe('the session WebSocket from a browser', () => {
  it('reads a token offered as a subprotocol, base64url-encoded', () => {
    const encoded = Buffer.from('pk_abc').toString('base64url');
    expect(protocolToken(`prx-voice, ${WS_AUTH_PROTOCOL_PREFIX}${encoded}`)).toBe('pk_abc');
    expect(protocolToken('prx-voice')).toBeUndefined();
    expect(protocolToken(`${WS_AUTH_PROTOCOL_PREFIX}***`)).toBeUndefined();
    expect(protocolToken(undefined)).toBeUndefined();
  });

  async function attach(key: string): Promise<{ protocol: string; close: number }> {
    const res = await voice.control.app.request('/api/v1/sessions', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const { data } = (await res.json()) as { data: { id: string } };
    const ws = new WebSocket(`ws://${base}/api/v1/ws/${data.id}`, [
      'prx-voice',
      `${WS_AUTH_PROTOCOL_PREFIX}${Buffer.from(key).toString('base64url')}`,
    ]);
    const protocol = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => resolve(ws.protocol));
      ws.once('error', reject);
    });
    // Attached: a ping is answered with a pong event; refused: the socket closes.
    const close = await new Promise<number>((resolve) => {
      ws.on('message', (d: Buffer) => {
        if (d.toString('utf8').includes('prx.voice.session.pong')) ws.close(1000);
      });
      ws.once('close', (code) => resolve(code));
      ws.send(JSON.stringify({ type: 'ping' }));
    });
    return { protocol, close };
  }

  it('attaches with the key as a subprotocol; the server selects prx-voice, never the key', async () => {
    const { protocol, close } = await attach(token);
    expect(protocol).toBe('prx-voice');
    expect(close).toBe(1000); // it got its pong, then the client closed
  });

  it('closes with 4401 for a wrong key offered that way', async () => {
    const { protocol, close } = await attach('pk_wrong_key_0123456789abcdefghij');
    expect(protocol).toBe('prx-voice');
    expect(close).toBe(4401);
  });
});
