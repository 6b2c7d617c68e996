import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { VoiceError } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { ok } from './envelope.js';
import { saneRequestId } from './request-id.js';

interface Body {
  request_id: string;
  timestamp: string;
  data: unknown;
  error: {
    code: string;
    message: string;
    retryable: boolean;
    details: Record<string, unknown>;
  } | null;
}

let h: ControlHarness;

beforeAll(async () => {
  h = await createControlHarness({ config: { limits: { max_body_bytes: 1024 } } });
  const { route, api } = h.control;
  route({
    method: 'post',
    path: '/echo/{n}',
    summary: 'Echo',
    auth: 'none',
    params: z.object({ n: z.coerce.number().int().min(1) }),
    query: z.object({ q: z.string().optional() }),
    body: z.object({ text: z.string().min(1) }),
    handler: (c, { body, params, query }) =>
      ok(c, { ...body, n: params.n, q: query.q ?? null }, 201),
  });
  api.get('/boom', () => {
    throw new Error('secret stack detail password=hunter2 jane@example.com');
  });
  api.get('/voice-boom', () => {
    throw new VoiceError('SESSION_NOT_FOUND', { details: { session_id: 'sess_x' } });
  });
  h.control.registry.setAuth('get', '/boom', 'none');
  h.control.registry.setAuth('get', '/voice-boom', 'none');
});

afterAll(async () => {
  await h.close();
});

const json = async (res: Response): Promise<Body> => (await res.json()) as Body;

describe('envelope and request ids', () => {
  it('wraps data in the envelope with the clock time and a new req_ id', async () => {
    const res = await h.request('/api/v1/echo/3?q=x', { method: 'POST', body: { text: 'hi' } });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(Object.keys(body).sort()).toEqual(['data', 'error', 'request_id', 'timestamp']);
    expect(body.request_id).toMatch(/^req_[0-7][0-9a-z]{25}$/);
    expect(res.headers.get('X-Request-Id')).toBe(body.request_id);
    expect(body.timestamp).toBe(new Date(h.clock.now()).toISOString());
    expect(body.data).toEqual({ text: 'hi', n: 3, q: 'x' });
    expect(body.error).toBeNull();
  });

  it('echoes a sane X-Request-Id and replaces an insane one', async () => {
    const echoed = await h.request('/api/v1/health/live', {
      headers: { 'X-Request-Id': 'client-abc 1' },
    });
    expect((await json(echoed)).request_id).toBe('client-abc 1');
    expect(echoed.headers.get('X-Request-Id')).toBe('client-abc 1');
    const long = await h.request('/api/v1/health/live', {
      headers: { 'X-Request-Id': 'x'.repeat(129) },
    });
    expect((await json(long)).request_id).toMatch(/^req_/);
    expect(saneRequestId('ok\u0001')).toBeUndefined();
    expect(saneRequestId('é')).toBeUndefined();
    expect(saneRequestId('x'.repeat(128))).toBe('x'.repeat(128));
  });
});

