/**
 * Bad input over real sockets, against one server that takes API keys and ES256
 * JWTs: every refusal is the protocol's (envelope code and HTTP status, WebSocket
 * close code or error event), and after each kind of abuse a concurrent healthy
 * session on the same server still completes a turn.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, UnsecuredJWT, exportSPKI, generateKeyPair } from 'jose';
import type { CryptoKey } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@prx-voice/server';
import type { RunningServer } from '@prx-voice/server';
import { connectWs, pcmFrame } from './support/ws-client.ts';
import type { WsClient } from './support/ws-client.ts';

const KEY = 'pk_integration_bad_input_0123456789abcd';
const ISSUER = 'https://id.example.com/';
const AUDIENCE = 'prx-voice-integration';
const MAX_BODY = 4096;
const MAX_FRAME = 4096;
const dir = mkdtempSync(join(tmpdir(), 'prx-bad-input-'));
let server: RunningServer;
let signing: CryptoKey;
let publicPem: string;
let tenantA: string;
let tenantB: string;
/** Keys: tenant B's admin, tenant A's viewer (may not talk to sessions), a revoked one. */
const keys = { b: '', viewer: '', revoked: '' };
let healthy: WsClient;

interface Reply {
  status: number;
  body: {
    request_id: string;
    data: Record<string, unknown> | null;
    error: { code: string; message?: string; details?: Record<string, unknown> } | null;
  };
}

async function call(
  method: string,
  path: string,
  opts: { auth?: string | null; body?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const auth = opts.auth === undefined ? `Bearer ${KEY}` : opts.auth;
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      ...(auth === null ? {} : { authorization: auth }),
      ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...opts.headers,
    },
    ...(opts.body === undefined ? {} : { body: opts.body }),
  });
  return { status: res.status, body: (await res.json()) as Reply['body'] };
}

async function newSession(): Promise<{ id: string; wsUrl: string }> {
  const created = await call('POST', '/sessions', { body: '{}' });
  expect(created.status).toBe(201);
  return { id: String(created.body.data?.id), wsUrl: String(created.body.data?.ws_url) };
}

async function attached(wsUrl: string): Promise<WsClient> {
  const client = await connectWs(`${wsUrl}?token=${KEY}`);
  client.ws.send(JSON.stringify({ type: 'ping', id: 'hello' }));
  await client.waitFor('prx.voice.session.pong');
  return client;
}

