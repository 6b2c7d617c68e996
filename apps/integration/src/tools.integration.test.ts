/**
 * Tools over the wire: a `prx-voice serve` process (mock ASR, agent and TTS; loopback
 * tools allowed by `agents.tools.allow_private_hosts` in its config.yaml) runs a stored
 * assistant, created over HTTP, whose tools are a tenant's HTTP endpoint (every request's
 * signature checked there as documented) and an MCP server built with the SDK (streamable
 * HTTP), both run by this test on 127.0.0.1. Over the session WebSocket (`input.text`
 * `call <tool> <JSON> then call <tool> <JSON>`, the mock agent's contract and its chain)
 * the assistant answers a question that needs both — the HTTP tool finds the order's
 * parcel, the MCP tool is called with it and says where the parcel is — with
 * `agent.tool_call` / `tool_result` events for both in the one turn, both results said
 * and stored, and in the conversation the next turn's agent reads. A barge-in during a slow call — speech over
 * the filler the tool asked for, or the `interrupt` frame — cancels it (the endpoint sees
 * its request dropped, the MCP server its call cancelled), unless the tool opted out
 * (`continue_on_interrupt`): that call finishes and its result joins the conversation.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { generateTone } from '@prx-voice/media';
import { startServerProcess } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import { startHttpToolEndpoint, startMcpToolEndpoint } from './support/tool-endpoints.ts';
import type { HttpToolEndpoint, McpToolEndpoint } from './support/tool-endpoints.ts';
import { connectWs } from './support/ws-client.ts';
import type { WsClient } from './support/ws-client.ts';

const KEY = 'pk_integration_tools_key_0123456789abcdef';
const FILLER = 'One moment please.';
const dir = mkdtempSync(join(tmpdir(), 'prx-tools-'));
let server: ServerProcess;
let http: HttpToolEndpoint;
let mcp: McpToolEndpoint;
let assistant: { id: string; version: number };

interface Envelope {
  data: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
}

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${KEY}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Envelope };
}

beforeAll(async () => {
  http = await startHttpToolEndpoint((path, args) =>
    path === '/orders' ? { order_id: args['order_id'], carrier: 'fjord', parcel: 'P9' } : {},
  );
  http.held.add('/cancel');
  http.held.add('/refund');
  mcp = await startMcpToolEndpoint();
  writeFileSync(
    join(dir, 'config.yaml'),
    ['agents:', '  tools:', '    allow_private_hosts: ["127.0.0.1"]', ''].join('\n'),
  );
  server = await startServerProcess(dir, {
    PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '300',
    PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
    PRX_VOICE_STORAGE__DATA_DIR: 'data',
    PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
    PRX_VOICE_ADAPTERS__AGENT__OPTIONS: JSON.stringify({ token_delay_ms: 2 }),
  });
  const order = { type: 'object', properties: { order_id: { type: 'string' } } };
  const created = await api('POST', '/assistants', {
    name: 'Orders desk',
    system_prompt: 'You help with orders.',
    tools: [
      {
        type: 'http',
        name: 'lookup_order',
        description: 'Looks an order up.',
        parameters: order,
        http: { url: `${http.url}/orders` },
      },
      {
        type: 'http',
        name: 'cancel_order',
        description: 'Cancels an order (slowly).',
        parameters: order,
        http: { url: `${http.url}/cancel`, timeout_ms: 30_000 },
        speak_while_waiting: FILLER,
      },
      {
        type: 'http',
        name: 'refund_order',
        description: 'Refunds an order; survives a barge-in.',
        parameters: order,
        http: { url: `${http.url}/refund`, timeout_ms: 30_000 },
        continue_on_interrupt: true,
      },
      { type: 'mcp', server: { url: mcp.url }, allow: ['track_parcel', 'slow_track'] },
    ],
  });
  expect(created.status, JSON.stringify(created.json.error)).toBe(201);
  const data = created.json.data ?? {};
  http.secret = String(data['tool_signing_secret']);
  assistant = { id: String(data['id']), version: Number(data['version']) };
}, 120_000);

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  await Promise.all([http.close(), mcp.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** A session of the assistant, its WebSocket open. */
async function session(): Promise<{ id: string; ws: WsClient }> {
  const created = await api('POST', '/sessions', { assistant_id: assistant.id });
  expect(created.status, JSON.stringify(created.json.error)).toBe(201);
  const id = String(created.json.data?.['id']);
  const ws = await connectWs(`${String(created.json.data?.['ws_url'])}?token=${KEY}`);
  return { id, ws };
}

