/**
 * Handoff to a person through the composed server, over real sockets: the route on a
 * session WebSocket (the client gets `handoff_requested` with the target, then the
 * session closes as handed off), the route on a Twilio Media Streams call (the live call
 * is updated through a local server speaking Twilio's REST API, with `<Dial>` TwiML),
 * the assistant's `transfer_call` tool through the mock agent, a REST failure or timeout
 * (`handoff_failed`, the caller hears the failure line and the conversation goes on),
 * a handoff to another assistant, and bad requests (400 naming the field, 404, 409).
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { TenantRow } from '@prx-voice/storage';
import { twilioSignature } from '@prx-voice/transport';
import {
  createTwilioClientScript,
  parseTwilioOutbound,
  startTwilioApiServer,
} from '@prx-voice/transport/testing';
import type { TwilioApiServer } from '@prx-voice/transport/testing';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from '../testing/composed.js';
import type { VoiceControl } from '../voice-control.js';

const PUBLIC = 'https://voice.example.com';
const AUTH_TOKEN = 'twilio-auth-token-for-handoff-tests';
const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const DESK = { type: 'phone', number: '+14155550100' } as const;

let h: ControlHarness;
let voice: VoiceControl;
let twilioApi: TwilioApiServer;
let server: ReturnType<typeof serve>;
let base: string;
let tenant: TenantRow;
let token: string;

beforeAll(async () => {
  h = await createControlHarness();
  twilioApi = await startTwilioApiServer({ accountSid: ACCOUNT, authToken: AUTH_TOKEN });
  tenant = await h.tenant('growth');
  token = await h.key(tenant.id, 'tenant_admin');
  voice = composeVoiceControl(h, {
    server: { shutdown_timeout_ms: 0, public_url: PUBLIC },
    adapters: {
      asr: { provider: 'mock' },
      agent: { provider: 'mock' },
      tts: { provider: 'mock' },
      vad: { provider: 'energy' },
      providers: {
        twilio: {
          auth_token: AUTH_TOKEN,
          tenant: tenant.slug,
          api_base_url: twilioApi.url,
          request_timeout_ms: 2_000,
        },
      },
    },
    session: { handoff: { failure_message: 'Sorry, nobody can take the call.' } },
  });
  server = serve({ fetch: voice.control.app.fetch, port: 0, hostname: '127.0.0.1' });
  server.on('upgrade', voice.control.upgrade);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  base = `127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}, 60_000);

afterAll(async () => {
  voice.control.closeSockets(1001, 'bye');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await twilioApi.close();
  await shutdownOnClock(h, voice);
});

async function api(path: string, method = 'GET', body?: unknown) {
  const res = await fetch(`http://${base}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      data: Record<string, unknown>;
      error: { code: string; message: string; details: Record<string, unknown> } | null;
    },
  };
}

/** Moves the simulated clock in steps until `done` holds (real I/O runs in between). */
async function until(done: () => boolean, stepMs = 20, maxSteps = 2_000): Promise<void> {
  for (let i = 0; i < maxSteps && !done(); i++) {
    h.clock.advance(stepMs);
    await settle();
    if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  expect(done()).toBe(true);
}

/** The events of a live session, from now on. */
function watch(id: string): AnyVoiceEvent[] {
  const events: AnyVoiceEvent[] = [];
  voice.manager
    .live(tenant.id as TenantId, id as SessionId)
    ?.emitter.addSink((e) => events.push(e));
  return events;
}
const dataOf = (events: readonly AnyVoiceEvent[], type: string) =>
  events.filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);

/** A session on the session WebSocket, its frames collected. */
async function websocketSession(assistantId?: string) {
  const created = await api('/sessions', 'POST', {
    channel: 'websocket',
    ...(assistantId === undefined ? {} : { assistant_id: assistantId }),
  });
  expect(created.status).toBe(201);
  const id = created.body.data['id'] as string;
  const ws = new WebSocket(`ws://${base}/api/v1/ws/${id}?token=${token}`);
  const frames: { type: string; data: Record<string, unknown> }[] = [];
  let closed: number | undefined;
  ws.on('message', (d: Buffer, binary: boolean) => {
    if (!binary) frames.push(JSON.parse(d.toString('utf8')) as (typeof frames)[number]);
  });
  ws.on('close', (code) => (closed = code));
  await new Promise((resolve) => ws.once('open', resolve));
  await until(() => voice.manager.live(tenant.id as TenantId, id as SessionId)?.attached === true);
  const events = watch(id);
  return { id, ws, frames, events, closed: () => closed };
}