/** A JWT of the configured issuer (for tenant A unless `tenant` says otherwise); `edit` spoils it. */
function jwt(
  opts: { edit?: (t: SignJWT) => SignJWT; key?: CryptoKey | Uint8Array; tenant?: string } = {},
): Promise<string> {
  const key = opts.key ?? signing;
  const token = new SignJWT({ tenant_id: opts.tenant ?? tenantA, role: 'tenant_admin' })
    .setProtectedHeader({ alg: key instanceof Uint8Array ? 'HS256' : 'ES256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('user-1')
    .setIssuedAt()
    .setExpirationTime('10m');
  return (opts.edit?.(token) ?? token).sign(key);
}

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  signing = pair.privateKey;
  publicPem = await exportSPKI(pair.publicKey);
  server = await startServer({
    load: {
      cwd: dir,
      env: {
        PRX_VOICE_SERVER__PORT: '0',
        // Sessions left live at the end: a short drain, not the default 30 s.
        PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '300',
        PRX_VOICE_SERVER__HOST: '127.0.0.1',
        PRX_VOICE_STORAGE__DATA_DIR: 'data',
        PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
        PRX_VOICE_AUTH__JWT__ISSUER: ISSUER,
        PRX_VOICE_AUTH__JWT__AUDIENCE: AUDIENCE,
        PRX_VOICE_AUTH__JWT__ALGORITHM: 'ES256',
        PRX_VOICE_AUTH__JWT__PUBLIC_KEYS: JSON.stringify([publicPem]),
        PRX_VOICE_LIMITS__MAX_BODY_BYTES: String(MAX_BODY),
        PRX_VOICE_LIMITS__MAX_WS_FRAME_BYTES: String(MAX_FRAME),
        // Many requests from one credential in a few seconds: no rate limit in the way.
        PRX_VOICE_LIMITS__RATE_LIMIT__PER_CREDENTIAL__BURST: '100000',
        PRX_VOICE_LIMITS__RATE_LIMIT__PER_TENANT__BURST: '100000',
        PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__AGENT__OPTIONS: JSON.stringify({ token_delay_ms: 2 }),
      },
    },
    log: (line) => process.stderr.write(`SERVER: ${line}\n`),
  });
  const tenants = await call('GET', '/tenants');
  const items = tenants.body.data?.items as { id: string; slug: string }[];
  tenantA = items.find((t) => t.slug === 'default')?.id ?? '';
  // A tier whose request rate stays ample when the instance degrades under the test machine's load.
  const b = await call('POST', '/tenants', {
    body: '{"slug":"tenant-b","name":"Tenant B","tier":"enterprise"}',
  });
  tenantB = String(b.body.data?.id);
  const key = async (body: Record<string, string>): Promise<{ id: string; key: string }> => {
    const res = await call('POST', '/api-keys', { body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    return { id: String(res.body.data?.id), key: String(res.body.data?.key) };
  };
  keys.b = (await key({ name: 'b', role: 'tenant_admin', tenant_id: tenantB })).key;
  keys.viewer = (await key({ name: 'viewer', role: 'workspace_viewer' })).key;
  const revoked = await key({ name: 'revoked', role: 'workspace_developer' });
  expect((await call('DELETE', `/api-keys/${revoked.id}`)).status).toBe(200);
  keys.revoked = revoked.key;
  healthy = await attached((await newSession()).wsUrl);
}, 120_000);

afterAll(async () => {
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

// After every kind of abuse, the server and its other sessions carry on.
afterEach(async () => {
  const done = healthy.next('prx.voice.turn.completed');
  healthy.ws.send(JSON.stringify({ type: 'input.text', text: 'still there' }));
  expect((await done).data).toMatchObject({ assistant_text: 'You said: still there' });
}, 30_000);

describe('bad input over real sockets', () => {
  it('refuses every bad credential: 401 in the envelope over HTTP, 4401 on the WebSocket', async () => {
    const other = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = new UnsecuredJWT({ tenant_id: tenantA, role: 'tenant_admin' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('10m')
      .encode();
    const cases: { name: string; auth: string | null; code: string; reason?: string }[] = [
      { name: 'missing', auth: null, code: 'UNAUTHENTICATED', reason: 'missing' },
      { name: 'not bearer', auth: 'Basic dXNlcjpwYXNz', code: 'UNAUTHENTICATED', reason: 'scheme' },
      { name: 'empty bearer', auth: 'Bearer', code: 'UNAUTHENTICATED', reason: 'scheme' },
      { name: 'two tokens', auth: `Bearer ${KEY} ${KEY}`, code: 'UNAUTHENTICATED' },
      { name: 'not a JWT', auth: 'Bearer not.a.jwt', code: 'UNAUTHENTICATED' },
      {
        name: 'unknown key',
        auth: 'Bearer pk_unknown_key_0123456789abcdef012345',
        code: 'UNAUTHENTICATED',
        reason: 'invalid_api_key',
      },
      {
        name: 'revoked key',
        auth: `Bearer ${keys.revoked}`,
        code: 'UNAUTHENTICATED',
        reason: 'revoked',
      },
      {
        name: 'expired',
        auth: `Bearer ${await jwt({ edit: (t) => t.setIssuedAt(now - 3600).setExpirationTime(now - 600) })}`,
        code: 'TOKEN_EXPIRED',
      },
      {
        name: 'not yet valid',
        auth: `Bearer ${await jwt({ edit: (t) => t.setNotBefore(now + 600) })}`,
        code: 'UNAUTHENTICATED',
        reason: 'claim_nbf',
      },
      {
        name: 'wrongly signed',
        auth: `Bearer ${await jwt({ key: other.privateKey })}`,
        code: 'UNAUTHENTICATED',
        reason: 'signature',
      },
      {
        name: 'wrong audience',
        auth: `Bearer ${await jwt({ edit: (t) => t.setAudience('someone-else') })}`,
        code: 'UNAUTHENTICATED',
        reason: 'claim_aud',
      },
      {
        name: 'wrong issuer',
        auth: `Bearer ${await jwt({ edit: (t) => t.setIssuer('https://evil.example.com/') })}`,
        code: 'UNAUTHENTICATED',
        reason: 'claim_iss',
      },
      {
        // Algorithm confusion: HS256 keyed with the public key the server knows.
        name: 'wrong algorithm',
        auth: `Bearer ${await jwt({ key: new TextEncoder().encode(publicPem) })}`,
        code: 'UNAUTHENTICATED',
        reason: 'algorithm',
      },
      { name: 'alg none', auth: `Bearer ${unsigned}`, code: 'UNAUTHENTICATED' },
    ];
    // The credentials are refused, not the server: a good JWT is accepted.
    expect((await call('GET', '/sessions', { auth: `Bearer ${await jwt()}` })).status).toBe(200);
    const target = await newSession();
    for (const c of cases) {
      const res = await call('GET', '/sessions', { auth: c.auth });
      expect([c.name, res.status, res.body.error?.code]).toEqual([c.name, 401, c.code]);
      expect(res.body.data).toBeNull();
      if (c.reason !== undefined) expect(res.body.error?.details?.['reason']).toBe(c.reason);
      const ws = await connectWs(target.wsUrl, c.auth === null ? {} : { authorization: c.auth });
      expect([c.name, (await ws.closed).code]).toEqual([c.name, 4401]);
    }
    // The same through `?token=`, as browsers send it.
    const expired = cases.find((c) => c.name === 'expired')?.auth?.slice('Bearer '.length) ?? '';
    expect((await (await connectWs(`${target.wsUrl}?token=${expired}`)).closed).code).toBe(4401);
  }, 60_000);

  it('keeps tenants apart: another tenant’s credential gets 404, a role without the right 403', async () => {
    const a = await newSession();
    const asB = { auth: `Bearer ${keys.b}` };
    for (const [method, path] of [
      ['GET', `/sessions/${a.id}`],
      ['GET', `/sessions/${a.id}/turns`],
      ['GET', `/sessions/${a.id}/events`],
      ['POST', `/sessions/${a.id}/end`],
    ] as const) {
      const res = await call(method, path, asB);
      expect([path, res.status, res.body.error?.code]).toEqual([path, 404, 'SESSION_NOT_FOUND']);
    }
    const turn = await call('POST', `/sessions/${a.id}/turns`, { ...asB, body: '{"text":"hi"}' });
    expect([turn.status, turn.body.error?.code]).toEqual([404, 'SESSION_NOT_FOUND']);
    const listed = await call('GET', '/sessions', asB);
    expect(listed.body.data?.items).toEqual([]);
    expect((await (await connectWs(`${a.wsUrl}?token=${keys.b}`)).closed).code).toBe(4404);
    const jwtB = await jwt({ tenant: tenantB });
    expect((await call('GET', `/sessions/${a.id}`, { auth: `Bearer ${jwtB}` })).status).toBe(404);
    expect((await (await connectWs(`${a.wsUrl}?token=${jwtB}`)).closed).code).toBe(4404);
    // Tenant A's viewer may read the session but not talk to it.
    const viewer = { auth: `Bearer ${keys.viewer}` };
    expect((await call('GET', `/sessions/${a.id}`, viewer)).status).toBe(200);
    const spoken = await call('POST', `/sessions/${a.id}/turns`, {
      ...viewer,
      body: '{"text":"hi"}',
    });
    expect([spoken.status, spoken.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    expect((await (await connectWs(`${a.wsUrl}?token=${keys.viewer}`)).closed).code).toBe(4403);
    // Session A is untouched by all of it.
    expect((await call('GET', `/sessions/${a.id}`)).body.data).toMatchObject({
      state: 'Listening',
    });
  }, 60_000);

  it('answers bad bodies with 400 naming the problem, and 415 for another content type', async () => {
    const { id } = await newSession();
    const cases: { path: string; body: string; code: string; field?: string }[] = [
      { path: '/sessions', body: '{"channel":', code: 'MALFORMED_JSON' },
      {
        path: '/sessions',
        body: '{"channel":"websocket","colour":"red"}',
        code: 'VALIDATION_FAILED',
        field: 'colour',
      },
      { path: '/sessions', body: '{"channel":42}', code: 'VALIDATION_FAILED', field: 'channel' },
      { path: '/sessions', body: '[1,2]', code: 'VALIDATION_FAILED' },
      // Provider options are checked by the providers before the session exists.
      {
        path: '/sessions',
        body: '{"provider_options":{"asr":{"partial_interval_ms":-1}}}',
        code: 'VALIDATION_FAILED',
        field: 'provider_options.asr.partial_interval_ms',
      },
      {
        path: '/sessions',
        body: '{"provider_options":{"agent":{"token_delay_ms":"soon"}}}',
        code: 'VALIDATION_FAILED',
        field: 'provider_options.agent.token_delay_ms',
      },
      {
        path: `/sessions/${id}/turns`,
        body: '{"text":5}',
        code: 'VALIDATION_FAILED',
        field: 'text',
      },
      {
        path: `/sessions/${id}/turns`,
        body: '{"text":"   "}',
        code: 'VALIDATION_FAILED',
        field: 'text',
      },
    ];
    for (const c of cases) {
      const res = await call('POST', c.path, { body: c.body });
      expect([c.body, res.status, res.body.error?.code]).toEqual([c.body, 400, c.code]);
      if (c.field !== undefined) expect(JSON.stringify(res.body.error?.details)).toContain(c.field);
    }
    for (const c of cases.filter((k) => k.field?.startsWith('provider_options') === true)) {
      const res = await call('POST', c.path, { body: c.body });
      expect(res.body.error?.message).toContain(c.field);
    }
    const valid = await call('POST', '/sessions', {
      body: '{"provider_options":{"asr":{"transcript":["a","b"],"partial_interval_ms":50}}}',
    });
    expect(valid.status).toBe(201);
    const typed = await call('POST', '/sessions', {
      body: '{}',
      headers: { 'content-type': 'text/plain' },
    });
    expect([typed.status, typed.body.error?.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  }, 60_000);

  it('refuses bodies over the limit with 413, whatever Content-Length claims', async () => {
    const big = JSON.stringify({ metadata: { note: 'x'.repeat(MAX_BODY * 2) } });
    const declared = await call('POST', '/sessions', { body: big });
    expect([declared.status, declared.body.error?.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(declared.body.error?.details).toMatchObject({ max_bytes: MAX_BODY });
    // No Content-Length at all (chunked): counted as it is read.
    const chunked = await fetch(`${server.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: new Blob([big]).stream(),
      duplex: 'half',
    });
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as Reply['body']).error?.code).toBe('PAYLOAD_TOO_LARGE');
    // A Content-Length that claims more than the limit is refused before any body arrives.
    const overstated = await raw(
      `POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json\r\nContent-Length: ${String(MAX_BODY + 1)}\r\n\r\n{}`,
    );
    expect(overstated).toMatch(/^HTTP\/1\.1 413 /);
    expect(overstated).toContain('"PAYLOAD_TOO_LARGE"');
    // One that claims less cannot smuggle the rest in as body: what follows the declared
    // bytes is read as the next request, which is malformed, and the connection is dropped.
    const small = '{"channel":"websocket"}';
    const understated = await raw(
      `POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json\r\nContent-Length: ${String(small.length)}\r\n\r\n${small}${'x'.repeat(MAX_BODY * 2)}`,
    );
    expect(understated).toMatch(/HTTP\/1\.1 400 Bad Request\r\nConnection: close/);
    expect(understated).not.toMatch(/HTTP\/1\.1 413 /);
  }, 60_000);

  it('answers bad WebSocket frames with an error event and keeps the connection; abuse closes it', async () => {
    const client = await attached((await newSession()).wsUrl);
    const errorOf = async (frame: string | Buffer): Promise<unknown> => {
      const error = client.next('prx.voice.session.error');
      client.ws.send(frame);
      return (await error).data;
    };
    expect(await errorOf('{"type":"dance"}')).toMatchObject({ code: 'INVALID_FRAME' });
    expect(await errorOf('{"text":"no type"}')).toMatchObject({ code: 'INVALID_FRAME' });
    expect(await errorOf('{"type":"input.text","text":42}')).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(
      await errorOf('{"type":"playback.position","segment_id":"seg_1","played_ms":-5}'),
    ).toMatchObject({ code: 'VALIDATION_FAILED' });
    // Larger than the frame limit (but within what the socket reads): dropped and reported.
    expect(
      await errorOf(JSON.stringify({ type: 'input.text', text: 'a'.repeat(MAX_FRAME) })),
    ).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect(await errorOf(Buffer.alloc(MAX_FRAME + 640))).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    // Still open and working.
    client.ws.send(pcmFrame('silence'));
    client.ws.send(JSON.stringify({ type: 'ping', id: 'after' }));
    expect((await client.next('prx.voice.session.pong')).data).toEqual({ ping_id: 'after' });
    // Far beyond the limit: the socket refuses to read it and closes (1009, message too big).
    client.ws.send(Buffer.alloc(MAX_FRAME * 2 + 1));
    expect((await client.closed).code).toBe(1009);

    // Repeated abuse: the 21st bad frame within a minute closes with 1008.
    const abuser = await attached((await newSession()).wsUrl);
    const first = abuser.next('prx.voice.session.error');
    for (let i = 0; i < 21; i++) abuser.ws.send('{not json');
    expect((await first).data).toMatchObject({ code: 'INVALID_FRAME' });
    expect(await abuser.closed).toEqual({ code: 1008, reason: 'repeated protocol errors' });
  }, 60_000);
});

/** Sends raw bytes over one TCP connection; resolves with everything read until the server closes it. */
function raw(request: string): Promise<string> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: url.hostname, port: Number(url.port) }, () => {
      socket.end(request);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}
