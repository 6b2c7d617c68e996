import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { ok } from './envelope.js';

let h: ControlHarness;
let server: ServerType;
let port = 0;

beforeAll(async () => {
  h = await createControlHarness({ config: { limits: { max_body_bytes: 1024 } } });
  h.control.route({
    method: 'post',
    path: '/echo',
    summary: 'Echo',
    auth: 'none',
    body: z.object({ text: z.string() }),
    handler: (c, { body }) => ok(c, body, 201),
  });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: h.control.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      port = info.port;
      resolve();
    });
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.close();
});

/** Posts through a real socket; `chunks` are written without a Content-Length (chunked encoding). */
function post(
  chunks: string[],
): Promise<{ status: number; body: string; requestId: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/api/v1/echo',
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          const id = res.headers['x-request-id'];
          resolve({
            status: res.statusCode ?? 0,
            body,
            requestId: typeof id === 'string' ? id : undefined,
          });
        });
      },
    );
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('over @hono/node-server', () => {
  it('serves the envelope over a real socket', async () => {
    const res = await post(['{"text":', '"hi"}']);
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body)).toMatchObject({ data: { text: 'hi' }, error: null });
    expect(res.requestId).toMatch(/^req_/);
    expect((server.address() as AddressInfo).port).toBe(port);
  });

  it('counts the bytes of a chunked body against the limit', async () => {
    const res = await post(['{"text":"', 'x'.repeat(600), 'x'.repeat(600), '"}']);
    expect(res.status).toBe(413);
    expect((JSON.parse(res.body) as { error: { code: string } }).error.code).toBe(
      'PAYLOAD_TOO_LARGE',
    );
  });
});