/** A Twilio call: the signed webhook, then its media stream started with the call's SIDs. */
async function twilioCall(callSid: string) {
  const form = { CallSid: callSid, AccountSid: ACCOUNT, From: '+14155550123', To: '+14155550199' };
  const res = await fetch(`http://${base}/telephony/twilio/voice`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(AUTH_TOKEN, `${PUBLIC}/telephony/twilio/voice`, form),
    },
    body: new URLSearchParams(form).toString(),
  });
  expect(res.status).toBe(200);
  const twiml = await res.text();
  const params = Object.fromEntries(
    [...twiml.matchAll(/<Parameter name="([^"]+)" value="([^"]+)"\s*\/>/g)].map((m) => [
      m[1],
      m[2],
    ]),
  ) as Record<string, string>;
  const id = params['session_id'] ?? '';
  const events = watch(id);
  const ws = new WebSocket(`ws://${base}/telephony/twilio/stream`);
  const outbound: ReturnType<typeof parseTwilioOutbound>[] = [];
  ws.on('message', (d: Buffer) => outbound.push(parseTwilioOutbound(d.toString('utf8'))));
  await new Promise((resolve) => ws.once('open', resolve));
  const script = createTwilioClientScript({
    customParameters: params,
    callSid,
    accountSid: ACCOUNT,
  });
  ws.send(script.connected());
  ws.send(script.start());
  await until(() => voice.manager.live(tenant.id as TenantId, id as SessionId)?.attached === true);
  return { id, ws, script, events, outbound };
}

describe('POST /sessions/{id}/handoff', () => {
  it('on the session WebSocket: the client gets the target, then the session closes as handed off', async () => {
    const s = await websocketSession();
    const res = await api(`/sessions/${s.id}/handoff`, 'POST', {
      target: { type: 'sip', uri: 'sip:desk@pbx.example.com' },
      reason: 'billing question',
    });
    expect(res.status).toBe(202);
    await until(() => s.closed() !== undefined);
    const types = s.frames.map((f) => f.type);
    expect(s.frames.find((f) => f.type === 'prx.voice.session.handoff_requested')?.data).toEqual({
      target: { type: 'sip', uri: 'sip:desk@pbx.example.com' },
      reason: 'billing question',
      trigger: 'api',
      from: 'Listening',
    });
    expect(types.indexOf('prx.voice.session.handoff_requested')).toBeLessThan(
      types.indexOf('prx.voice.session.handoff_completed'),
    );
    expect(s.frames.find((f) => f.type === 'prx.voice.session.closed')?.data).toMatchObject({
      outcome: 'handoff',
    });
    expect(s.closed()).toBe(1000);
    await until(() => voice.manager.live(tenant.id as TenantId, s.id as SessionId) === undefined);
    const row = await api(`/sessions/${s.id}`);
    expect(row.body.data).toMatchObject({ state: 'Closed', outcome: 'handoff' });
    // Ended: nothing to hand off any more.
    const again = await api(`/sessions/${s.id}/handoff`, 'POST', { target: DESK });
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe('SESSION_STATE_CONFLICT');
  });

  it('refuses bad targets naming the field, unknown sessions and assistants, a second handoff', async () => {
    const s = await websocketSession();
    const bad = async (body: unknown, field: string) => {
      const res = await api(`/sessions/${s.id}/handoff`, 'POST', body);
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(res.body.error)).toContain(field);
    };
    await bad({ target: { type: 'phone', number: '555-0100' } }, 'target.number');
    await bad({ target: { type: 'sip', uri: 'http://desk' } }, 'target.uri');
    await bad({ target: { type: 'fax', number: '+14155550100' } }, 'target.type');
    await bad({ target: DESK, extra: 1 }, 'extra');
    const nobody = await api(`/sessions/${s.id}/handoff`, 'POST', {
      target: { type: 'assistant', assistant_id: 'ast_01jgz5r3p8x4k2m6n7q9s0t1v2' },
    });
    expect(nobody.status).toBe(404);
    await bad(
      {
        target: { type: 'assistant', assistant_id: 'ast_01jgz5r3p8x4k2m6n7q9s0t1v2', context: 'x' },
      },
      'target.context',
    );
    const unknown = await api('/sessions/sess_01jgz5r3p8x4k2m6n7q9s0t1v2/handoff', 'POST', {
      target: DESK,
    });
    expect(unknown.status).toBe(404);
    expect(dataOf(s.events, 'prx.voice.session.handoff_requested')).toEqual([]);
    // Paused: the state machine refuses a handoff.
    expect((await api(`/sessions/${s.id}/pause`, 'POST')).status).toBe(200);
    const paused = await api(`/sessions/${s.id}/handoff`, 'POST', { target: DESK });
    expect(paused.status).toBe(409);
    expect(paused.body.error?.message).toMatch(/Paused/);
    s.ws.close();
  });

  it('hands the session to another assistant: it takes over at the next turn boundary', async () => {
    const next = await api('/assistants', 'POST', {
      name: 'desk',
      system_prompt: 'You are the front desk.',
      first_message: 'Front desk here.',
    });
    expect(next.status).toBe(201);
    const assistantId = next.body.data['id'] as string;
    const s = await websocketSession();
    const res = await api(`/sessions/${s.id}/handoff`, 'POST', {
      target: { type: 'assistant', assistant_id: assistantId, context: 'summary' },
    });
    expect(res.status).toBe(202);
    await until(() => dataOf(s.events, 'prx.voice.session.updated').length === 1);
    expect(dataOf(s.events, 'prx.voice.session.updated')[0]).toMatchObject({
      assistant_id: assistantId,
      context: 'summary',
    });
    const row = await api(`/sessions/${s.id}`);
    expect(row.body.data['assistant_id']).toBe(assistantId);
    expect(dataOf(s.events, 'prx.voice.session.handoff_requested')).toEqual([]);
    s.ws.close();
  });

  it('is in the OpenAPI document, guarded by session:end', async () => {
    const res = await fetch(`http://${base}/api/v1/openapi.json`);
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const op = doc.paths['/sessions/{session_id}/handoff']?.['post'];
    expect(op?.['x-permission']).toBe('session:end');
    expect(JSON.stringify(op?.['requestBody'])).toContain('assistant');
  });
});

