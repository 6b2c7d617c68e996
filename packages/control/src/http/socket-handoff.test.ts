import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createRouteRegistry } from './openapi.js';
import { HANDED_OFF_HEADER, createSocketRouter } from './socket-routes.js';
import type { SocketHandoff } from './socket-routes.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

/** A server whose one socket route `/api/v1/ws/{id}` names `holder` as its session's holder. */
async function serve(opts: {
  readonly holder: (id: string) => Promise<string | undefined>;
  readonly handoff?: SocketHandoff;
}): Promise<{ url: string; connected: string[] }> {
  const connected: string[] = [];
  const router = createSocketRouter({
    registry: createRouteRegistry(),
    maxPayload: 1024,
    ...(opts.handoff === undefined ? {} : { handoff: opts.handoff }),
  });
  router.add({
    path: '/ws/{id}',
    summary: 'test',
    auth: 'none',
    connect: (ws, request) => {
      connected.push(request.params['id'] ?? '');
      ws.send('here');
    },
    holder: (request) => opts.holder(request.params['id'] ?? ''),
  });
  const server = createServer();
  server.on('upgrade', (req, socket, head: Buffer) => router.upgrade(req, socket, head));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, connected };
}

/** The first message of a WebSocket to `url`, or its close code when it closes first. */
function firstMessage(url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('message', (data: Buffer) => {
      resolve(data.toString('utf8'));
      ws.close();
    });
    ws.once('close', (code) => resolve(`closed ${String(code)}`));
    ws.once('error', reject);
  });
}

describe('socket handoff', () => {
  it('hands a connection for a sibling’s session over, with its request as received and marked', async () => {
    const handed: { to: string; raw: string }[] = [];
    const handoff: SocketHandoff = {
      instanceId: 'w0',
      handOff(to: string, raw: Buffer, socket: Duplex) {
        handed.push({ to, raw: raw.toString('latin1') });
        // The test's stand-in for the sibling: refuse the upgrade so the client sees an end.
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
        return true;
      },
    };
    const { url, connected } = await serve({
      holder: (id) => Promise.resolve(id === 'mine' ? 'w0' : id === 'theirs' ? 'w1' : undefined),
      handoff,
    });
    // Held here, or held by nobody known: served here.
    expect(await firstMessage(`${url}/api/v1/ws/mine`)).toBe('here');
    expect(await firstMessage(`${url}/api/v1/ws/unknown`)).toBe('here');
    // Held by a sibling: handed over before any answer.
    await expect(firstMessage(`${url}/api/v1/ws/theirs?token=t`)).rejects.toThrow(/503/);
    expect(connected).toEqual(['mine', 'unknown']);
    expect(handed).toHaveLength(1);
    expect(handed[0]?.to).toBe('w1');
    const raw = handed[0]?.raw ?? '';
    expect(raw.startsWith('GET /api/v1/ws/theirs?token=t HTTP/1.1\r\n')).toBe(true);
    expect(raw).toMatch(/\r\nSec-WebSocket-Key: [^\r]+\r\n/i);
    expect(raw.endsWith(`${HANDED_OFF_HEADER}: w0\r\n\r\n`)).toBe(true);
  });

  it('serves a handed-off request where it arrives, and a connection whose holder cannot be read', async () => {
    const handed: string[] = [];
    const handoff: SocketHandoff = {
      instanceId: 'w1',
      handOff(to: string) {
        handed.push(to);
        return true;
      },
    };
    const { url } = await serve({
      holder: (id) =>
        id === 'broken' ? Promise.reject(new Error('db down')) : Promise.resolve('w0'),
      handoff,
    });
    expect(await firstMessage(`${url}/api/v1/ws/s1`, { [HANDED_OFF_HEADER]: 'w0' })).toBe('here');
    expect(await firstMessage(`${url}/api/v1/ws/broken`)).toBe('here');
    expect(handed).toEqual([]);
  });

  it('keeps every connection without a handoff (one process), never asking for the holder', async () => {
    let asked = 0;
    const { url } = await serve({
      holder: () => {
        asked += 1;
        return Promise.resolve('elsewhere');
      },
    });
    expect(await firstMessage(`${url}/api/v1/ws/s1`)).toBe('here');
    expect(asked).toBe(0);
  });
});
