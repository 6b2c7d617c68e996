import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { registerConnection, wireSocketOf } from './wire-socket.js';

interface Pair {
  readonly server: WebSocket;
  readonly connection: Duplex;
  readonly client: WebSocket;
  readonly received: string[];
  /** Resolves once the client holds `n` messages. */
  readonly upTo: (n: number) => Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A `ws` server socket and a client over loopback, the server's connection registered as the router does. */
async function pair(): Promise<Pair> {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true });
  const accepted = new Promise<{ ws: WebSocket; connection: Duplex }>((resolve) => {
    http.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => {
        registerConnection(ws, socket);
        resolve({ ws, connection: socket });
      });
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  const client = new WebSocket(`ws://127.0.0.1:${String(port)}`);
  const received: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  client.on('message', (data: Buffer) => {
    received.push(data.toString('utf8'));
    for (const w of waiters) if (received.length >= w.n) w.resolve();
  });
  const { ws, connection } = await accepted;
  cleanups.push(async () => {
    client.terminate();
    ws.terminate();
    wss.close();
    await new Promise<void>((r) => http.close(() => r()));
  });
  return {
    server: ws,
    connection,
    client,
    received,
    upTo: (n) =>
      new Promise<void>((resolve) => {
        if (received.length >= n) resolve();
        else waiters.push({ n, resolve });
      }),
  };
}

describe('wireSocketOf', () => {
  it("holds one tick's sends in the connection's buffer and writes them together after it, in order", async () => {
    const p = await pair();
    const socket = wireSocketOf(p.server);
    // What reaches the socket's own write: one call per batch, with the chunks it carries.
    const batches: number[] = [];
    const raw = p.connection as Duplex & {
      _writev: (chunks: { chunk: unknown }[], cb: (err?: Error | null) => void) => void;
    };
    const writev = raw._writev.bind(raw);
    raw._writev = (chunks, cb) => {
      batches.push(chunks.length);
      writev(chunks, cb);
    };

    socket.send('a');
    socket.send(new Uint8Array([1, 2]));
    socket.send('c');
    // Nothing has left yet: all three wait in the corked buffer.
    expect(batches).toEqual([]);
    expect(p.connection.writableCorked).toBe(1);
    await new Promise<void>((r) => process.nextTick(r));
    expect(p.connection.writableCorked).toBe(0);
    // One system call for the tick: three messages, a header and a payload each.
    expect(batches).toEqual([6]);
    await p.upTo(3);
    expect(p.received).toEqual(['a', '\u0001\u0002', 'c']);

    // A later tick is held again, and released again.
    socket.send('d');
    expect(p.connection.writableCorked).toBe(1);
    await p.upTo(4);
    expect(p.connection.writableCorked).toBe(0);
    expect(p.received.at(-1)).toBe('d');
  });

  it('a close in the same tick as sends still delivers them, then closes', async () => {
    const p = await pair();
    const socket = wireSocketOf(p.server);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      p.client.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
    );
    socket.send('last words');
    socket.close(4000, 'x'.repeat(200));
    socket.send('after close: dropped');
    const { code, reason } = await closed;
    expect(p.received).toEqual(['last words']);
    expect(code).toBe(4000);
    expect(reason).toBe('x'.repeat(120));
  });

  it('a socket without a registered connection is written at once', () => {
    const sent: unknown[] = [];
    const fake = {
      readyState: 1,
      OPEN: 1,
      bufferedAmount: 7,
      send: (data: unknown) => sent.push(data),
      close: () => undefined,
    } as unknown as WebSocket;
    const socket = wireSocketOf(fake);
    socket.send('now');
    expect(sent).toEqual(['now']);
    expect(socket.bufferedAmount).toBe(7);
  });
});