describe('handoff of a Twilio call', () => {
  it('updates the live call with <Dial> TwiML through the REST API, and closes as handed off', async () => {
    const callSid = 'CA11111111111111111111111111111111';
    twilioApi.calls.add(callSid);
    const c = await twilioCall(callSid);
    const before = twilioApi.requests.length;
    const res = await api(`/sessions/${c.id}/handoff`, 'POST', { target: DESK });
    expect(res.status).toBe(202);
    await until(() => dataOf(c.events, 'prx.voice.session.closed').length > 0);
    const req = twilioApi.requests.slice(before);
    expect(req).toHaveLength(1);
    expect(req[0]).toMatchObject({
      method: 'POST',
      path: `/2010-04-01/Accounts/${ACCOUNT}/Calls/${callSid}.json`,
      authorization: `Basic ${Buffer.from(`${ACCOUNT}:${AUTH_TOKEN}`).toString('base64')}`,
      contentType: 'application/x-www-form-urlencoded',
      form: {
        Twiml:
          '<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Number>+14155550100</Number></Dial></Response>',
      },
    });
    expect(dataOf(c.events, 'prx.voice.session.handoff_completed')).toMatchObject([
      { target: DESK },
    ]);
    expect(dataOf(c.events, 'prx.voice.session.closed')).toMatchObject([{ outcome: 'handoff' }]);
    // Twilio then stops the stream: the session has already closed as handed off.
    c.ws.send(c.script.stop());
    c.ws.close();
  });

  it('a REST failure leaves the caller in the conversation: handoff_failed, the failure line, turns go on', async () => {
    const callSid = 'CA22222222222222222222222222222222';
    // Twilio does not know the call (404 20404): the transfer fails.
    const c = await twilioCall(callSid);
    const res = await api(`/sessions/${c.id}/handoff`, 'POST', { target: DESK });
    expect(res.status).toBe(202);
    await until(() => dataOf(c.events, 'prx.voice.session.handoff_failed').length > 0);
    const failed = dataOf(c.events, 'prx.voice.session.handoff_failed')[0];
    expect(failed).toMatchObject({
      target: DESK,
      reason: 'error',
      error: { code: 'PROVIDER_ERROR' },
    });
    expect((failed?.['error'] as { message: string }).message).toMatch(/404.*20404/);
    await until(() => dataOf(c.events, 'prx.voice.turn.completed').length > 0);
    expect(dataOf(c.events, 'prx.voice.turn.completed')[0]).toMatchObject({
      assistant_text: 'Sorry, nobody can take the call.',
    });
    expect(c.outbound.some((m) => m.event === 'media')).toBe(true);
    const turn = await api(`/sessions/${c.id}/turns`, 'POST', { text: 'fine, then help me' });
    expect(turn.status).toBe(202);
    await until(() => dataOf(c.events, 'prx.voice.turn.completed').length > 1);
    expect(dataOf(c.events, 'prx.voice.turn.completed')[1]).toMatchObject({
      assistant_text: 'You said: fine, then help me',
    });
    expect(dataOf(c.events, 'prx.voice.session.closed')).toEqual([]);
    c.ws.send(c.script.stop());
    c.ws.close();
  });

  it('a REST call that does not answer times out (request_timeout_ms) and the call goes on', async () => {
    const callSid = 'CA33333333333333333333333333333333';
    twilioApi.calls.add(callSid);
    const c = await twilioCall(callSid);
    twilioApi.fail({ kind: 'hang' });
    expect((await api(`/sessions/${c.id}/handoff`, 'POST', { target: DESK })).status).toBe(202);
    await until(() => dataOf(c.events, 'prx.voice.session.handoff_failed').length > 0, 100);
    expect(dataOf(c.events, 'prx.voice.session.handoff_failed')).toMatchObject([
      { reason: 'error', error: { code: 'PROVIDER_TIMEOUT' } },
    ]);
    expect(voice.manager.live(tenant.id as TenantId, c.id as SessionId)).toBeDefined();
    c.ws.send(c.script.stop());
    c.ws.close();
  });
});