describe('errors', () => {
  it('maps a VoiceError to its registry status and body', async () => {
    const res = await h.request('/api/v1/voice-boom');
    expect(res.status).toBe(404);
    const body = await json(res);
    expect(body.data).toBeNull();
    expect(body.error).toEqual({
      code: 'SESSION_NOT_FOUND',
      message: 'The session does not exist.',
      retryable: false,
      details: { session_id: 'sess_x' },
    });
    expect(res.headers.get('X-Request-Id')).toBe(body.request_id);
  });

  it('turns anything else into INTERNAL without leaking it, and logs it redacted', async () => {
    const before = h.logged.length;
    const res = await h.request('/api/v1/boom');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret');
    expect(text).not.toContain('hunter2');
    const body = JSON.parse(text) as Body;
    expect(body.error).toEqual({
      code: 'INTERNAL',
      message: 'An internal error occurred.',
      retryable: true,
      details: {},
    });
    const entry = h.logged[before];
    expect(entry?.message).toBe('request failed');
    expect(entry?.fields['request_id']).toBe(body.request_id);
    const logged = JSON.stringify(entry?.fields);
    expect(logged).toContain('secret stack detail');
    expect(logged).not.toContain('jane@example.com');
  });

  it('answers an unknown route with NOT_FOUND and a wrong method with METHOD_NOT_ALLOWED', async () => {
    const missing = await h.request('/api/v1/nope');
    expect(missing.status).toBe(404);
    expect((await json(missing)).error?.code).toBe('NOT_FOUND');
    const root = await h.request('/elsewhere');
    expect(root.status).toBe(404);
    const wrong = await h.request('/api/v1/health/live', { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('Allow')).toBe('GET, HEAD');
    expect((await json(wrong)).error?.code).toBe('METHOD_NOT_ALLOWED');
    const post = await h.request('/api/v1/tenants', { method: 'PUT' });
    expect(post.status).toBe(405);
    expect(post.headers.get('Allow')).toBe('GET, POST, HEAD');
  });
});

describe('validation', () => {
  it('reports schema failures as VALIDATION_FAILED with issues', async () => {
    const res = await h.request('/api/v1/echo/3', { method: 'POST', body: { text: 7 } });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error?.code).toBe('VALIDATION_FAILED');
    expect(body.error?.details).toEqual({
      location: 'body',
      issues: [{ path: 'text', message: expect.any(String) as string }],
    });
    const params = await json(
      await h.request('/api/v1/echo/zero', { method: 'POST', body: { text: 'a' } }),
    );
    expect(params.error?.details['location']).toBe('path');
    expect(params.error?.details['issues']).toEqual([
      { path: 'n', message: expect.any(String) as string },
    ]);
    const empty = await json(await h.request('/api/v1/echo/1', { method: 'POST' }));
    expect(empty.error?.code).toBe('VALIDATION_FAILED');
  });

  it('refuses malformed JSON and non-JSON content types', async () => {
    const bad = await h.request('/api/v1/echo/1', {
      method: 'POST',
      body: '{"text": ',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error?.code).toBe('MALFORMED_JSON');
    const form = await h.request('/api/v1/echo/1', {
      method: 'POST',
      body: 'text=hi',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect((await json(form)).error?.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const vendor = await h.request('/api/v1/echo/1', {
      method: 'POST',
      body: '{"text":"a"}',
      headers: { 'Content-Type': 'application/merge-patch+json; charset=utf-8' },
    });
    expect(vendor.status).toBe(201);
  });

  it('refuses bodies over the limit by Content-Length and by the bytes actually sent', async () => {
    const big = JSON.stringify({ text: 'x'.repeat(2000) });
    const declared = await h.request('/api/v1/echo/1', {
      method: 'POST',
      body: big,
      headers: { 'Content-Type': 'application/json' },
    });
    expect(declared.status).toBe(413);
    expect((await json(declared)).error?.code).toBe('PAYLOAD_TOO_LARGE');
    const lying = await h.control.app.request('/api/v1/echo/1', {
      method: 'POST',
      body: big,
      headers: { 'Content-Type': 'application/json', 'Content-Length': '10' },
    });
    expect(lying.status).toBe(413);
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(encoder.encode('x'.repeat(300)));
        controller.close();
      },
    });
    const chunked = await h.control.app.request('/api/v1/echo/1', {
      method: 'POST',
      body: stream,
      headers: { 'Content-Type': 'application/json' },
      duplex: 'half',
    });
    expect(chunked.status).toBe(413);
  });
});

describe('CORS', () => {
  it('answers preflights for configured origins only', async () => {
    const app = h.build({
      config: {
        server: { cors: { origins: ['https://app.example.com'], allow_credentials: true } },
      },
    });
    const pre = await h.request(
      '/api/v1/tenants',
      {
        method: 'OPTIONS',
        headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST' },
      },
      app,
    );
    expect(pre.status).toBe(204);
    expect(pre.headers.get('Access-Control-Allow-Origin')).toBe('https://app.example.com');
    expect(pre.headers.get('Access-Control-Allow-Credentials')).toBe('true');
    expect(pre.headers.get('Access-Control-Allow-Headers')).toContain('Idempotency-Key');
    const other = await h.request(
      '/api/v1/health/live',
      { headers: { Origin: 'https://evil.example' } },
      app,
    );
    expect(other.headers.get('Access-Control-Allow-Origin')).toBeNull();
    const exposed = await h.request(
      '/api/v1/health/live',
      { headers: { Origin: 'https://app.example.com' } },
      app,
    );
    expect(exposed.headers.get('Access-Control-Expose-Headers')).toContain('X-Request-Id');
  });

  it('adds no CORS headers without configured origins', async () => {
    const res = await h.request('/api/v1/health/live', {
      headers: { Origin: 'https://app.example.com' },
    });
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });
});
