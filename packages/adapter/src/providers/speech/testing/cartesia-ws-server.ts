/**
 * A local stand-in for Cartesia's TTS WebSocket (`/tts/websocket`), on
 * 127.0.0.1 with a free port. It checks the handshake as Cartesia does (a
 * missing or wrong key → 401 with a JSON error body; no `Cartesia-Version`
 * → 400), records every client message parsed, and lets a test answer per
 * context: audio chunks, timestamps, `done`, `error`, or silence. It can
 * also refuse the handshake with any status, never answer it, or drop the
 * connection.
 */
import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import { Inbox } from './inbox.js';

/** A refused handshake: the HTTP answer instead of 101. */
export interface HandshakeRefusal {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** How the server treats handshakes. */
export interface CartesiaWsServerOptions {
  /** The key it accepts as `Authorization: Bearer <key>`. */
  readonly apiKey: string;
  /** `accept` (default, after checking key and version), `stall` (never answer), or a refusal. */
  readonly handshake?: 'accept' | 'stall' | HandshakeRefusal;
}

/** A client message as JSON (a generation request or a cancel). */
export type CartesiaClientMessage = Readonly<Record<string, unknown>>;

/** Word timings to send, seconds. */
export interface WordTimings {
  readonly words: readonly string[];
  readonly start: readonly number[];
  readonly end: readonly number[];
}

/** Fields of a scripted `error` message. */
export interface ErrorInit {
  readonly statusCode: number;
  readonly errorCode?: string;
  readonly title: string;
  readonly message: string;
}

/** One accepted client connection. */
export interface CartesiaConnection {
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  /** Every text message the client sent, parsed, in order. */
  readonly messages: Inbox<CartesiaClientMessage>;
  /** Resolves with the first message of `contextId` whose `continue` is false: its last input. */
  waitForLastInput(contextId: string): Promise<CartesiaClientMessage>;
  /** Resolves with the `cancel` of `contextId`. */
  waitForCancel(contextId: string): Promise<CartesiaClientMessage>;
  /** The transcripts of `contextId`'s inputs so far, joined. */
  transcript(contextId: string): string;
  /** Sends PCM16 samples as one `chunk` (base64). */
  sendChunk(contextId: string, samples: Int16Array): void;
  sendTimestamps(contextId: string, words: WordTimings): void;
  sendDone(contextId: string): void;
  sendError(contextId: string | undefined, init: ErrorInit): void;
  /** Sends any JSON (or a raw string as is). */
  send(message: unknown): void;
  close(code: number, reason: string): void;
  /** Drops the TCP connection without a close frame. */
  terminate(): void;
  /** Resolves when the connection closed, with the code the server saw. */
  readonly closed: Promise<number>;
}

/** A running stand-in server. */
export interface CartesiaWsServer {
  /** `ws://127.0.0.1:<port>`, the `base_url` to give the provider. */
  readonly url: string;
  /** Every handshake request (also refused and stalled ones). */
  readonly handshakes: Inbox<{ readonly url: URL; readonly headers: IncomingHttpHeaders }>;
  readonly connections: Inbox<CartesiaConnection>;
  close(): Promise<void>;
}

const REQUEST_ID = '7b0e6a8e-0000-4000-8000-000000000001';

/** Starts a stand-in server on 127.0.0.1, port 0. */
export async function startCartesiaWsServer(
  options: CartesiaWsServerOptions,
): Promise<CartesiaWsServer> {
  const handshakes: CartesiaWsServer['handshakes'] = new Inbox();
  const connections = new Inbox<CartesiaConnection>();
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer((_req, res) => {
    res.writeHead(426).end();
  });
  // Upgraded and stalled sockets leave the server's bookkeeping; close() destroys them too.
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    handshakes.push({ url, headers: req.headers });
    const mode = options.handshake ?? 'accept';
    if (mode === 'stall') return;
    const refusal = mode === 'accept' ? checkHandshake(url, req.headers, options.apiKey) : mode;
    if (refusal !== undefined) {
      refuse(socket, refusal);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      connections.push(cartesiaConnection(ws, url, req.headers));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    handshakes,
    connections,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Cartesia's checks: the path, the key, the version. */
function checkHandshake(
  url: URL,
  headers: IncomingHttpHeaders,
  apiKey: string,
): HandshakeRefusal | undefined {
  if (url.pathname !== '/tts/websocket') return jsonRefusal(404, 'not_found', 'Not found');
  if (headers.authorization !== `Bearer ${apiKey}`) {
    return jsonRefusal(401, 'invalid_api_key', 'Invalid API key');
  }
  if (headers['cartesia-version'] === undefined) {
    return jsonRefusal(400, 'missing_version', 'Cartesia-Version header is required');
  }
  return undefined;
}

function jsonRefusal(status: number, code: string, message: string): HandshakeRefusal {
  return {
    status,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      error_code: code,
      title: STATUS_CODES[status],
      message,
      request_id: REQUEST_ID,
    }),
  };
}

function refuse(socket: Duplex, refusal: HandshakeRefusal): void {
  const body = refusal.body ?? '';
  const lines = [
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? 'Error'}`,
    ...Object.entries(refusal.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function cartesiaConnection(
  ws: WebSocket,
  url: URL,
  headers: IncomingHttpHeaders,
): CartesiaConnection {
  const messages = new Inbox<CartesiaClientMessage>();
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('message', (data: RawData) => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    messages.push(JSON.parse(bytes.toString('utf8')) as CartesiaClientMessage);
  });
  const send = (message: unknown): void => {
    ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  };
  const ofContext = (contextId: string) => (m: CartesiaClientMessage) =>
    m['context_id'] === contextId;
  return {
    url,
    headers,
    messages,
    waitForLastInput: (contextId) =>
      messages.waitFor(
        (m) => ofContext(contextId)(m) && 'transcript' in m && m['continue'] === false,
      ),
    waitForCancel: (contextId) =>
      messages.waitFor((m) => ofContext(contextId)(m) && m['cancel'] === true),
    transcript: (contextId) =>
      messages.all
        .filter(ofContext(contextId))
        .map((m) => (typeof m['transcript'] === 'string' ? m['transcript'] : ''))
        .join(''),
    sendChunk: (contextId, samples) => {
      const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
      send({
        type: 'chunk',
        data: data.toString('base64'),
        done: false,
        status_code: 206,
        step_time: 12.5,
        context_id: contextId,
      });
    },
    sendTimestamps: (contextId, words) => {
      send({
        type: 'timestamps',
        done: false,
        status_code: 206,
        context_id: contextId,
        word_timestamps: words,
      });
    },
    sendDone: (contextId) => {
      send({ type: 'done', done: true, status_code: 206, context_id: contextId });
    },
    sendError: (contextId, init) => {
      send({
        type: 'error',
        done: true,
        status_code: init.statusCode,
        error_code: init.errorCode ?? null,
        title: init.title,
        message: init.message,
        request_id: `${REQUEST_ID}:${contextId ?? ''}`,
        ...(contextId === undefined ? {} : { context_id: contextId }),
      });
    },
    send,
    close: (code, reason) => {
      ws.close(code, reason);
    },
    terminate: () => {
      ws.terminate();
    },
    closed,
  };
}
