/**
 * A local HTTP server on 127.0.0.1 (free port) that hands each request, body
 * read, to the test, which answers it step by step through the raw response:
 * audio in chunks of any size, error statuses, a stall, a dropped connection.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inbox } from './inbox.js';

/** One request and its pending response. */
export interface HttpExchange {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly res: ServerResponse;
  /** Resolves when the connection of this exchange closed (the client may have aborted). */
  readonly closed: Promise<void>;
}

/** A running exchange server. */
export interface HttpExchangeServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly exchanges: Inbox<HttpExchange>;
  close(): Promise<void>;
}

/** Starts an exchange server. */
export async function startHttpExchangeServer(): Promise<HttpExchangeServer> {
  const exchanges = new Inbox<HttpExchange>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    const closed = new Promise<void>((resolve) => res.on('close', resolve));
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      exchanges.push({
        method: req.method ?? '',
        url: new URL(req.url ?? '/', 'http://127.0.0.1'),
        headers: req.headers,
        body: Buffer.concat(chunks),
        res,
        closed,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** PCM16 little-endian bytes of `samples`. */
export function pcmBytes(samples: Int16Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}

/** A recognizable test signal: sample i is `(i * 37) % 20000 - 10000`. */
export function rampSamples(count: number): Int16Array {
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = ((i * 37) % 20000) - 10000;
  return out;
}
