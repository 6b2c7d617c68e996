/**
 * An assistant's secrets at rest, where the server composes it: with a master key, the
 * tool header secrets (HTTP and MCP) and the signing secret are stored sealed — the
 * database never holds them in plaintext, the API never shows them — and opened only when
 * a tool is called; a masked secret given back keeps the stored one; a row written before
 * sealing (plaintext) still works and is sealed on its next write; a sealed secret copied
 * into another tenant's row does not open. Without a master key the server warns.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSecretBox } from '@prx-voice/audit';
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { Id, SessionId, TenantId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import {
  composeVoiceControl,
  jsonApi,
  settle,
  shutdownOnClock,
  shutdownVoice,
} from '../testing/composed.js';
import type { VoiceControl } from '../voice-control.js';
import { TOOL_SIGNATURE_HEADER, verifyToolSignature } from './tool-signature.js';
import { sendJson, startToolServer } from './testing/tool-server.js';
import type { ToolServer } from './testing/tool-server.js';

const MASTER = Buffer.alloc(32, 7);
const KEY_ID = createSecretBox({ masterKey: new Uint8Array(MASTER) }).keyId ?? '';

let h: ControlHarness;
let voice: VoiceControl;
let endpoint: ToolServer;

beforeAll(async () => {
  h = await createControlHarness();
  endpoint = await startToolServer();
  endpoint.handle((_exchange, res) => sendJson(res, 200, { status: 'shipped' }));
  voice = composeVoiceControl(h, {
    agents: { tools: { allow_private_hosts: ['127.0.0.1'] } },
    audit: { subjects: { master_key: MASTER.toString('base64') } },
  });
}, 60_000);

afterAll(async () => {
  await endpoint.close();
  await shutdownOnClock(h, voice);
});

const httpTool = (headers: Record<string, unknown>) => ({
  type: 'http',
  name: 'lookup_order',
  description: 'Looks an order up by its id.',
  parameters: { type: 'object', properties: { order_id: { type: 'string' } } },
  http: { method: 'POST', url: `${endpoint.url}/orders`, headers },
});
// An MCP server on the local endpoint: it does not speak MCP, so a session leaves it out.
const mcpTool = () => ({
  type: 'mcp',
  server: { url: `${endpoint.url}/mcp`, headers: { authorization: { secret: 'mcp-t0ken' } } },
  allow: ['lookup'],
});

async function tenantApi() {
  const tenant = await h.tenant('growth');
  const token = await h.key(tenant.id, 'tenant_admin');
  const api = jsonApi(h, voice, token);
  return { tenantId: tenant.id as TenantId, api };
}

type TenantApi = Awaited<ReturnType<typeof tenantApi>>;

/** The assistant's current row and every version, as the database holds them. */
async function storedText(id: string): Promise<string> {
  const db = h.db.handle.db;
  const rows = await db.selectFrom('assistants').selectAll().where('id', '=', id).execute();
  const versions = await db
    .selectFrom('assistant_versions')
    .selectAll()
    .where('assistant_id', '=', id)
    .execute();
  return JSON.stringify([rows, versions]);
}

/** Runs a session of the assistant whose agent calls the HTTP tool; the request the endpoint got. */
async function callTool(t: TenantApi, assistantId: string) {
  const created = await t.api('/sessions', 'POST', {
    channel: 'websocket',
    assistant_id: assistantId,
  });
  expect(created.status).toBe(201);
  const id = created.body.data['id'] as SessionId;
  await settle();
  const events: AnyVoiceEvent[] = [];
  voice.manager.live(t.tenantId, id)?.emitter.addSink((e) => events.push(e));
  const before = endpoint.exchanges.length;
  const text = 'call lookup_order {"order_id": "A1"}';
  expect((await t.api(`/sessions/${id}/turns`, 'POST', { text })).status).toBe(202);
  await vi.waitFor(
    async () => {
      h.clock.advance(200);
      await settle();
      expect(events.some((e) => e.type === 'prx.voice.agent.tool_result')).toBe(true);
    },
    { timeout: 10_000 },
  );
  expect((await t.api(`/sessions/${id}/end`, 'POST', {})).status).toBeLessThan(300);
  const result = events.find((e) => e.type === 'prx.voice.agent.tool_result')?.data;
  return { exchange: endpoint.exchanges.slice(before).at(-1), result };
}