describe('the transfer_call tool', () => {
  async function assistant() {
    const res = await api('/assistants', 'POST', {
      name: 'Front desk',
      transfer: {
        destinations: [
          { name: 'sales', description: 'the sales team', target: DESK },
          { name: 'support', target: { type: 'sip', uri: 'sip:support@pbx.example.com' } },
        ],
      },
    });
    expect(res.status).toBe(201);
    return res.body.data['id'] as string;
  }

  it('hands off to the destination the agent names', async () => {
    const s = await websocketSession(await assistant());
    const turn = await api(`/sessions/${s.id}/turns`, 'POST', {
      text: 'call transfer_call {"destination":"sales","reason":"wants a quote"}',
    });
    expect(turn.status).toBe(202);
    await until(() => s.closed() !== undefined);
    expect(dataOf(s.events, 'prx.voice.agent.tool_call')).toMatchObject([
      { name: 'transfer_call', arguments: { destination: 'sales' } },
    ]);
    expect(s.frames.find((f) => f.type === 'prx.voice.session.handoff_requested')?.data).toEqual({
      target: DESK,
      reason: 'wants a quote',
      trigger: 'tool',
      from: 'Thinking',
    });
    expect(dataOf(s.events, 'prx.voice.session.closed')).toMatchObject([{ outcome: 'handoff' }]);
    // The tool's own result is reported, though the handoff cancelled the run.
    expect(dataOf(s.events, 'prx.voice.agent.tool_result')).toMatchObject([
      { name: 'transfer_call', ok: true, result: { transferring: true, destination: 'sales' } },
    ]);
  });

  it('refuses a destination not in the list with a tool error the agent sees', async () => {
    const s = await websocketSession(await assistant());
    await api(`/sessions/${s.id}/turns`, 'POST', {
      text: 'call transfer_call {"destination":"the boss"}',
    });
    await until(() => dataOf(s.events, 'prx.voice.turn.completed').length > 0);
    const result = dataOf(s.events, 'prx.voice.agent.tool_result')[0];
    expect(result).toMatchObject({ name: 'transfer_call', ok: false });
    expect(JSON.stringify(result)).toMatch(/destination/);
    expect(dataOf(s.events, 'prx.voice.session.handoff_requested')).toEqual([]);
    expect(
      (dataOf(s.events, 'prx.voice.turn.completed')[0] as { assistant_text: string })
        .assistant_text,
    ).toMatch(/^The transfer_call tool returned: /);
    expect(
      voice.manager.live(tenant.id as TenantId, s.id as SessionId)?.actor.model.machine.value,
    ).toBe('Listening');
    s.ws.close();
  });
});
