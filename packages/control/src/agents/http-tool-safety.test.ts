import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import { validationError } from '../http/validate.js';
import { httpTool, httpToolSpecSchema } from './http-tool.js';
import type { HttpToolContext } from './http-tool.js';
import { sendJson, startToolServer } from './testing/tool-server.js';
import type { ToolServer } from './testing/tool-server.js';

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
    signingSecret: () => 'signing-secret',
    secret: () => 'unused',
    allowPrivate: false,
    now: () => Date.now(),
    ...overrides,
  };
}

function spec(http: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown {
  return {
    type: 'http',
    name: 'lookup_order',
    description: 'Looks an order up.',
    parameters: { type: 'object', properties: { id: { type: 'string' } } },
    http,
    ...extra,
  };
}

async function run(
  url: string,
  ctx: Partial<HttpToolContext> = {},
  http: Record<string, unknown> = {},
) {
  const tool = httpTool(httpToolSpecSchema.parse(spec({ url, ...http })), context(ctx));
  return tool.handler({ id: 'A1' }, { signal: new AbortController().signal, callId: 'call_1' });
}

async function failure(promise: Promise<unknown>): Promise<VoiceError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!VoiceError.is(error)) throw new Error(`expected a VoiceError, got ${String(error)}`);
  return error;
}

describe('SSRF guard', () => {
  it('refuses a host name that resolves to a private address', async () => {
    const lookups: string[] = [];
    const error = await failure(
      run('https://orders.example.com/v1', {
        lookup: (host) => {
          lookups.push(host);
          return Promise.resolve([{ address: '10.0.0.1', family: 4 }]);
        },
      }),
    );
    expect(error.code).toBe('TOOL_FAILED');
    expect(error.details).toEqual({
      tool: 'lookup_order',
      url_host: 'orders.example.com',
      reason: 'address_not_allowed',
      address_class: 'private',
    });
    expect(lookups).toEqual(['orders.example.com']);
  });

  it('refuses the cloud metadata address', async () => {
    const error = await failure(run('https://169.254.169.254/latest/meta-data'));
    expect(error.details).toMatchObject({
      reason: 'address_not_allowed',
      address_class: 'link_local',
    });
  });

  it('refuses http:// unless the host is allowed', async () => {
    const error = await failure(run(`${server.url}/orders`));
    expect(error.details).toMatchObject({ reason: 'insecure_url', url_host: '127.0.0.1' });
    const other = await failure(run(`${server.url}/orders`, { allowPrivate: ['10.0.0.1'] }));
    expect(other.details).toMatchObject({ reason: 'insecure_url' });
    expect(server.exchanges).toHaveLength(0);
    await expect(run(`${server.url}/orders`, { allowPrivate: true })).resolves.toEqual({
      ok: true,
    });
  });

  it('refuses IPv4-mapped IPv6 loopback', async () => {
    const error = await failure(run(`https://[::ffff:127.0.0.1]:${server.port}/`));
    expect(error.details).toMatchObject({
      reason: 'address_not_allowed',
      address_class: 'loopback',
    });
    expect(server.exchanges).toHaveLength(0);
  });

  it('connects to the address it checked, keeping the host name in the Host header', async () => {
    let lookups = 0;
    const result = await run(`http://tools.example.test:${server.port}/orders`, {
      allowPrivate: ['tools.example.test'],
      lookup: () => {
        lookups += 1;
        return Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
      },
    });
    expect(result).toEqual({ ok: true });
    expect(lookups).toBe(1);
    expect(server.exchanges[0]?.headers.host).toBe(`tools.example.test:${server.port}`);
  });
});

