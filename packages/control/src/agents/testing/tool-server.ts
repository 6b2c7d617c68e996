/**
 * A local HTTP server on 127.0.0.1 (port 0) standing in for a tenant's tool endpoint in
 * HTTP tool tests: it records each request with its raw body, answers through the
 * handler the test sets, and reports when a connection closes.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server received it, and its connection. */
export interface ToolExchange {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The raw body, UTF-8. */
  readonly body: string;
  /** Resolves when the connection closes. */
  readonly closed: Promise<void>;
  /** Whether the connection closed before the response was complete. */
  readonly abandoned: () => boolean;
}

/** Answers one request; the default answers `200 {"ok":true}`. */
export type ToolServerHandler = (
  exchange: ToolExchange,
  res: ServerResponse,
  req: IncomingMessage,
) => void;

/** A running test endpoint. */
export interface ToolServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly exchanges: ToolExchange[];
  /** Replaces the handler. */
  handle(handler: ToolServerHandler): void;
  /** Resolves once the `n`-th request (1-based) has arrived. */
  request(n: number): Promise<ToolExchange>;
  close(): Promise<void>;
}

/** Answers JSON with a status. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json' }).end(text);
}

/** Starts a test endpoint. */
export async function startToolServer(): Promise<ToolServer> {
  let handler: ToolServerHandler = (_exchange, res) => {
    sendJson(res, 200, { ok: true });
  };
  const exchanges: ToolExchange[] = [];
  const waiters: { n: number; resolve: (e: ToolExchange) => void }[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const closed = new Promise<void>((resolve) => res.on('close', () => resolve()));
      const exchange: ToolExchange = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(parts).toString('utf8'),
        closed,
        abandoned: () => !res.writableFinished,
      };
      exchanges.push(exchange);
      for (const waiter of waiters.filter((w) => w.n === exchanges.length)) {
        waiter.resolve(exchange);
      }
      handler(exchange, res, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    exchanges,
    handle(next) {
      handler = next;
    },
    request(n) {
      const seen = exchanges[n - 1];
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
