/**
 * An assistant's conversation flow where the server composes it: a bad flow is a 400
 * naming the node and the field; a session from an assistant with a two-node flow, on
 * the mock agent (`call <function> <JSON>`), moves between nodes over a real WebSocket —
 * `agent.tool_call`, `agent.tool_result`, `flow.node_exited`, `flow.node_entered`, the
 * new node's line (its `{{placeholders}}` filled) — and its last node ends the call.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from '../testing/composed.js';
import type { VoiceControl } from '../voice-control.js';

let h: ControlHarness;
let voice: VoiceControl;
let base: string;
const server = createServer();

beforeAll(async () => {
  h = await createControlHarness();
  voice = composeVoiceControl(h);
  server.on('upgrade', voice.control.upgrade);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}, 60_000);

afterAll(async () => {
  voice.control.closeSockets(1001, 'bye');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await shutdownOnClock(h, voice);
});

/** A two-node booking flow (plus a closing node) for the mock agent. */
const FLOW = {
  initial_node: 'greeting',
  nodes: {
    greeting: {
      role_messages: ['You are the host of {{restaurant}}.'],
      task_messages: ['Ask how many people are coming.'],
      functions: [
        {
          name: 'set_party_size',
          description: 'Record the party size.',
          parameters: {
            type: 'object',
            properties: { size: { type: 'integer', minimum: 1 } },
            required: ['size'],
          },
          transition_to: 'booking',
        },
      ],
    },
    booking: {
      task_messages: ['Ask for the time.'],
      pre_actions: [{ type: 'say', text: 'Lovely, a table at {{restaurant}}.' }],
      functions: [
        {
          name: 'book',
          description: 'Book the table.',
          parameters: { type: 'object', properties: { time: { type: 'string' } } },
          transition_on: { field: 'time', cases: { '19:00': 'done' } },
        },
      ],
      context_strategy: 'reset_with_summary',
    },
    done: { pre_actions: [{ type: 'say', text: 'Booked. Goodbye!' }, { type: 'end_call' }] },
  },
};

let who: { tenant: { id: string }; token: string } | undefined;

async function api(path: string, method = 'GET', body?: unknown) {
  if (who === undefined) {
    const tenant = await h.tenant('growth');
    who = { tenant, token: await h.key(tenant.id, 'tenant_admin') };
  }
  const { tenant, token } = who;
  const res = await h.request(
    `/api/v1${path}`,
    { method, token, ...(body === undefined ? {} : { body }) },
    voice.control,
  );
  const json = (await res.json()) as {
    data: Record<string, unknown>;
    error?: { code: string; message: string; details?: { issues?: { path: string }[] } };
  };
  return { status: res.status, body: json, token, tenant };
}

describe('an assistant’s flow, validated at load', () => {
  it.each([
    [
      'a transition to a node that does not exist',
      {
        ...FLOW,
        nodes: {
          ...FLOW.nodes,
          done: { task_messages: ['Bye.'] },
          booking: { functions: [{ name: 'go', description: 'Go.', transition_to: 'nowhere' }] },
        },
      },
      'flow.nodes.booking.functions.0.transition_to',
      /node "booking": function "go" transitions to "nowhere"/,
    ],
    [
      'a node no transition reaches',
      { ...FLOW, nodes: { ...FLOW.nodes, attic: { task_messages: ['Unused.'] } } },
      'flow.nodes.attic',
      /node "attic" is unreachable from the initial node "greeting"/,
    ],
    ['a missing initial node', { nodes: FLOW.nodes }, 'flow.initial_node', /.+/],
    [
      'a tool the assistant does not have',
      {
        ...FLOW,
        nodes: {
          ...FLOW.nodes,
          booking: {
            ...FLOW.nodes.booking,
            functions: [{ ...FLOW.nodes.booking.functions[0], tool: 'reserve' }],
          },
        },
      },
      'flow.nodes.booking.functions.0.tool',
      /runs tool "reserve", which is not one of the assistant's tools \(it has none\)/,
    ],
  ])('refuses %s with 400 naming the node and field', async (_what, flow, path, message) => {
    const r = await api('/assistants', 'POST', { name: 'Bad', flow });
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe('VALIDATION_FAILED');
    expect(r.body.error?.details?.issues?.map((i) => i.path)).toContain(path);
    expect(r.body.error?.message).toMatch(message);
    expect(r.body.error?.message).toContain(path);
  });

  it('refuses a change that breaks the flow (PATCH), and keeps the stored version', async () => {
    const created = await api('/assistants', 'POST', { name: 'Host', flow: FLOW });
    expect(created.status).toBe(201);
    const id = String(created.body.data['id']);
    const patched = await api(`/assistants/${id}`, 'PATCH', {
      flow: { ...FLOW, initial_node: 'lobby' },
    });
    expect(patched.status).toBe(400);
    expect(patched.body.error?.message).toMatch(/flow\.initial_node.*"lobby" is not a node/);
    const stored = await api(`/assistants/${id}`);
    expect(stored.body.data['version']).toBe(1);
    expect((stored.body.data['flow'] as { initial_node: string }).initial_node).toBe('greeting');
  });

  it('refuses an inline session flow whose function names a tool the session lacks', async () => {
    const r = await api('/sessions', 'POST', {
      channel: 'websocket',
      flow: {
        initial_node: 'only',
        nodes: { only: { functions: [{ name: 'f', description: 'F.', tool: 'lookup' }] } },
      },
    });
    expect(r.status).toBe(400);
    expect(r.body.error?.details?.issues?.map((i) => i.path)).toEqual([
      'flow.nodes.only.functions.0.tool',
    ]);
  });
});