describe('secret headers', () => {
  it('resolves a secret header through the context and never echoes it', async () => {
    server.handle((_e, res) => {
      sendJson(res, 401, { error: 'bad key' });
    });
    const refs: unknown[] = [];
    const error = await failure(
      run(
        `${server.url}/orders`,
        {
          allowPrivate: ['127.0.0.1'],
          secret: (ref) => {
            refs.push(ref);
            return 'Bearer sk_live_TOPSECRET';
          },
        },
        { headers: { Authorization: { secret: 'vault:orders' }, 'X-Region': 'eu' } },
      ),
    );
    expect(refs).toEqual([{ secret: 'vault:orders' }]);
    expect(server.exchanges[0]?.headers).toMatchObject({
      authorization: 'Bearer sk_live_TOPSECRET',
      'x-region': 'eu',
    });
    expect(error.details).toMatchObject({ status: 401, reason: 'client_error' });
    const wire = JSON.stringify({ message: error.message, body: error.toJSON() });
    expect(wire).not.toContain('TOPSECRET');
    expect(wire).not.toContain('vault:orders');
  });

  it('fails cleanly when a secret cannot be resolved or is not a header value', async () => {
    const headers = { headers: { authorization: { secret: 'vault:gone' } } };
    const missing = await failure(
      run(
        `${server.url}/`,
        {
          allowPrivate: true,
          secret: () => {
            throw new Error('no such secret: plaintext-hint');
          },
        },
        headers,
      ),
    );
    expect(missing.details).toMatchObject({
      reason: 'secret_unavailable',
      header: 'authorization',
    });
    expect(JSON.stringify(missing.toJSON())).not.toContain('plaintext-hint');
    const broken = await failure(
      run(`${server.url}/`, { allowPrivate: true, secret: () => 'abc\r\nx-evil: 1' }, headers),
    );
    expect(broken.details).toMatchObject({ reason: 'secret_invalid' });
    expect(broken.message).not.toContain('evil');
    expect(server.exchanges).toHaveLength(0);
  });
});

describe('httpToolSpecSchema', () => {
  const parse = (value: unknown): VoiceError => {
    const result = httpToolSpecSchema.safeParse(value);
    if (result.success) throw new Error('expected a schema failure');
    return validationError('body', result.error);
  };

  it('applies the defaults', () => {
    const parsed = httpToolSpecSchema.parse(spec({ url: 'https://api.example.com/orders' }));
    expect(parsed.http).toEqual({
      method: 'POST',
      url: 'https://api.example.com/orders',
      timeout_ms: 5000,
      retries: 0,
    });
    expect(parsed.continue_on_interrupt).toBe(false);
    const tool = httpTool(parsed, context());
    expect(tool).toMatchObject({
      name: 'lookup_order',
      timeoutMs: 5000,
      continueOnInterrupt: false,
    });
  });

  it('refuses a bad name, naming the field', () => {
    const error = parse({
      ...(spec({ url: 'https://api.example.com' }) as object),
      name: 'look up!',
    });
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('body.name');
  });

  it('refuses a bad parameters schema with the path of the problem', () => {
    const error = parse(
      spec(
        { url: 'https://api.example.com' },
        { parameters: { type: 'object', properties: { id: { type: 'uuid' } } } },
      ),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('body.parameters.properties.id.type');
    const root = parse(
      spec({ url: 'https://api.example.com' }, { parameters: { type: 'string' } }),
    );
    expect(root.message).toContain('body.parameters.type');
  });

  it.each([
    [{ url: 'ftp://api.example.com' }, 'http.url'],
    [{ url: 'https://user:pw@api.example.com' }, 'http.url'],
    [{ url: 'not a url' }, 'http.url'],
    [{ url: 'https://api.example.com', method: 'TRACE' }, 'http.method'],
    [{ url: 'https://api.example.com', timeout_ms: 50 }, 'http.timeout_ms'],
    [{ url: 'https://api.example.com', retries: 4 }, 'http.retries'],
    [
      { url: 'https://api.example.com', headers: { 'x-prx-signature': 'forged' } },
      'http.headers.x-prx-signature',
    ],
    [{ url: 'https://api.example.com', headers: { Host: 'evil' } }, 'http.headers.Host'],
    [{ url: 'https://api.example.com', headers: { 'x-a': 'line\nbreak' } }, 'http.headers.x-a'],
    [{ url: 'https://api.example.com', headers: { 'x-a': { secret: '' } } }, 'http.headers.x-a'],
    [{ url: 'https://api.example.com', extra: true }, 'http'],
  ])('refuses http %j at %s', (http, field) => {
    expect(parse(spec(http)).message).toContain(`body.${field}`);
  });

  it('refuses an unknown field and a long filler line', () => {
    expect(parse(spec({ url: 'https://a.example' }, { kind: 'x' })).code).toBe('VALIDATION_FAILED');
    expect(
      parse(spec({ url: 'https://a.example' }, { speak_while_waiting: 'x'.repeat(201) })).message,
    ).toContain('body.speak_while_waiting');
  });
});
