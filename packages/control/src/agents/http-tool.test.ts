import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSystemClock } from '@prx-voice/core';
import { createToolRegistry, runToolCalls } from '@prx-voice/session';
import type { ToolRegistration } from '@prx-voice/session';
import { VoiceError } from '@prx-voice/types';
import {
  httpTool,
  httpToolSpecSchema,
  TOOL_SIGNATURE_HEADER,
  verifyToolSignature,
} from './http-tool.js';
import type { HttpToolContext } from './http-tool.js';
import { sendJson, startToolServer } from './testing/tool-server.js';
import type { ToolServer } from './testing/tool-server.js';

const SECRET = 'whsec_test_signing_key';
const NOW = 1_750_000_000_000;
let server: ToolServer;

beforeAll(async () => {
  server = await startToolServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.exchanges.length = 0;
  server.handle((_e, res) => {
    sendJson(res, 200, { ok: true });
  });
});

function context(overrides: Partial<HttpToolContext> = {}): HttpToolContext {
  return {
    tenantId: 'ten_1',
    sessionId: 'ses_1',
    turnId: () => 'turn_1',
    signingSecret: () => SECRET,
    secret: () => 'unused',
    allowPrivate: ['127.0.0.1'],
    now: () => NOW,
    ...overrides,
  };
}

function tool(
  http: Record<string, unknown> = {},
  ctx: Partial<HttpToolContext> = {},
): ToolRegistration {
  const spec = httpToolSpecSchema.parse({
    type: 'http',
    name: 'get_weather',
    description: 'Current weather for a city.',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string' },
        days: { type: 'integer' },
        tags: { type: 'array', items: { type: 'string' } },
      },
      required: ['city'],
    },
    http: { url: `${server.url}/weather?units=metric`, ...http },
  });
  return httpTool(spec, context(ctx));
}

function call(
  t: ToolRegistration,
  args: Record<string, unknown>,
  signal = new AbortController().signal,
) {
  return t.handler(args, { signal, callId: 'call_1' });
}

async function failure(promise: Promise<unknown>): Promise<VoiceError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!VoiceError.is(error)) throw new Error(`expected a VoiceError, got ${String(error)}`);
  return error;
}

describe('httpTool request', () => {
  it('POSTs the signed JSON body with the ids as headers and returns the JSON answer', async () => {
    server.handle((_e, res) => {
      sendJson(res, 200, { temperature: 21, sky: 'clear' });
    });
    const result = await call(tool(), { city: 'Oslo' });
    expect(result).toEqual({ temperature: 21, sky: 'clear' });

    const [seen] = server.exchanges;
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe('/weather?units=metric');
    expect(JSON.parse(seen?.body ?? '')).toEqual({
      tool: 'get_weather',
      arguments: { city: 'Oslo' },
      session_id: 'ses_1',
      turn_id: 'turn_1',
      call_id: 'call_1',
      tenant_id: 'ten_1',
    });
    expect(seen?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'prx-voice-tools/1',
      'x-prx-session-id': 'ses_1',
      'x-prx-turn-id': 'turn_1',
      'x-prx-call-id': 'call_1',
      'x-prx-tenant-id': 'ten_1',
    });
    const signature = String(seen?.headers[TOOL_SIGNATURE_HEADER]);
    const body = seen?.body ?? '';
    expect(signature).toMatch(/^t=1750000000,v1=[0-9a-f]{64}$/);
    expect(verifyToolSignature(SECRET, signature, body, NOW)).toBe(true);
    expect(verifyToolSignature(SECRET, signature, body, NOW + 60_000)).toBe(true);
    expect(verifyToolSignature('another secret', signature, body, NOW)).toBe(false);
    expect(verifyToolSignature(SECRET, signature, body.replace('Oslo', 'Rome'), NOW)).toBe(false);
    expect(verifyToolSignature(SECRET, signature, body, NOW + 10 * 60_000)).toBe(false);
    expect(verifyToolSignature(SECRET, signature, body, NOW + 10 * 60_000, 15 * 60_000)).toBe(true);
    expect(verifyToolSignature(SECRET, 'v1=abc', body, NOW)).toBe(false);
  });

  it('puts GET arguments in the query and signs the empty body', async () => {
    await call(tool({ method: 'GET' }, { turnId: () => undefined }), {
      city: 'São Paulo',
      days: 3,
      tags: ['a', 'b'],
    });
    const [seen] = server.exchanges;
    expect(seen?.method).toBe('GET');
    const url = new URL(seen?.url ?? '', server.url);
    expect(url.searchParams.get('units')).toBe('metric');
    expect(url.searchParams.get('city')).toBe('São Paulo');
    expect(url.searchParams.get('days')).toBe('3');
    expect(url.searchParams.getAll('tags')).toEqual(['a', 'b']);
    expect(seen?.body).toBe('');
    expect(seen?.headers['x-prx-turn-id']).toBeUndefined();
    expect(seen?.headers['content-type']).toBeUndefined();
    expect(verifyToolSignature(SECRET, String(seen?.headers[TOOL_SIGNATURE_HEADER]), '', NOW)).toBe(
      true,
    );
  });
});