/** A client on the session's WebSocket, keeping every CloudEvent it receives. */
async function connect(id: string, token: string) {
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const ws = new WebSocket(`ws://${base}/api/v1/ws/${id}?token=${token}`);
  ws.on('message', (d: Buffer, binary: boolean) => {
    if (!binary) events.push(JSON.parse(d.toString('utf8')) as (typeof events)[number]);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, events };
}

/** Moves the simulated clock until `done` holds (the WebSocket frames travel in real time). */
async function until(done: () => boolean): Promise<void> {
  await vi.waitFor(
    async () => {
      h.clock.advance(100);
      await settle();
      expect(done()).toBe(true);
    },
    { timeout: 15_000, interval: 5 },
  );
}

describe('a two-node flow over the WebSocket', () => {
  it('moves between nodes on function results, says the lines and ends the call', async () => {
    const created = await api('/assistants', 'POST', {
      name: 'Host',
      system_prompt: 'Be brief.',
      flow: FLOW,
      variables: { restaurant: 'Chez Flow' },
    });
    expect(created.status).toBe(201);
    const session = await api('/sessions', 'POST', {
      channel: 'websocket',
      assistant_id: created.body.data['id'],
    });
    expect(session.status).toBe(201);
    const id = String(session.body.data['id']);
    await settle();
    const { ws, events } = await connect(id, session.token);
    const flowOf = (type: string) => events.filter((e) => e.type === type).map((e) => e.data);

    ws.send(JSON.stringify({ type: 'input.text', text: 'call set_party_size {"size": 4}' }));
    await until(() => flowOf('prx.voice.turn.completed').length === 1);
    const kinds = [
      'prx.voice.agent.tool_call',
      'prx.voice.agent.tool_result',
      'prx.voice.flow.node_exited',
      'prx.voice.flow.node_entered',
      'prx.voice.tts.segment_queued',
      'prx.voice.turn.completed',
    ];
    const first = events.filter((e) => kinds.includes(e.type));
    // (The initial node was entered as the session started, before the client attached.)
    expect(first.map((e) => e.type)).toEqual([
      'prx.voice.agent.tool_call',
      'prx.voice.agent.tool_result',
      'prx.voice.flow.node_exited',
      'prx.voice.flow.node_entered',
      'prx.voice.tts.segment_queued',
      'prx.voice.tts.segment_queued',
      'prx.voice.turn.completed',
    ]);
    expect(first[1]?.data).toMatchObject({ name: 'set_party_size', ok: true });
    expect(first[2]?.data).toEqual({
      node: 'greeting',
      to: 'booking',
      reason: 'transition_to',
      function: 'set_party_size',
    });
    expect(first[3]?.data).toEqual({
      node: 'booking',
      from: 'greeting',
      reason: 'transition_to',
      function: 'set_party_size',
    });
    expect(first[4]?.data).toMatchObject({ text: 'Lovely, a table at Chez Flow.' });
    const turn = flowOf('prx.voice.turn.completed')[0];
    expect(String(turn?.['assistant_text'])).toMatch(/^Lovely, a table at Chez Flow\. You said:/);

    // In the booking node, a result's field chooses the last node, whose actions end the call.
    ws.send(JSON.stringify({ type: 'input.text', text: 'call book {"time": "19:00"}' }));
    await until(() => flowOf('prx.voice.session.closed').length === 1);
    expect(flowOf('prx.voice.flow.node_exited').at(-1)).toEqual({
      node: 'booking',
      to: 'done',
      reason: 'transition_on',
      function: 'book',
    });
    expect(flowOf('prx.voice.turn.completed').at(-1)).toMatchObject({
      assistant_text: 'Booked. Goodbye!',
    });
    expect(flowOf('prx.voice.session.closed')).toMatchObject([
      { outcome: 'completed', reason: 'flow_end_call' },
    ]);
    const row = await api(`/sessions/${id}`);
    expect(row.body.data['assistant_id']).toBe(created.body.data['id']);
    ws.close();
  });
});
