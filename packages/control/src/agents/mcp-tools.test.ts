import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createSystemClock } from '@prx-voice/core';
import { createToolRegistry } from '@prx-voice/session';
import type { ToolRegistration } from '@prx-voice/session';
import { VoiceError } from '@prx-voice/types';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TRUNCATION_MARKER } from './mcp-result.js';
import { connectMcpTools, createMcpToolSpecSchema } from './mcp-tools.js';
import type { McpToolSet, McpToolsContext } from './mcp-tools.js';

/** What the test server saw. */
interface Seen {
  requests: number;
  sessions: number;
  deletes: number;
  started: string[];
  cancelled: string[];
  authorizations: (string | undefined)[];
}

function mcpServer(seen: Seen): McpServer {
  const server = new McpServer({ name: 'orders', version: '1.0.0' });
  server.registerTool(
    'lookup_order',
    {
      description: 'Looks up an order by id.',
      inputSchema: { order_id: z.string().min(1) },
      outputSchema: { order_id: z.string(), status: z.string() },
    },
    ({ order_id }) => {
      const order = { order_id, status: 'shipped' };
      return { content: [{ type: 'text', text: JSON.stringify(order) }], structuredContent: order };
    },
  );
  server.registerTool(
    'echo',
    { description: 'Echoes.', inputSchema: { text: z.string() } },
    ({ text }) => ({
      content: [
        { type: 'text', text },
        { type: 'text', text: 'second' },
      ],
    }),
  );
  server.registerTool('slow', { description: 'Waits until cancelled.' }, (extra) => {
    seen.started.push('slow');
    return new Promise((resolve) => {
      extra.signal.addEventListener('abort', () => {
        seen.cancelled.push('slow');
        resolve({ content: [] });
      });
    });
  });
  server.registerTool('boom', { description: 'Fails.' }, () => ({
    isError: true,
    content: [{ type: 'text', text: 'order database is down' }],
  }));
  server.registerTool('big', { description: 'A megabyte of text.' }, () => ({
    content: [{ type: 'text', text: 'x'.repeat(1_048_576) }],
  }));
  server.registerTool(
    'fancy',
    { description: 'A union argument.', inputSchema: { id: z.union([z.string(), z.number()]) } },
    () => ({ content: [] }),
  );
  server.registerTool('secret_tool', { description: 'Not for tenants.' }, () => ({
    content: [{ type: 'text', text: 'leaked' }],
  }));
  return server;
}

interface TestServer {
  readonly url: string;
  readonly seen: Seen;
  /** Drops every session, as a restarted server would. */
  forgetSessions(): Promise<void>;
  close(): Promise<void>;
}

