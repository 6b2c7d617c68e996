/**
 * A local stand-in for Deepgram's live transcription WebSocket
 * (`/v1/listen`), on 127.0.0.1 with a free port, speaking the protocol as
 * documented: it records the upgrade (query, `Authorization`), the binary
 * audio and the JSON control messages; a test scripts the `Results` and
 * `UtteranceEnd` it sends. On `CloseStream` it answers, as Deepgram does,
 * with `Metadata` (the audio's duration) and a normal close. It can also
 * refuse the upgrade with an HTTP status or never answer it.
 */
import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import { Inbox } from './inbox.js';

/** A refused upgrade: the HTTP answer instead of 101. */
export interface UpgradeRefusal {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** How the server treats upgrades. */
export interface DeepgramListenServerOptions {
  /** `accept` (default), `stall` (never answer), or a refusal. */
  readonly upgrade?: 'accept' | 'stall' | UpgradeRefusal;
}

/** What the client sent, in order. */
export type ClientFrame =
  | { readonly kind: 'audio'; readonly bytes: Buffer }
  | { readonly kind: 'control'; readonly type: string; readonly message: unknown };

/** One accepted client connection. */
export interface ListenConnection {
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly frames: Inbox<ClientFrame>;
  /** Bytes of audio received so far. */
  audioBytes(): number;
  /** Resolves once at least `bytes` bytes of audio arrived. */
  waitForAudio(bytes: number): Promise<void>;
  /** Resolves with the first control message of `type`. */
  waitForControl(type: string): Promise<ClientFrame>;
  send(message: unknown): void;
  close(code: number, reason: string): void;
  /** Drops the TCP connection without a close frame. */
  terminate(): void;
  /** Resolves when the connection closed, with the code the server saw. */
  readonly closed: Promise<number>;
}

/** A running stand-in server. */
export interface DeepgramListenServer {
  /** `ws://127.0.0.1:<port>`, the `base_url` to give the provider. */
  readonly url: string;
  /** Every upgrade request (also refused and stalled ones). */
  readonly upgrades: Inbox<{ readonly url: URL; readonly headers: IncomingHttpHeaders }>;
  readonly connections: Inbox<ListenConnection>;
  close(): Promise<void>;
}

/** Starts a stand-in server on 127.0.0.1, port 0. */
export async function startDeepgramListenServer(
  options: DeepgramListenServerOptions = {},
): Promise<DeepgramListenServer> {
  const upgrades: DeepgramListenServer['upgrades'] = new Inbox();
  const connections = new Inbox<ListenConnection>();
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
    upgrades.push({ url, headers: req.headers });
    const mode = options.upgrade ?? 'accept';
    if (mode === 'stall') return;
    if (mode !== 'accept') {
      const body = mode.body ?? '';
      const lines = [
        `HTTP/1.1 ${mode.status} ${STATUS_CODES[mode.status] ?? 'Error'}`,
        ...Object.entries(mode.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Connection: close',
      ];
      socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      connections.push(listenConnection(ws, url, req.headers));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    upgrades,
    connections,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function listenConnection(ws: WebSocket, url: URL, headers: IncomingHttpHeaders): ListenConnection {
  const frames = new Inbox<ClientFrame>();
  const rate = Number(url.searchParams.get('sample_rate') ?? '16000');
  let audioBytes = 0;
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('message', (data: RawData, isBinary) => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    if (isBinary) {
      audioBytes += bytes.length;
      frames.push({ kind: 'audio', bytes });
      return;
    }
    const message = JSON.parse(bytes.toString('utf8')) as { type: string };
    frames.push({ kind: 'control', type: message.type, message });
    if (message.type === 'CloseStream') {
      ws.send(
        JSON.stringify({
          type: 'Metadata',
          transaction_key: 'deprecated',
          request_id: '5d1c9e4e-0000-4000-8000-000000000001',
          sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
          created: '2026-01-01T00:00:00.000Z',
          duration: audioBytes / 2 / rate,
          channels: 1,
        }),
      );
      ws.close(1000);
    }
  });
  return {
    url,
    headers,
    frames,
    audioBytes: () => audioBytes,
    waitForAudio: (bytes) => frames.until(() => audioBytes >= bytes),
    waitForControl: (type) => frames.waitFor((f) => f.kind === 'control' && f.type === type),
    send: (message) => {
      ws.send(JSON.stringify(message));
    },
    close: (code, reason) => {
      ws.close(code, reason);
    },
    terminate: () => {
      ws.terminate();
    },
    closed,
  };
}

/** Fields of a scripted `Results` message. */
export interface ResultsInit {
  readonly transcript: string;
  /** Seconds. */
  readonly start: number;
  readonly duration: number;
  readonly isFinal?: boolean;
  readonly speechFinal?: boolean;
  readonly fromFinalize?: boolean;
  readonly confidence?: number;
}

/**
 * A `Results` message as Deepgram documents it, its words spread evenly over
 * the span (the last word carries the transcript's final punctuation).
 */
export function deepgramResults(init: ResultsInit): Record<string, unknown> {
  const tokens = init.transcript.split(/\s+/).filter((t) => t !== '');
  const step = tokens.length === 0 ? 0 : init.duration / tokens.length;
  const words = tokens.map((token, i) => ({
    word: token.toLowerCase().replace(/[^\p{L}\p{N}']/gu, ''),
    start: init.start + i * step,
    end: init.start + (i + 1) * step,
    confidence: init.confidence ?? 0.9,
    punctuated_word: token,
  }));
  return {
    type: 'Results',
    channel_index: [0, 1],
    duration: init.duration,
    start: init.start,
    is_final: init.isFinal ?? false,
    speech_final: init.speechFinal ?? false,
    channel: {
      alternatives: [{ transcript: init.transcript, confidence: init.confidence ?? 0.9, words }],
    },
    metadata: {
      request_id: '5d1c9e4e-0000-4000-8000-000000000001',
      model_info: { name: '2-general-nova', version: '2024-01-09.29447', arch: 'nova-3' },
      model_uuid: '00000000-0000-4000-8000-000000000002',
    },
    ...(init.fromFinalize === undefined ? {} : { from_finalize: init.fromFinalize }),
  };
}
