/**
 * An assistant's HTTP tool where the server composes it: a session from the assistant
 * offers the tool to its agent; the mock agent's `call <tool> <JSON>` sends a signed
 * request (verifiable with the secret the assistant's creation returned, carrying the
 * session's ids) to the tenant's endpoint, and the answer is spoken. Secrets in tool
 * headers are never shown; a private address is refused unless the operator allows it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { SessionId, TenantId } from '@prx-voice/types';
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

let h: ControlHarness;
let voice: VoiceControl;
let strict: VoiceControl;
let endpoint: ToolServer;

beforeAll(async () => {
  h = await createControlHarness();
  endpoint = await startToolServer();
  voice = composeVoiceControl(h, { agents: { tools: { allow_private_hosts: ['127.0.0.1'] } } });
  strict = composeVoiceControl(h);
}, 60_000);

afterAll(async () => {
  await endpoint.close();
  // The strict server first (the harness stays open), then the other with the harness.
  await shutdownVoice(h, strict);
  await shutdownOnClock(h, voice);
});

async function start(app: VoiceControl, withSecretHeader = true) {
  const tenant = await h.tenant('growth');
  const token = await h.key(tenant.id, 'tenant_admin');
  const api = jsonApi(h, app, token);
  const assistant = await api('/assistants', 'POST', {
    name: 'Orders',
    tools: [
      {
        type: 'http',
        name: 'lookup_order',
        description: 'Looks an order up by its id.',
        parameters: {
          type: 'object',
          properties: { order_id: { type: 'string' } },
          required: ['order_id'],
        },
        http: {
          method: 'POST',
          url: `${endpoint.url}/orders`,
          ...(withSecretHeader ? { headers: { authorization: { secret: 'Bearer s3cret' } } } : {}),
        },
      },
    ],
  });
  expect(assistant.status).toBe(201);
  const created = await api('/sessions', 'POST', {
    channel: 'websocket',
    assistant_id: assistant.body.data['id'],
  });
  const id = created.body.data['id'] as SessionId;
  await settle();
  const events: AnyVoiceEvent[] = [];
  app.manager.live(tenant.id as TenantId, id)?.emitter.addSink((e) => events.push(e));
  return { api, id, assistant: assistant.body.data, events };
}

async function turn(s: Awaited<ReturnType<typeof start>>, text: string, requests: number) {
  expect((await s.api(`/sessions/${s.id}/turns`, 'POST', { text })).status).toBe(202);
  // The mock agent streams on the simulated clock; the endpoint answers in real time.
  await vi.waitFor(async () => {
    h.clock.advance(20);
    await settle();
    expect(endpoint.exchanges.length).toBeGreaterThanOrEqual(requests);
  });
  await vi.waitFor(
    async () => {
      h.clock.advance(500);
      await settle();
      expect(s.events.some((e) => e.type === 'prx.voice.turn.completed')).toBe(true);
    },
    { timeout: 10_000 },
  );
}

describe("an assistant's HTTP tool", () => {
  it('is called with a signed request and its answer is spoken', async () => {
    endpoint.handle((exchange, res) => sendJson(res, 200, { order: 'A1', status: 'shipped' }));
    const s = await start(voice);
    expect(JSON.stringify(s.assistant)).not.toContain('s3cret');
    expect(
      (await s.api(`/assistants/${String(s.assistant['id'])}`)).body.data['tools'],
    ).toMatchObject([{ http: { headers: { authorization: { secret: '********' } } } }]);
    await turn(s, 'call lookup_order {"order_id": "A1"}', 1);
    const exchange = endpoint.exchanges.at(-1);
    expect(exchange?.headers['authorization']).toBe('Bearer s3cret');
    expect(exchange?.headers['x-prx-session-id']).toBe(s.id);
    const secret = String(s.assistant['tool_signing_secret']);
    const signature = String(exchange?.headers[TOOL_SIGNATURE_HEADER]);
    expect(verifyToolSignature(secret, signature, exchange?.body ?? '', h.clock.now())).toBe(true);
    expect(verifyToolSignature('wrong', signature, exchange?.body ?? '', h.clock.now())).toBe(
      false,
    );
    expect(JSON.parse(exchange?.body ?? '{}')).toMatchObject({
      tool: 'lookup_order',
      arguments: { order_id: 'A1' },
      session_id: s.id,
    });
    const result = s.events.find((e) => e.type === 'prx.voice.agent.tool_result')?.data;
    expect(result).toMatchObject({ name: 'lookup_order', ok: true });
    const completed = s.events.find((e) => e.type === 'prx.voice.turn.completed')?.data as {
      assistant_text: string;
    };
    expect(completed.assistant_text).toContain('shipped');
  });

  it("reports the endpoint's failure to the agent as a clean tool error", async () => {
    endpoint.handle((exchange, res) => sendJson(res, 404, { error: 'no such order' }));
    const s = await start(voice, false);
    const before = endpoint.exchanges.length;
    await turn(s, 'call lookup_order {"order_id": "B2"}', before + 1);
    const result = s.events.find((e) => e.type === 'prx.voice.agent.tool_result')?.data;
    expect(result).toMatchObject({ ok: false, error: { code: 'TOOL_FAILED' } });
    expect(JSON.stringify(result)).toContain('404');
  });

  it('refuses a private address unless the operator allows it', async () => {
    const s = await start(strict, false);
    const before = endpoint.exchanges.length;
    expect(
      (
        await s.api(`/sessions/${s.id}/turns`, 'POST', {
          text: 'call lookup_order {"order_id": "C3"}',
        })
      ).status,
    ).toBe(202);
    await vi.waitFor(
      async () => {
        h.clock.advance(500);
        await settle();
        expect(s.events.some((e) => e.type === 'prx.voice.turn.completed')).toBe(true);
      },
      { timeout: 10_000 },
    );
    expect(endpoint.exchanges.length).toBe(before);
    const result = s.events.find((e) => e.type === 'prx.voice.agent.tool_result')?.data;
    expect(result).toMatchObject({ ok: false, error: { code: 'TOOL_FAILED' } });
    expect(JSON.stringify(result)).toMatch(/only https:\/\/ URLs/);
  });
});