const say = (ws: WsClient, text: string) =>
  ws.ws.send(JSON.stringify({ type: 'input.text', text }));
const dataOf = (e: AnyVoiceEvent) => e.data as Record<string, unknown>;
const ofType = (ws: WsClient, type: string) => ws.events.filter((e) => e.type === type).map(dataOf);
/** Words as the mock agent counts them for its prompt tokens. */
const words = (text: string) => text.split(/\s+/).filter((w) => w !== '').length;

/** Speech over the bot, in real time (the interruption policy counts its duration). */
async function speak(ws: WsClient, frames: number): Promise<void> {
  const tone = generateTone({
    sampleRate: 16000,
    frequencyHz: 300,
    durationMs: 20,
    amplitude: 0.3,
  });
  const speech = Buffer.from(tone.samples.buffer, tone.samples.byteOffset, tone.samples.byteLength);
  for (let i = 0; i < frames; i++) {
    ws.ws.send(speech);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function end(ws: WsClient): Promise<void> {
  ws.ws.send(JSON.stringify({ type: 'end' }));
  await ws.closed;
}

describe('an assistant with an HTTP tool and an MCP tool, over the wire', () => {
  it('answers a question that needs both: tool events, signed requests, both results said, stored and read by the next turn', async () => {
    const { id, ws } = await session();
    const before = http.requests.length;
    // Where is my order? The HTTP tool finds its carrier and parcel, the MCP server knows
    // where that parcel is: one answer, the second call made from the first result.
    const q1 =
      'call lookup_order {"order_id": "A1"} then call track_parcel {"carrier": "{{carrier}}", "parcel": "{{parcel}}"}';
    say(ws, q1);
    const first = dataOf(await ws.waitFor('prx.voice.turn.completed'));
    const request = await http.request(before + 1);
    expect(request.signed).toBe(true);
    expect(request.path).toBe('/orders');
    expect(request.headers['x-prx-session-id']).toBe(id);
    const calls = ofType(ws, 'prx.voice.agent.tool_call');
    expect(calls).toMatchObject([
      { name: 'lookup_order', arguments: { order_id: 'A1' } },
      { name: 'track_parcel', arguments: { carrier: 'fjord', parcel: 'P9' } },
    ]);
    expect(request.headers['x-prx-call-id']).toBe(calls[0]?.['call_id']);
    expect(mcp.seen.calls).toContain('track_parcel');
    expect(ofType(ws, 'prx.voice.agent.tool_result')).toMatchObject([
      { name: 'lookup_order', ok: true, call_id: calls[0]?.['call_id'] },
      { name: 'track_parcel', ok: true, call_id: calls[1]?.['call_id'] },
    ]);
    // Both calls ran in the one turn, before its answer.
    const turnOf = (type: string) =>
      ws.events.filter((e) => e.type === type).map((e) => e['prxturnid']);
    const [turnId] = turnOf('prx.voice.turn.completed');
    expect(turnId).toBeDefined();
    expect(turnOf('prx.voice.agent.tool_call')).toEqual([turnId, turnId]);
    const result1 = '{"order_id":"A1","carrier":"fjord","parcel":"P9"}';
    const result2 = 'fjord parcel P9 is in Oslo, due Tuesday';
    const a1 = String(first['assistant_text']);
    expect(a1).toBe(
      `The lookup_order tool returned: ${result1} The track_parcel tool returned: ${result2}`,
    );
    // The next turn's agent read the whole conversation, both results included: the mock
    // agent counts its prompt's words (the system prompt, the question, both results, the
    // answer, the next question).
    const q2 = 'thanks';
    const second = ws.next('prx.voice.turn.completed');
    say(ws, q2);
    const a2 = String(dataOf(await second)['assistant_text']);
    expect(a2).toBe('You said: thanks');
    const prompts = ofType(ws, 'prx.voice.governance.usage_recorded')
      .filter((u) => u['meter'] === 'agent_prompt_tokens')
      .map((u) => Number(u['quantity']));
    const system = words('You help with orders.');
    expect(prompts.at(-1)).toBe(
      system + words(q1) + words(result1) + words(result2) + words(a1) + words(q2),
    );
    await end(ws);
    const stored = await api('GET', `/sessions/${id}/turns`);
    expect(stored.json.data?.['items']).toMatchObject([
      { user_text: q1, assistant_text: a1, interrupted: false },
      { user_text: q2, assistant_text: a2, interrupted: false },
    ]);
    const row = await api('GET', `/sessions/${id}`);
    expect(row.json.data).toMatchObject({
      assistant_id: assistant.id,
      assistant_version: assistant.version,
    });
  }, 120_000);

  it('speech over the filler of a slow call cancels it: the endpoint sees its request dropped', async () => {
    const { id, ws } = await session();
    const before = http.requests.length;
    say(ws, 'call cancel_order {"order_id": "A1"}');
    const request = await http.request(before + 1);
    expect(request.path).toBe('/cancel');
    // The call outlasts the grace: the filler is said (and heard) while it runs.
    await ws.waitFor('prx.voice.playback.started');
    // Real time passes while the filler plays (the server paces it): speech this soon after
    // the first audio could still count as the caller going on with the turn on a loaded machine.
    await new Promise((r) => setTimeout(r, 400));
    await speak(ws, 40);
    expect(await request.abandoned).toBe(true);
    const issued = dataOf(await ws.waitFor('prx.voice.interrupt.issued'));
    expect(issued['reason']).toBe('barge_in');
    expect(String(issued['heard_text'])).not.toBe('');
    expect(FILLER.startsWith(String(issued['heard_text']))).toBe(true);
    const completed = dataOf(await ws.waitFor('prx.voice.turn.completed'));
    expect(completed).toMatchObject({ interrupted: true, assistant_text: issued['heard_text'] });
    // The cancelled call is answered (as cancelled) for the conversation, after the fact.
    expect(dataOf(await ws.waitFor('prx.voice.agent.tool_result'))).toMatchObject({
      name: 'cancel_order',
      ok: false,
    });
    await end(ws);
    const stored = await api('GET', `/sessions/${id}/turns`);
    const items = stored.json.data?.['items'] as Record<string, unknown>[];
    expect(items[0]).toMatchObject({ interrupted: true, assistant_text_generated: FILLER });
  }, 120_000);

  it('the interrupt frame during a slow MCP call cancels it on the MCP server', async () => {
    const { ws } = await session();
    say(ws, 'call slow_track {}');
    await mcp.slowStarted();
    ws.ws.send(JSON.stringify({ type: 'interrupt' }));
    expect(dataOf(await ws.waitFor('prx.voice.interrupt.issued'))['reason']).toBe('client');
    expect(dataOf(await ws.waitFor('prx.voice.agent.tool_result'))).toMatchObject({
      name: 'slow_track',
      ok: false,
    });
    for (let i = 0; i < 100 && !mcp.seen.cancelled.includes('slow_track'); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(mcp.seen.cancelled).toEqual(['slow_track']);
    await end(ws);
  }, 120_000);

  it('a tool that opted out finishes after the interrupt; its result joins the conversation', async () => {
    const { ws } = await session();
    const before = http.requests.length;
    const q1 = 'call refund_order {"order_id": "A1"}';
    say(ws, q1);
    const request = await http.request(before + 1);
    expect(request.path).toBe('/refund');
    ws.ws.send(JSON.stringify({ type: 'interrupt' }));
    await ws.waitFor('prx.voice.interrupt.issued');
    expect(dataOf(await ws.waitFor('prx.voice.turn.completed'))['interrupted']).toBe(true);
    const refund = { refund: 'approved', note: 'money back within five days' };
    request.answer(refund);
    expect(await request.abandoned).toBe(false);
    expect(dataOf(await ws.waitFor('prx.voice.agent.tool_result'))).toMatchObject({
      name: 'refund_order',
      ok: true,
    });
    const q2 = 'is it done';
    const next = ws.next('prx.voice.turn.completed');
    say(ws, q2);
    expect(dataOf(await next)['assistant_text']).toBe(`You said: ${q2}`);
    // The next turn's agent read the late result after its call.
    const prompts = ofType(ws, 'prx.voice.governance.usage_recorded')
      .filter((u) => u['meter'] === 'agent_prompt_tokens')
      .map((u) => Number(u['quantity']));
    expect(prompts.at(-1)).toBe(
      words('You help with orders.') + words(q1) + words(JSON.stringify(refund)) + words(q2),
    );
    await end(ws);
  }, 120_000);
});