async function startServer(): Promise<TestServer> {
  const seen: Seen = {
    requests: 0,
    sessions: 0,
    deletes: 0,
    started: [],
    cancelled: [],
    authorizations: [],
  };
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    seen.requests += 1;
    seen.authorizations.push(req.headers.authorization);
    if (req.method === 'DELETE') seen.deletes += 1;
    if (req.headers.authorization === 'Bearer deny-value') {
      res.writeHead(401).end('bad token');
      return;
    }
    const sid = req.headers['mcp-session-id'];
    if (typeof sid === 'string') {
      const known = sessions.get(sid);
      if (known === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            jsonrpc: '2.0',
            error: { code: -32001, message: 'Session not found' },
            id: null,
          }),
        );
        return;
      }
      await known.handleRequest(req, res);
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        seen.sessions += 1;
        sessions.set(id, transport);
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
    });
    await mcpServer(seen).connect(transport);
    await transport.handleRequest(req, res);
  };
  const http: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const forgetSessions = async (): Promise<void> => {
    const open = [...sessions.values()];
    sessions.clear();
    await Promise.all(open.map((t) => t.close()));
  };
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    seen,
    forgetSessions,
    async close() {
      await forgetSessions();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

const ALLOW = ['lookup_order', 'slow', 'boom', 'big', 'echo', 'fancy', 'missing_tool'];
const parseSpec = (input: Record<string, unknown>) =>
  createMcpToolSpecSchema({ allowHttp: true }).parse({ type: 'mcp', ...input });

let server: TestServer;
const sets: McpToolSet[] = [];
const reported: { error: unknown; context: string }[] = [];
const ctx: McpToolsContext = {
  stdioServers: {},
  secret: ({ secret }) => `Bearer ${secret}-value`,
  checkUrl: () => Promise.resolve(),
  onError: (error, context) => reported.push({ error, context }),
  allowHttp: true,
};

async function connect(extra: Record<string, unknown> = {}, context = ctx): Promise<McpToolSet> {
  const set = await connectMcpTools(
    parseSpec({ server: { url: server.url }, allow: ALLOW, ...extra }),
    context,
  );
  sets.push(set);
  return set;
}

function tool(set: McpToolSet, name: string): ToolRegistration {
  const found = set.registrations.find((r) => r.name === name);
  if (found === undefined) throw new Error(`no registration ${name}`);
  return found;
}

const call = (
  set: McpToolSet,
  name: string,
  args: Record<string, unknown> = {},
  signal = new AbortController().signal,
) => tool(set, name).handler(args, { signal, callId: `call-${name}` });

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function failure(work: Promise<unknown>): Promise<VoiceError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!VoiceError.is(error)) throw new Error(`expected a VoiceError, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  server = await startServer();
});
afterEach(async () => {
  await Promise.all(sets.splice(0).map((s) => s.close()));
  reported.length = 0;
});
afterAll(async () => {
  await server.close();
});

describe('connectMcpTools over streamable HTTP', () => {
  it('offers only the allowed tools the server lists, and reports the rest', async () => {
    const set = await connect();
    expect(set.registrations.map((r) => r.name)).toEqual([
      'lookup_order',
      'slow',
      'boom',
      'big',
      'echo',
    ]);
    expect(set.skipped.map((s) => [s.name, s.reason])).toEqual([
      ['fancy', 'unsupported_schema'],
      ['missing_tool', 'not_listed'],
    ]);
    expect(reported.map((r) => (r.error as VoiceError).details.tool)).toEqual([
      'fancy',
      'missing_tool',
    ]);
    const lookup = tool(set, 'lookup_order');
    expect(lookup.description).toBe('Looks up an order by id.');
    expect(lookup.parameters).toMatchObject({
      type: 'object',
      properties: { order_id: { type: 'string', minLength: 1 } },
      required: ['order_id'],
    });
    expect(lookup.timeoutMs).toBe(10_000);
    expect(lookup.continueOnInterrupt).toBe(false);
  });

  it('returns structured content, joined text, and truncates big output with a marker', async () => {
    const set = await connect({ max_output_chars: 500 });
    await expect(call(set, 'lookup_order', { order_id: 'A-1' })).resolves.toEqual({
      order_id: 'A-1',
      status: 'shipped',
    });
    await expect(call(set, 'echo', { text: 'hi' })).resolves.toBe('hi\nsecond');
    const big = await call(set, 'big');
    expect(typeof big).toBe('string');
    expect((big as string).length).toBeLessThanOrEqual(500);
    expect(big as string).toContain(`${TRUNCATION_MARKER} 1048576 characters in all]`);
    expect((big as string).startsWith('xxxx')).toBe(true);
  });

  it('turns isError into TOOL_FAILED with the tool text', async () => {
    const set = await connect();
    const error = await failure(call(set, 'boom'));
    expect(error.code).toBe('TOOL_FAILED');
    expect(error.message).toBe('order database is down');
  });

  it('ends an aborted call promptly and the server sees the cancellation', async () => {
    const set = await connect();
    const controller = new AbortController();
    const pending = call(set, 'slow', {}, controller.signal);
    await until(() => server.seen.started.length > 0);
    const started = Date.now();
    controller.abort(new VoiceError('INTERNAL', { message: 'barge-in' }));
    const error = await failure(pending);
    expect(error.message).toBe('barge-in');
    expect(Date.now() - started).toBeLessThan(1_000);
    await until(() => server.seen.cancelled.length > 0);
    server.seen.started.length = 0;
    server.seen.cancelled.length = 0;
  });

  it('times a call out with TOOL_TIMEOUT and cancels it on the server', async () => {
    const set = await connect({ timeout_ms: 200 });
    const error = await failure(call(set, 'slow'));
    expect(error.code).toBe('TOOL_TIMEOUT');
    await until(() => server.seen.cancelled.length > 0);
    server.seen.started.length = 0;
    server.seen.cancelled.length = 0;
  });

  it('runs through the session tool registry', async () => {
    const set = await connect({ timeout_ms: 300 });
    const registry = createToolRegistry();
    for (const registration of set.registrations) registry.register(registration);
    expect(registry.has('secret_tool')).toBe(false);
    const results = await registry.runToolCalls({
      calls: [
        { id: 'c1', name: 'lookup_order', arguments: { order_id: 'B-2' } },
        { id: 'c2', name: 'boom', arguments: {} },
        { id: 'c3', name: 'slow', arguments: {} },
        { id: 'c4', name: 'secret_tool', arguments: {} },
        { id: 'c5', name: 'lookup_order', arguments: {} },
      ],
      clock: createSystemClock(),
      signal: new AbortController().signal,
      defaultTimeoutMs: 5_000,
    });
    const [order, boom, slow, secret, noArgs] = results;
    expect(order).toMatchObject({ ok: true, result: { order_id: 'B-2', status: 'shipped' } });
    expect(boom).toMatchObject({
      ok: false,
      error: { code: 'TOOL_FAILED', message: 'order database is down' },
    });
    expect(slow).toMatchObject({ ok: false, error: { code: 'TOOL_TIMEOUT' } });
    expect(secret).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', details: { reason: 'unknown_tool' } },
    });
    expect(noArgs).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', details: { reason: 'invalid_arguments' } },
    });
    await until(() => server.seen.cancelled.length > 0);
    server.seen.started.length = 0;
    server.seen.cancelled.length = 0;
  });

  it('sends headers, reading secrets', async () => {
    server.seen.authorizations.length = 0;
    const set = await connect({
      server: { url: server.url, headers: { authorization: { secret: 'tok' } } },
    });
    await call(set, 'echo', { text: 'x' });
    expect(new Set(server.seen.authorizations)).toEqual(new Set(['Bearer tok-value']));
  });

  it('maps a refused credential to PROVIDER_AUTH_FAILED', async () => {
    const error = await failure(
      connect({ server: { url: server.url, headers: { authorization: { secret: 'deny' } } } }),
    );
    expect(error.code).toBe('PROVIDER_AUTH_FAILED');
  });

  it('opens a new session once when the server forgot the old one', async () => {
    const set = await connect();
    const before = server.seen.sessions;
    await server.forgetSessions();
    await expect(call(set, 'echo', { text: 'again' })).resolves.toBe('again\nsecond');
    expect(server.seen.sessions).toBe(before + 1);
  });

  it('ends the session on close; later calls fail', async () => {
    const set = await connect();
    const deletes = server.seen.deletes;
    await set.close();
    expect(server.seen.deletes).toBe(deletes + 1);
    const error = await failure(call(set, 'echo', { text: 'late' }));
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
  });

  it('fails with the SSRF check error before any request', async () => {
    const requests = server.seen.requests;
    const blocked = new VoiceError('VALIDATION_FAILED', { message: 'host not allowed' });
    const error = await failure(connect({}, { ...ctx, checkUrl: () => Promise.reject(blocked) }));
    expect(error).toBe(blocked);
    expect(server.seen.requests).toBe(requests);
  });

  it('refuses http URLs unless allowed, and an unreachable server is PROVIDER_UNAVAILABLE', async () => {
    const refused = await failure(connect({}, { ...ctx, allowHttp: false }));
    expect(refused.code).toBe('VALIDATION_FAILED');
    const dead = await startServer();
    await dead.close();
    const error = await failure(
      connectMcpTools(parseSpec({ server: { url: dead.url }, allow: ['echo'] }), ctx),
    );
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
  });
});