describe("an assistant's secrets at rest", () => {
  it('are stored sealed, never shown, and opened for the call', async () => {
    const t = await tenantApi();
    const created = await t.api('/assistants', 'POST', {
      name: 'Orders',
      tools: [httpTool({ authorization: { secret: 'Bearer s3cret' } }), mcpTool()],
    });
    expect(created.status).toBe(201);
    const id = String(created.body.data['id']);
    const signing = String(created.body.data['tool_signing_secret']);
    const shown = await t.api(`/assistants/${id}`);
    expect(shown.body.data['tools']).toMatchObject([
      { http: { headers: { authorization: { secret: '********' } } } },
      { server: { headers: { authorization: { secret: '********' } } } },
    ]);
    expect(JSON.stringify(shown.body)).not.toMatch(/s3cret|mcp-t0ken/);
    const stored = await storedText(id);
    for (const plain of ['s3cret', 'mcp-t0ken', signing]) expect(stored).not.toContain(plain);
    expect(stored.match(new RegExp(`enc:v1:${KEY_ID}:`, 'g'))).toHaveLength(6); // 3 secrets × (row, version)

    const { exchange, result } = await callTool(t, id);
    expect(result).toMatchObject({ name: 'lookup_order', ok: true });
    expect(exchange?.headers['authorization']).toBe('Bearer s3cret');
    const signature = String(exchange?.headers[TOOL_SIGNATURE_HEADER]);
    expect(verifyToolSignature(signing, signature, exchange?.body ?? '', h.clock.now())).toBe(true);
    // The MCP server's connect carried its secret, opened.
    const connect = endpoint.exchanges.find((e) => e.url === '/mcp');
    expect(connect?.headers['authorization']).toBe('mcp-t0ken');
  });

  it('keeps a masked secret given back, and refuses a mask with nothing stored', async () => {
    const t = await tenantApi();
    const created = await t.api('/assistants', 'POST', {
      name: 'Orders',
      tools: [httpTool({ authorization: { secret: 'Bearer k33p' } })],
    });
    const id = String(created.body.data['id']);
    const read = await t.api(`/assistants/${id}`);
    const edited = await t.api(`/assistants/${id}`, 'PATCH', {
      description: 'edited',
      tools: read.body.data['tools'],
    });
    expect(edited.status).toBe(200);
    expect(await storedText(id)).not.toContain('k33p');
    expect((await callTool(t, id)).exchange?.headers['authorization']).toBe('Bearer k33p');

    const refused = await t.api(`/assistants/${id}`, 'PATCH', {
      tools: [httpTool({ 'x-api-key': { secret: '********' } })],
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('tools.0.http.headers.x-api-key');
  });

  it('reads a row stored before sealing, and seals it on its next write', async () => {
    const t = await tenantApi();
    const row = await h.db.repos.forTenant(t.tenantId).assistants.create({
      name: 'Legacy',
      definition: {
        tools: [httpTool({ authorization: { secret: 'Bearer 0ld' } })],
        signing_secret: 'legacy-signing-secret',
      },
    });
    const first = await callTool(t, row.id);
    expect(first.exchange?.headers['authorization']).toBe('Bearer 0ld');
    const sig = String(first.exchange?.headers[TOOL_SIGNATURE_HEADER]);
    const body = first.exchange?.body ?? '';
    expect(verifyToolSignature('legacy-signing-secret', sig, body, h.clock.now())).toBe(true);

    expect((await t.api(`/assistants/${row.id}`, 'PATCH', { description: 'x' })).status).toBe(200);
    const current = await h.db.repos
      .forTenant(t.tenantId)
      .assistants.get(row.id as Id<'assistant'>);
    const text = JSON.stringify(current?.definition);
    expect(text).not.toMatch(/0ld|legacy-signing-secret/);
    expect(text.match(/enc:v1:/g)).toHaveLength(2);
    const again = await callTool(t, row.id);
    expect(again.exchange?.headers['authorization']).toBe('Bearer 0ld');
    const sig2 = String(again.exchange?.headers[TOOL_SIGNATURE_HEADER]);
    const body2 = again.exchange?.body ?? '';
    expect(verifyToolSignature('legacy-signing-secret', sig2, body2, h.clock.now())).toBe(true);
  });

  it("does not open a sealed secret copied into another tenant's assistant", async () => {
    const a = await tenantApi();
    const created = await a.api('/assistants', 'POST', {
      name: 'Orders',
      tools: [httpTool({ authorization: { secret: 'Bearer m1ne' } })],
    });
    const source = await h.db.repos
      .forTenant(a.tenantId)
      .assistants.get(String(created.body.data['id']) as Id<'assistant'>);
    const b = await tenantApi();
    const copy = await h.db.repos
      .forTenant(b.tenantId)
      .assistants.create({ name: 'Copy', definition: source?.definition ?? {} });
    const { exchange, result } = await callTool(b, copy.id);
    expect(exchange).toBeUndefined();
    expect(result).toMatchObject({ ok: false, error: { code: 'TOOL_FAILED' } });
    expect(JSON.stringify(result)).not.toContain('m1ne');
  });

  it('is warned about at start-up without a master key', async () => {
    const plain = composeVoiceControl(h);
    expect(
      h.logged.some(
        (l) =>
          l.fields['setting'] === 'audit.subjects.master_key' &&
          l.message.includes('stored unencrypted'),
      ),
    ).toBe(true);
    await shutdownVoice(h, plain);
  });
});
