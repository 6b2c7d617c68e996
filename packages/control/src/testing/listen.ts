/**
 * A composed control plane served over real sockets on a loopback port — HTTP
 * through its app, WebSocket upgrades through its socket router — and a
 * WebSocket client that collects the session's CloudEvents, for tests that
 * meet a feature where a user would. Time stays the harness's simulated clock.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import type { VoiceControl } from '../voice-control.js';

/** A served control plane. */
export interface ListeningVoice {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `voice` on an ephemeral loopback port. */
export async function listenVoice(voice: VoiceControl): Promise<ListeningVoice> {
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const r = await voice.control.app.request(req.url ?? '/', {
        method: req.method ?? 'GET',
        headers,
        ...(body.length === 0 ? {} : { body }),
      });
      res.writeHead(r.status, Object.fromEntries(r.headers));
      res.end(Buffer.from(await r.arrayBuffer()));
    })();
  });
  server.on('upgrade', voice.control.upgrade);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A CloudEvent as a test reads it. */
export interface WireEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/** A session WebSocket client. */
export interface SessionClient {
  readonly ws: WebSocket;
  /** Every event received so far, in order. */
  readonly events: WireEvent[];
  /** The data of the events of a type so far. */
  data(type: string): Record<string, unknown>[];
  /** Sends a JSON text frame. */
  send(frame: unknown): void;
  /** Resolves when the socket has closed. */
  readonly closed: Promise<number>;
}

/** Opens a session's WebSocket (`ws_url` of the session, with `?token=`). */
export async function openSession(wsUrl: string, token: string): Promise<SessionClient> {
  const ws = new WebSocket(`${wsUrl}?token=${encodeURIComponent(token)}`);
  const events: WireEvent[] = [];
  ws.on('message', (d: Buffer, binary: boolean) => {
    if (!binary) events.push(JSON.parse(d.toString('utf8')) as WireEvent);
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    events,
    data: (type) => events.filter((e) => e.type === type).map((e) => e.data),
    send: (frame) => ws.send(JSON.stringify(frame)),
    closed,
  };
}
