/**
 * A local HTTP server on 127.0.0.1 (port 0) for provider tests: it records
 * each request (headers and JSON body), answers with what the test scripts —
 * a streamed body that then ends, breaks or hangs; an error status; or
 * nothing at all — and reports when the client closes the connection.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** A request as the server received it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or the raw text when it is not JSON. */
  readonly body: unknown;
}

/** How a streamed body finishes: cleanly, by a dropped connection, or never. */
export type StreamEnding = 'end' | 'destroy' | 'hold';

/** What the server answers to one request. */
export type TestReply =
  | {
      readonly kind: 'stream';
      readonly contentType: string;
      readonly frames: readonly string[];
      readonly then?: StreamEnding;
    }
  | {
      readonly kind: 'json';
      readonly status: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly body: unknown;
    }
  /** Accepts the request and never writes a byte. */
  | { readonly kind: 'stall' };

/** One request and its connection. */
export interface Exchange {
  readonly request: RecordedRequest;
  /** Resolves when the response's connection closes (after a clean end, or when the client goes away). */
  readonly closed: Promise<void>;
  /** Whether the connection closed before the response was complete. */
  readonly abandoned: () => boolean;
}

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly exchanges: readonly Exchange[];
  /** The next exchange not taken yet, once its request has arrived. */
  nextExchange(): Promise<Exchange>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function send(res: ServerResponse, reply: TestReply): void {
  switch (reply.kind) {
    case 'stall':
      return;
    case 'json':
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(JSON.stringify(reply.body));
      return;
    case 'stream': {
      res.writeHead(200, { 'content-type': reply.contentType, 'cache-control': 'no-cache' });
      res.flushHeaders();
      const then = reply.then ?? 'end';
      const frames = reply.frames;
      frames.forEach((frame, i) => {
        // Drop the connection once the last frame has left, so the client sees those bytes first.
        if (then === 'destroy' && i === frames.length - 1) res.write(frame, () => res.destroy());
        else res.write(frame);
      });
      if (then === 'end') res.end();
      else if (then === 'destroy' && frames.length === 0) res.destroy();
      return;
    }
  }
}

/** Starts a server that answers each request with `respond(request)`. */
export async function startTestServer(
  respond: (request: RecordedRequest) => TestReply,
): Promise<TestServer> {
  const exchanges: Exchange[] = [];
  const waiters: ((exchange: Exchange) => void)[] = [];
  let taken = 0;
  const server = createServer((req, res) => {
    void (async () => {
      const request: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: await readBody(req),
      };
      const closed = new Promise<void>((resolve) => {
        res.on('close', () => {
          resolve();
        });
      });
      const exchange: Exchange = { request, closed, abandoned: () => !res.writableFinished };
      exchanges.push(exchange);
      const waiter = waiters.shift();
      if (waiter !== undefined) {
        taken += 1;
        waiter(exchange);
      }
      send(res, respond(request));
    })();
  });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    exchanges,
    nextExchange: () => {
      const ready = exchanges[taken];
      if (ready !== undefined) {
        taken += 1;
        return Promise.resolve(ready);
      }
      return new Promise((resolve) => waiters.push(resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A protocol server's scripted answer: a turn to stream, raw frames, an error status, or a stall. */
export type ProtocolReply<Turn> =
  | {
      readonly turn: Turn;
      /** Sends only the first n frames of the turn. */
      readonly cutAfter?: number;
      readonly then?: StreamEnding;
    }
  | { readonly frames: readonly string[]; readonly then?: StreamEnding }
  | {
      readonly status: number;
      readonly headers?: Readonly<Record<string, string>>;
      /** Defaults to the protocol's documented error body for the status. */
      readonly body?: unknown;
    }
  | 'stall';

/** Turns a protocol reply into the server's answer, with the protocol's framing and error bodies. */
export function protocolReply<Turn>(
  reply: ProtocolReply<Turn>,
  protocol: {
    readonly contentType: string;
    readonly frames: (turn: Turn) => string[];
    readonly errorBody: (status: number) => unknown;
  },
): TestReply {
  if (reply === 'stall') return { kind: 'stall' };
  if ('status' in reply) {
    return {
      kind: 'json',
      status: reply.status,
      ...(reply.headers === undefined ? {} : { headers: reply.headers }),
      body: reply.body ?? protocol.errorBody(reply.status),
    };
  }
  const frames =
    'frames' in reply
      ? reply.frames
      : protocol.frames(reply.turn).slice(0, reply.cutAfter ?? Number.POSITIVE_INFINITY);
  return {
    kind: 'stream',
    contentType: protocol.contentType,
    frames,
    ...(reply.then === undefined ? {} : { then: reply.then }),
  };
}
