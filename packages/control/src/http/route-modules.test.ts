import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { silentLogger } from '@prx-voice/core';
import type { LogFn } from '@prx-voice/core';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import type { ControlApp } from '../app.js';
import { ok } from './envelope.js';
import type { RouteModule } from './route-module.js';
import { compileSocketPath } from './socket-routes.js';

type Doc = {
  paths: Record<string, Record<string, Record<string, unknown>>>;
};

/** A module with an HTTP route, a root-level webhook and two WebSocket routes. */
const echo: RouteModule = {
  name: 'echo',
  mount({ route, socket }) {
    route({
      method: 'get',
      path: '/echo/{word}',
      summary: 'Echoes a word.',
      auth: 'none',
      params: z.object({ word: z.string() }),
      handler: (c, { params }) => ok(c, { word: params.word }),
    });
    route({
      method: 'post',
      path: '/hooks/echo',
      at: 'root',
      auth: 'none',
      summary: 'A webhook at the root.',
      contentType: 'text/plain',
      handler: async (c) => c.text(`got ${await c.req.text()}`),
    });
    socket({
      path: '/echo-ws/{room}',
      summary: 'Echoes frames.',
      auth: 'query',
      connect: (ws, req) => {
        ws.send(`room ${req.params['room'] ?? ''} ${req.url.searchParams.get('token') ?? ''}`);
        ws.on('message', (data: Buffer) => ws.send(data.toString('utf8')));
      },
    });
    socket({
      path: '/root-ws',
      at: 'root',
      summary: 'A socket at the root.',
      auth: 'none',
      connect: () => {
        throw new Error('refused by the handler');
      },
    });
  },
};

let h: ControlHarness;
let control: ControlApp;
let base: string;
const server = createServer();
const errors: string[] = [];

beforeAll(async () => {
  h = await createControlHarness();
  control = h.build({
    deps: {
      log: {
        ...silentLogger,
        error: ((f: Record<string, unknown>, m?: string) => {
          errors.push(`${m ?? ''} ${String(f['error'])}`);
        }) as LogFn,
      },
    },
  });
  control.mount(echo);
  server.on('request', (req, res) => {
    void (async () => {
      const body =
        req.method === 'POST'
          ? await new Promise<string>((resolve) => {
              let text = '';
              req.on('data', (d: Buffer) => (text += d.toString('utf8')));
              req.on('end', () => resolve(text));
            })
          : undefined;
      const r = await control.app.request(req.url ?? '/', {
        method: req.method ?? 'GET',
        ...(body === undefined ? {} : { body }),
      });
      res.writeHead(r.status, Object.fromEntries(r.headers));
      res.end(await r.text());
    })();
  });
  server.on('upgrade', control.upgrade);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});

afterAll(async () => {
  control.closeSockets(1001, 'bye');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.close();
});

function open(path: string): Promise<{ ws: WebSocket; first: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${base}${path}`);
    ws.once('message', (d: Buffer) => resolve({ ws, first: d.toString('utf8') }));
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`HTTP ${String(res.statusCode)}`)),
    );
    ws.once('error', reject);
  });
}

describe('route modules', () => {
  it('mounts HTTP routes below the base path and root routes at the root', async () => {
    const res = await fetch(`http://${base}/api/v1/echo/hi`);
    expect(await res.json()).toMatchObject({ data: { word: 'hi' } });
    const hook = await fetch(`http://${base}/hooks/echo`, { method: 'POST', body: 'x=1' });
    expect(await hook.text()).toBe('got x=1');
    expect((await fetch(`http://${base}/api/v1/hooks/echo`, { method: 'POST' })).status).toBe(404);
  });

  it('upgrades a WebSocket route by the same table, with its decoded path parameters', async () => {
    const { ws, first } = await open('/api/v1/echo-ws/a%20b?token=t1');
    expect(first).toBe('room a b t1');
    const echoed = new Promise<string>((resolve) =>
      ws.once('message', (d: Buffer) => resolve(d.toString('utf8'))),
    );
    ws.send('ping');
    expect(await echoed).toBe('ping');
    ws.close();
  });

  it('answers 404 to an upgrade no route matches, and closes 1011 when a handler throws', async () => {
    await expect(open('/api/v1/nope/x')).rejects.toThrow('HTTP 404');
    await expect(open('/api/v1/echo-ws/a/b')).rejects.toThrow('HTTP 404');
    const code = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://${base}/root-ws`);
      ws.once('close', (c) => resolve(c));
    });
    expect(code).toBe(1011);
    expect(errors).toContain('websocket route refused by the handler');
  });

  it('documents every route: WebSocket routes answer 101, root routes name their own server', () => {
    const doc = control.openApi() as Doc;
    const ws = doc.paths['/echo-ws/{room}']?.['get'];
    expect(ws?.['responses']).toHaveProperty('101');
    expect(ws?.['x-upgrade']).toBe('websocket');
    expect(ws?.['x-query-token']).toBe(true);
    expect(doc.paths['/hooks/echo']?.['post']?.['servers']).toEqual([{ url: '/' }]);
    expect(doc.paths['/health/live']?.['get']?.['x-also-at']).toBe('/health/live');
    // The table's own modules: meta, tenants, API keys, usage.
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/health/ready', '/metrics', '/openapi.json', '/tenants', '/usage']),
    );
  });
});

describe('compileSocketPath', () => {
  it('matches the whole path, a trailing slash allowed, and escapes literal characters', () => {
    const { pattern, names } = compileSocketPath('/api/v1/ws.x/{id}');
    expect(names).toEqual(['id']);
    expect(pattern.exec('/api/v1/ws.x/abc/')?.[1]).toBe('abc');
    expect(pattern.test('/api/v1/wsxx/abc')).toBe(false);
    expect(pattern.test('/api/v1/ws.x/abc/more')).toBe(false);
  });
});
