/**
 * `speak_while_waiting` where the server composes it: an assistant's HTTP tool with a
 * filler whose endpoint is slow gets the filler said while the request is open (after
 * `agents.tools.filler_grace_ms` of simulated time), and the filler is part of the turn's
 * text; the same tool answering within the grace says nothing.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { composeVoiceControl, jsonApi, settle, shutdownOnClock } from '../testing/composed.js';
import type { VoiceControl } from '../voice-control.js';
import { sendJson, startToolServer } from './testing/tool-server.js';
import type { ToolServer } from './testing/tool-server.js';

const FILLER = 'Let me look that up.';
const GRACE_MS = 500;

let h: ControlHarness;
let voice: VoiceControl;
let endpoint: ToolServer;

beforeAll(async () => {
  h = await createControlHarness();
  endpoint = await startToolServer();
  voice = composeVoiceControl(h, {
    agents: { tools: { allow_private_hosts: ['127.0.0.1'], filler_grace_ms: GRACE_MS } },
  });
}, 60_000);

afterAll(async () => {
  await endpoint.close();
  await shutdownOnClock(h, voice);
});

async function session() {
  const tenant = await h.tenant('growth');
  const token = await h.key(tenant.id, 'tenant_admin');
  const api = jsonApi(h, voice, token);
  const assistant = await api('/assistants', 'POST', {
    name: 'Orders',
    tools: [
      {
        type: 'http',
        name: 'lookup_order',
        description: 'Looks an order up by its id.',
        parameters: { type: 'object', properties: { order_id: { type: 'string' } } },
        http: { url: `${endpoint.url}/orders` },
        speak_while_waiting: FILLER,
      },
    ],
  });
  expect(assistant.status).toBe(201);
  expect(assistant.body.data['tools']).toMatchObject([{ speak_while_waiting: FILLER }]);
  const created = await api('/sessions', 'POST', { assistant_id: assistant.body.data['id'] });
  const id = created.body.data['id'] as SessionId;
  await settle();
  const events: AnyVoiceEvent[] = [];
  voice.manager.live(tenant.id as TenantId, id)?.emitter.addSink((e) => events.push(e));
  const of = (type: string) =>
    events.filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);
  return { api, id, of };
}

async function until(check: () => boolean, stepMs: number): Promise<void> {
  await vi.waitFor(
    async () => {
      h.clock.advance(stepMs);
      await settle();
      expect(check()).toBe(true);
    },
    { timeout: 10_000 },
  );
}

describe('speak_while_waiting through the composed server', () => {
  it('says the filler while a slow endpoint answers; it is part of the turn', async () => {
    let answer: ServerResponse | undefined;
    endpoint.handle((_exchange, res) => (answer = res));
    const s = await session();
    const before = endpoint.exchanges.length;
    expect(
      (await s.api(`/sessions/${s.id}/turns`, 'POST', { text: 'call lookup_order {}' })).status,
    ).toBe(202);
    await until(() => endpoint.exchanges.length > before, 10);
    expect(s.of('prx.voice.tts.segment_queued')).toEqual([]);
    // The grace passes on the simulated clock while the request is open: the filler is said.
    await until(() => s.of('prx.voice.tts.segment_queued').length > 0, 50);
    expect(s.of('prx.voice.tts.segment_queued').map((d) => d['text'])).toEqual([FILLER]);
    expect(s.of('prx.voice.agent.tool_result')).toEqual([]);
    if (answer === undefined) throw new Error('no request');
    sendJson(answer, 200, { status: 'shipped' });
    await until(() => s.of('prx.voice.turn.completed').length > 0, 200);
    expect(s.of('prx.voice.tts.segment_queued').map((d) => d['text'])).toEqual([
      FILLER,
      'The lookup_order tool returned: {"status":"shipped"}',
    ]);
    expect(s.of('prx.voice.turn.completed')[0]?.['assistant_text']).toBe(
      `${FILLER} The lookup_order tool returned: {"status":"shipped"}`,
    );
    const turns = await s.api(`/sessions/${s.id}/turns`);
    expect(turns.body.data['items']).toMatchObject([
      { assistant_text: `${FILLER} The lookup_order tool returned: {"status":"shipped"}` },
    ]);
  });

  it('says nothing when the endpoint answers within the grace', async () => {
    endpoint.handle((_exchange, res) => sendJson(res, 200, { status: 'shipped' }));
    const s = await session();
    expect(
      (await s.api(`/sessions/${s.id}/turns`, 'POST', { text: 'call lookup_order {}' })).status,
    ).toBe(202);
    // Simulated time creeps while the real request runs: it is back well within 500 ms.
    await until(() => s.of('prx.voice.agent.tool_result').length > 0, 1);
    await until(() => s.of('prx.voice.turn.completed').length > 0, 200);
    expect(s.of('prx.voice.tts.segment_queued').map((d) => d['text'])).toEqual([
      'The lookup_order tool returned: {"status":"shipped"}',
    ]);
  });

  it('refuses a blank filler, naming the field', async () => {
    const tenant = await h.tenant('growth');
    const token = await h.key(tenant.id, 'tenant_admin');
    const res = await h.request(
      '/api/v1/assistants',
      {
        method: 'POST',
        token,
        body: {
          name: 'Blank',
          tools: [
            {
              type: 'mcp',
              server: { url: 'https://mcp.example.com/mcp' },
              allow: ['lookup'],
              speak_while_waiting: '   ',
            },
          ],
        },
      },
      voice.control,
    );
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('speak_while_waiting');
  });
});
