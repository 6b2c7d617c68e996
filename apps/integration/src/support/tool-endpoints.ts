/**
 * A tenant's tool endpoints for over-the-wire tests, on 127.0.0.1: an HTTP endpoint
 * that checks every request's `x-prx-signature` as the README tells a receiver to
 * (HMAC-SHA256 of `<t>.<raw body>` with the assistant's `tool_signing_secret`, the
 * timestamp within 5 minutes; 401 otherwise), and an MCP server built with
 * `@modelcontextprotocol/sdk` over streamable HTTP. Both record what they saw —
 * including requests abandoned by the caller — and can hold an answer until the test
 * releases it.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/** A signature check as a receiver does it (see README, "Assistants and tools"). */
export function signatureValid(secret: string, header: string, body: string): boolean {
  const parts = new Map<string, string[]>();
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) {
      const key = part.slice(0, eq).trim();
      parts.set(key, [...(parts.get(key) ?? []), part.slice(eq + 1).trim()]);
    }
  }
  const t = parts.get('t')?.[0];
  if (t === undefined || !/^\d+$/.test(t)) return false;
  if (Math.abs(Date.now() - Number(t) * 1000) > 300_000) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  return (parts.get('v1') ?? []).some((v) => {
    const given = Buffer.from(v);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** One request the HTTP endpoint received. */
export interface HttpToolRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly signed: boolean;
  /** Resolves with true when the caller dropped the request before the answer, false once answered. */
  readonly abandoned: Promise<boolean>;
  /** Answers it (JSON 200). */
  answer(value: unknown): void;
}

/** The HTTP tool endpoint. */
export interface HttpToolEndpoint {
  readonly url: string;
  readonly requests: HttpToolRequest[];
  /** The signing secret requests are checked with (the assistant's, once it exists). */
  secret: string;
  /** Paths whose requests are held until `answer` (the others are answered by `answers`). */
  readonly held: Set<string>;
  /** Resolves once the n-th request (1-based) has arrived. */
  request(n: number): Promise<HttpToolRequest>;
  close(): Promise<void>;
}

/** Starts the HTTP endpoint; `answers` gives the immediate answer per path. */
export async function startHttpToolEndpoint(
  answers: (path: string, args: Record<string, unknown>) => unknown,
): Promise<HttpToolEndpoint> {
  const requests: HttpToolRequest[] = [];
  const waiters: { n: number; resolve: (r: HttpToolRequest) => void }[] = [];
  const endpoint: HttpToolEndpoint = {
    url: '',
    requests,
    secret: '',
    held: new Set(),
    request: (n) =>
      requests[n - 1] !== undefined
        ? Promise.resolve(requests[n - 1] as HttpToolRequest)
        : new Promise((resolve) => waiters.push({ n, resolve })),
    close: () => close(server),
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const signed = signatureValid(
        endpoint.secret,
        String(req.headers['x-prx-signature'] ?? ''),
        body,
      );
      const abandoned = new Promise<boolean>((resolve) =>
        res.on('close', () => resolve(!res.writableFinished)),
      );
      const answer = (value: unknown): void => {
        if (!res.writableEnded) res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      const request: HttpToolRequest = {
        path,
        headers: req.headers,
        body,
        signed,
        abandoned,
        answer,
      };
      requests.push(request);
      for (const w of waiters.filter((x) => x.n === requests.length)) w.resolve(request);
      if (!signed) {
        res.writeHead(401).end('bad signature');
        return;
      }
      if (endpoint.held.has(path)) return;
      const parsed = JSON.parse(body) as { arguments?: Record<string, unknown> };
      answer(answers(path, parsed.arguments ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(endpoint, { url: `http://127.0.0.1:${port(server)}` });
}

/** What the MCP server saw. */
export interface McpSeen {
  readonly calls: string[];
  /** Tools whose call was cancelled by the client (`notifications/cancelled`). */
  readonly cancelled: string[];
}

/** The MCP server: `track_parcel` answers at once; `slow_track` waits until cancelled. */
export interface McpToolEndpoint {
  readonly url: string;
  readonly seen: McpSeen;
  /** Resolves when `slow_track` is called. */
  slowStarted(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the MCP server (a session per client, as the SDK's streamable HTTP server keeps them). */
export async function startMcpToolEndpoint(): Promise<McpToolEndpoint> {
  const seen: McpSeen = { calls: [], cancelled: [] };
  let started: (() => void) | undefined;
  const slowStarted = new Promise<void>((resolve) => (started = resolve));
  const build = (): McpServer => {
    const mcp = new McpServer({ name: 'parcels', version: '1.0.0' });
    mcp.registerTool(
      'track_parcel',
      {
        description: "Where a carrier's parcel is.",
        inputSchema: { carrier: z.string(), parcel: z.string() },
      },
      ({ carrier, parcel }) => {
        seen.calls.push('track_parcel');
        return {
          content: [{ type: 'text', text: `${carrier} parcel ${parcel} is in Oslo, due Tuesday` }],
        };
      },
    );
    mcp.registerTool('slow_track', { description: 'Tracks slowly.' }, (extra) => {
      seen.calls.push('slow_track');
      started?.();
      return new Promise((resolve) => {
        extra.signal.addEventListener('abort', () => {
          seen.cancelled.push('slow_track');
          resolve({ content: [] });
        });
      });
    });
    return mcp;
  };
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const sid = req.headers['mcp-session-id'];
    const known = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (known !== undefined) return known.handleRequest(req, res);
    if (req.method !== 'POST' || typeof sid === 'string') {
      res.writeHead(typeof sid === 'string' ? 404 : 405).end();
      return;
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, transport),
      onsessionclosed: (id) => void sessions.delete(id),
    });
    await build().connect(transport);
    await transport.handleRequest(req, res);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port(server)}/mcp`,
    seen,
    slowStarted: () => slowStarted,
    async close() {
      await Promise.all([...sessions.values()].map((t) => t.close()));
      await close(server);
    },
  };
}

function port(server: Server): number {
  return (server.address() as AddressInfo).port;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
