import { describe, expect, it } from 'vitest';
import { createMcpToolSpecSchema, mcpToolSpecSchema } from './mcp-spec.js';

const base = { type: 'mcp', allow: ['lookup_order'] };

describe('mcpToolSpecSchema', () => {
  it('fills the defaults', () => {
    expect(mcpToolSpecSchema.parse({ ...base, server: { stdio: 'crm' } })).toEqual({
      ...base,
      server: { stdio: 'crm' },
      timeout_ms: 10_000,
      max_output_chars: 8_000,
      continue_on_interrupt: false,
    });
  });

  it('takes https URLs with plain and secret headers', () => {
    const spec = mcpToolSpecSchema.parse({
      ...base,
      server: {
        url: 'https://mcp.example.com/mcp',
        headers: { authorization: { secret: 'acme-token' }, 'x-tenant': 'acme' },
      },
    });
    expect(spec.server).toEqual({
      url: 'https://mcp.example.com/mcp',
      headers: { authorization: { secret: 'acme-token' }, 'x-tenant': 'acme' },
    });
  });

  it.each([
    ['an http URL', { server: { url: 'http://mcp.example.com/mcp' } }],
    ['another scheme', { server: { url: 'file:///etc/passwd' } }],
    ['credentials in the URL', { server: { url: 'https://u:p@mcp.example.com/' } }],
    [
      'a reserved header',
      { server: { url: 'https://a.example/', headers: { 'Mcp-Session-Id': 'x' } } },
    ],
    [
      'a header with a line break',
      { server: { url: 'https://a.example/', headers: { x: 'a\r\nb' } } },
    ],
    ['both url and stdio', { server: { url: 'https://a.example/', stdio: 'crm' } }],
    ['a bad stdio name', { server: { stdio: '../bin/sh' } }],
    ['an empty allow-list', { server: { stdio: 'crm' }, allow: [] }],
    ['a bad tool name', { server: { stdio: 'crm' }, allow: ['has space'] }],
    ['a duplicate tool name', { server: { stdio: 'crm' }, allow: ['a', 'a'] }],
    ['a timeout too short', { server: { stdio: 'crm' }, timeout_ms: 50 }],
    ['an output limit too large', { server: { stdio: 'crm' }, max_output_chars: 1_000_000 }],
    ['an unknown key', { server: { stdio: 'crm' }, tools: ['x'] }],
  ])('refuses %s', (_, input) => {
    expect(mcpToolSpecSchema.safeParse({ ...base, ...input }).success).toBe(false);
  });

  it('takes http URLs only when allowed', () => {
    const input = { ...base, server: { url: 'http://127.0.0.1:8080/mcp' } };
    expect(createMcpToolSpecSchema({ allowHttp: true }).safeParse(input).success).toBe(true);
    expect(createMcpToolSpecSchema().safeParse(input).success).toBe(false);
  });
});
