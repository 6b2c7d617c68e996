import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { ok } from './envelope.js';
import { createRouteRegistry, toHonoPath, toOpenApiPath } from './openapi.js';
import { idSchema } from './schemas.js';

type Doc = {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

let h: ControlHarness;

beforeAll(async () => {
  h = await createControlHarness();
  h.control.route({
    method: 'get',
    path: '/sessions/{id}',
    summary: 'One session.',
    permission: 'session:read',
    params: z.object({ id: idSchema('session') }),
    headers: z.object({ traceparent: z.string().optional().describe('W3C trace context.') }),
    response: z.object({ id: z.string(), state: z.string() }),
    errors: ['SESSION_NOT_FOUND'],
    handler: (c, { params }) => ok(c, { id: params.id, state: 'Listening' }),
  });
});

afterAll(async () => {
  await h.close();
});

describe('GET /openapi.json', () => {
  it('serves an OpenAPI 3.1 document of every registered route', async () => {
    const res = await h.request('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Doc;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: '/api/v1' }]);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api-keys',
      '/api-keys/{id}',
      '/assistants',
      '/assistants/{assistant_id}',
      '/assistants/{assistant_id}/versions',
      '/billing/export/dead-letters',
      '/health/live',
      '/health/ready',
      '/incidents',
      '/incidents/{incident_id}',
      '/invoices',
      '/invoices/close',
      '/invoices/{invoice_id}',
      '/metrics',
      '/openapi.json',
      '/price-books',
      '/sessions/{id}',
      '/tenants',
      '/tenants/{id}',
      '/usage',
    ]);
    expect(Object.keys(doc.paths['/tenants'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(doc.components.securitySchemes['bearerAuth']).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(doc.components.schemas['ErrorEnvelope']).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['request_id', 'error']) as unknown,
    });

    const create = doc.paths['/tenants']?.['post'] ?? {};
    expect(create['x-permission']).toBe('tenant:create');
    expect(create['security']).toEqual([{ bearerAuth: [] }]);
    expect(create['requestBody']).toMatchObject({
      content: { 'application/json': { schema: { type: 'object', required: ['slug', 'name'] } } },
    });
    const responses = create['responses'] as Record<
      string,
      { content: Record<string, { schema: Record<string, unknown> }> }
    >;
    expect(Object.keys(responses).sort()).toEqual([
      '201',
      '400',
      '401',
      '403',
      '409',
      '413',
      '415',
      '429',
      '500',
    ]);
    expect(responses['201']?.content['application/json']?.schema).toMatchObject({
      properties: { data: { properties: { slug: { type: 'string' } } }, error: { type: 'null' } },
    });
    expect(responses['409']?.content['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/ErrorEnvelope',
    });

    const session = doc.paths['/sessions/{id}']?.['get'] ?? {};
    expect(session['parameters']).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
      expect.objectContaining({
        name: 'traceparent',
        in: 'header',
        required: false,
        description: 'W3C trace context.',
      }),
    ]);
    expect(Object.keys(session['responses'] as object)).toContain('404');
    const list = doc.paths['/tenants']?.['get'] ?? {};
    expect(
      (list['parameters'] as { name: string; required: boolean }[]).map((p) => [
        p.name,
        p.required,
      ]),
    ).toEqual([
      ['limit', false],
      ['cursor', false],
    ]);
    expect(doc.paths['/health/live']?.['get']?.['security']).toEqual([]);
  });

  it('is public and mounts the declared routes with their checks', async () => {
    const t = await h.tenant();
    const viewer = await h.key(t.id, 'billing_viewer');
    const denied = await h.request('/api/v1/sessions/sess_01jgz5r3p8x4k2m6n7q9s0t1v2', {
      token: viewer,
    });
    expect(denied.status).toBe(403);
    const dev = await h.key(t.id, 'workspace_developer');
    const allowed = await h.request('/api/v1/sessions/sess_01JGZ5R3P8X4K2M6N7Q9S0T1V2', {
      token: dev,
    });
    expect(((await allowed.json()) as { data: { id: string } }).data.id).toBe(
      'sess_01jgz5r3p8x4k2m6n7q9s0t1v2',
    );
  });
});

describe('route registry', () => {
  it('converts paths and keeps auth modes', () => {
    expect(toHonoPath('/sessions/{id}/turns')).toBe('/sessions/:id/turns');
    expect(toOpenApiPath('/ws/:session_id')).toBe('/ws/{session_id}');
    const r = createRouteRegistry('/api/v1');
    r.setAuth('get', '/ws/{session_id}', 'query');
    expect(r.authOf('GET', '/api/v1/ws/:session_id')).toBe('query');
    expect(r.authOf('GET', '/api/v1/other')).toBe('required');
  });
});