describe('httpTool response', () => {
  it('refuses a 10 MB answer without reading it all', async () => {
    const total = 10 * 1024 * 1024;
    let written = 0;
    server.handle((_e, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (written < total && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
    const error = await failure(call(tool(), { city: 'Oslo' }));
    expect(error.code).toBe('TOOL_FAILED');
    expect(error.message).toContain(`response larger than ${64 * 1024} bytes`);
    const seen = await server.request(1);
    await seen.closed;
    expect(seen.abandoned()).toBe(true);
    expect(written).toBeLessThan(total);
  });

  it('refuses a declared content-length over the cap before reading', async () => {
    server.handle((_e, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2048' });
      res.write('{"pad":"');
    });
    const error = await failure(call(tool({}, { maxResponseBytes: 1024 }), { city: 'Oslo' }));
    expect(error.details).toMatchObject({ reason: 'response_too_large', status: 200 });
  });

  it('refuses a non-JSON answer, naming its content type', async () => {
    server.handle((_e, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hi</html>');
    });
    const error = await failure(call(tool(), { city: 'Oslo' }));
    expect(error.code).toBe('TOOL_FAILED');
    expect(error.message).toContain('text/html');
  });

  it('accepts JSON sent with another content type, and an empty 204 as null', async () => {
    server.handle((_e, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('[1,2]');
    });
    expect(await call(tool(), { city: 'Oslo' })).toEqual([1, 2]);
    server.handle((_e, res) => {
      res.writeHead(204).end();
    });
    expect(await call(tool(), { city: 'Oslo' })).toBeNull();
  });

  it('does not retry a 404', async () => {
    server.handle((_e, res) => {
      sendJson(res, 404, { error: 'no such city' });
    });
    const error = await failure(call(tool({ retries: 2 }), { city: 'Atlantis' }));
    expect(error.code).toBe('TOOL_FAILED');
    expect(error.details).toEqual({
      tool: 'get_weather',
      url_host: '127.0.0.1',
      reason: 'client_error',
      status: 404,
    });
    expect(server.exchanges).toHaveLength(1);
  });

  it('retries a 500, then succeeds', async () => {
    server.handle((_e, res) => {
      if (server.exchanges.length === 1) sendJson(res, 500, { error: 'boom' });
      else sendJson(res, 200, { temperature: 3 });
    });
    expect(await call(tool({ retries: 1 }), { city: 'Oslo' })).toEqual({ temperature: 3 });
    expect(server.exchanges).toHaveLength(2);
    const signatures = server.exchanges.map((e) => e.headers[TOOL_SIGNATURE_HEADER]);
    expect(
      signatures.every((s) =>
        verifyToolSignature(SECRET, String(s), server.exchanges[0]?.body ?? '', NOW),
      ),
    ).toBe(true);
  });

  it('fails with the status once the retries are spent', async () => {
    server.handle((_e, res) => {
      sendJson(res, 503, {});
    });
    const error = await failure(call(tool({ retries: 1 }), { city: 'Oslo' }));
    expect(error.details).toMatchObject({ reason: 'server_error', status: 503 });
    expect(server.exchanges).toHaveLength(2);
  });

  it('retries an attempt that timed out', async () => {
    server.handle((_e, res) => {
      if (server.exchanges.length > 1) sendJson(res, 200, { late: false });
    });
    const t = tool({ retries: 1, timeout_ms: 200 });
    expect(t.timeoutMs).toBe(2 * 200 + 100);
    expect(await call(t, { city: 'Oslo' })).toEqual({ late: false });
    expect(server.exchanges[0]?.abandoned()).toBe(true);
  });

  it('reports a connection error after its retries', async () => {
    const gone = await startToolServer();
    await gone.close();
    const spec = httpToolSpecSchema.parse({
      type: 'http',
      name: 'gone',
      description: 'A closed port.',
      parameters: { type: 'object' },
      http: { url: gone.url, retries: 1 },
    });
    const error = await failure(call(httpTool(spec, context()), {}));
    expect(error.details).toMatchObject({
      reason: 'connection_failed',
      error_code: 'ECONNREFUSED',
    });
  });

  it('aborts a hanging call when the signal aborts, closing the connection', async () => {
    server.handle(() => undefined);
    const controller = new AbortController();
    const pending = failure(call(tool(), { city: 'Oslo' }, controller.signal));
    const seen = await server.request(1);
    controller.abort();
    const error = await pending;
    expect(error.details).toMatchObject({ reason: 'cancelled' });
    await seen.closed;
    expect(seen.abandoned()).toBe(true);
  });

  it('does not follow a redirect', async () => {
    server.handle((_e, res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
    });
    const error = await failure(call(tool({ retries: 2 }), { city: 'Oslo' }));
    expect(error.code).toBe('TOOL_FAILED');
    expect(error.message).toContain('redirects are not followed');
    expect(error.details).toMatchObject({ status: 302, reason: 'redirect' });
    expect(server.exchanges).toHaveLength(1);
  });
});

describe('httpTool in the session tool registry', () => {
  const clock = createSystemClock({ unref: true });

  it('runs a call and returns its result', async () => {
    server.handle((_e, res) => {
      sendJson(res, 200, { temperature: 18 });
    });
    const registry = createToolRegistry();
    registry.register(tool());
    expect(registry.definitions()[0]?.name).toBe('get_weather');
    const [result] = await runToolCalls({
      registry,
      calls: [{ id: 'call_9', name: 'get_weather', arguments: { city: 'Oslo' } }],
      clock,
      signal: new AbortController().signal,
      defaultTimeoutMs: 10_000,
    });
    expect(result).toMatchObject({
      ok: true,
      callId: 'call_9',
      name: 'get_weather',
      result: { temperature: 18 },
    });
    expect(JSON.parse(server.exchanges[0]?.body ?? '')).toMatchObject({ call_id: 'call_9' });
  });

  it('times a hanging endpoint out and closes the connection', async () => {
    server.handle(() => undefined);
    const registry = createToolRegistry();
    registry.register(tool({ timeout_ms: 200 }));
    const [result] = await registry.runToolCalls({
      calls: [{ id: 'call_10', name: 'get_weather', arguments: { city: 'Oslo' } }],
      clock,
      signal: new AbortController().signal,
      defaultTimeoutMs: 10_000,
    });
    expect(result?.ok).toBe(false);
    expect(result?.error?.code).toBe('TOOL_TIMEOUT');
    const seen = await server.request(1);
    await seen.closed;
    expect(seen.abandoned()).toBe(true);
  });

  it('reports an endpoint error as the call result', async () => {
    server.handle((_e, res) => {
      sendJson(res, 404, {});
    });
    const registry = createToolRegistry();
    registry.register(tool());
    const [result] = await registry.runToolCalls({
      calls: [{ id: 'call_11', name: 'get_weather', arguments: { city: 'Oslo' } }],
      clock,
      signal: new AbortController().signal,
      defaultTimeoutMs: 10_000,
    });
    expect(result?.error).toMatchObject({ code: 'TOOL_FAILED' });
    expect(result?.error?.message).toContain('answered 404');
  });
});
