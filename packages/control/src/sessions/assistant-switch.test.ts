/**
 * Agent-to-agent handoff's mechanism through the composed server: `manager.switchAssistant`
 * moves a live session (attached over a real WebSocket) to another stored assistant at
 * its next turn boundary — its prompt (placeholders filled), voice, tools and first
 * message — with the conversation summarised into the new prompt; the old assistant's
 * MCP connection is closed, the new assistant's HTTP tool answers the next turn, and the
 * session's row names the new assistant. Bad targets are refused and change nothing.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { VoiceError } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { sendJson, startToolServer } from '../agents/testing/tool-server.js';
import type { ToolServer } from '../agents/testing/tool-server.js';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from '../testing/composed.js';
import { listenVoice, openSession } from '../testing/listen.js';
import type { ListeningVoice } from '../testing/listen.js';
import type { VoiceControl } from '../voice-control.js';

/** A streamable-HTTP MCP server with one tool, counting the sessions its clients end. */
async function startMcp(): Promise<{ url: string; deletes: () => number; close(): Promise<void> }> {
  let deletes = 0;
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http: Server = createServer((req, res) => {
    void (async () => {
      if (req.method === 'DELETE') deletes += 1;
      const sid = req.headers['mcp-session-id'];
      const known = typeof sid === 'string' ? sessions.get(sid) : undefined;
      if (known !== undefined) return known.handleRequest(req, res);
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, transport);
        },
        onsessionclosed: (id) => {
          sessions.delete(id);
        },
      });
      const server = new McpServer({ name: 'desk', version: '1.0.0' });
      server.registerTool(
        'opening_hours',
        { description: 'Opening hours.', inputSchema: { day: z.string() } },
        () => ({ content: [{ type: 'text', text: '9 to 5' }] }),
      );
      await server.connect(transport);
      await transport.handleRequest(req, res);
    })();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}/mcp`,
    deletes: () => deletes,
    async close() {
      await Promise.all([...sessions.values()].map((t) => t.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

let h: ControlHarness;
let voice: VoiceControl;
let server: ListeningVoice;
let endpoint: ToolServer;
let mcp: Awaited<ReturnType<typeof startMcp>>;

beforeAll(async () => {
  h = await createControlHarness();
  endpoint = await startToolServer();
  mcp = await startMcp();
  voice = composeVoiceControl(h, { agents: { tools: { allow_private_hosts: ['127.0.0.1'] } } });
  server = await listenVoice(voice);
}, 60_000);

afterAll(async () => {
  voice.control.closeSockets(1001, 'bye');
  await server.close();
  await endpoint.close();
  await mcp.close();
  await shutdownOnClock(h, voice);
});

async function until(done: () => boolean, step = 20, max = 3_000): Promise<void> {
  for (let i = 0; i < max && !done(); i++) {
    h.clock.advance(step);
    await settle();
    await new Promise((r) => setTimeout(r, 1));
  }
  expect(done()).toBe(true);
}

async function failure(p: Promise<unknown>): Promise<VoiceError> {
  try {
    await p;
  } catch (err) {
    if (VoiceError.is(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('switching a live session to another assistant', () => {
  it('applies prompt, voice, tools and first message at the boundary, summarising the conversation', async () => {
    endpoint.handle((_exchange, res) => sendJson(res, 200, { table: 'booked for 8' }));
    const tenant = await h.tenant('enterprise');
    const tenantId = tenant.id as TenantId;
    const token = await h.key(tenant.id, 'tenant_admin');
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return (await res.json()) as { data: Record<string, unknown> };
    };
    const desk = await api('POST', '/assistants', {
      name: 'Front desk',
      system_prompt: 'You are the front desk.',
      tools: [{ type: 'mcp', server: { url: mcp.url }, allow: ['opening_hours'] }],
    });
    const bookings = await api('POST', '/assistants', {
      name: 'Bookings',
      system_prompt: 'You take bookings for {{caller}}.',
      first_message: 'Bookings here, {{caller}}.',
      provider_options: { tts: { voice: 'bob' } },
      tools: [
        {
          type: 'http',
          name: 'book_table',
          description: 'Books a table.',
          parameters: { type: 'object', properties: { time: { type: 'string' } } },
          http: { method: 'POST', url: `${endpoint.url}/book` },
        },
      ],
    });
    const created = await api('POST', '/sessions', {
      channel: 'websocket',
      assistant_id: desk.data['id'],
    });
    const id = created.data['id'] as SessionId;
    const client = await openSession(String(created.data['ws_url']), token);
    await until(() => voice.manager.live(tenantId, id)?.actor.model.machine.value === 'Listening');
    const live = voice.manager.live(tenantId, id);
    expect(live?.tools?.registry.has('opening_hours')).toBe(true);

    // Bad targets change nothing.
    expect(
      (
        await failure(
          voice.manager.switchAssistant(tenantId, id, 'ast_01jgz5r3p8x4k2m6n7q9s0t1v2', {
            context: 'keep',
          }),
        )
      ).code,
    ).toBe('NOT_FOUND');
    expect(
      (
        await failure(
          voice.manager.switchAssistant(tenantId, id, String(bookings.data['id']), {
            context: 'bogus' as 'keep',
          }),
        )
      ).code,
    ).toBe('VALIDATION_FAILED');
    expect(live?.actor.model.pendingSettings).toBeNull();

    client.send({ type: 'input.text', text: 'I would like a table' });
    await until(() => client.data('prx.voice.playback.started').length > 0);
    // Asked while the bot speaks: it waits for the turn to end.
    await voice.manager.switchAssistant(tenantId, id, String(bookings.data['id']), {
      context: 'summary',
      variables: { caller: 'Ann' },
    });
    expect(live?.actor.model.pendingSettings).not.toBeNull();
    expect(client.data('prx.voice.session.updated')).toEqual([]);
    await until(() => client.data('prx.voice.turn.completed').length === 2);
    const updated = client.data('prx.voice.session.updated');
    expect(updated).toEqual([
      expect.objectContaining({
        changed: ['options.tts', 'system_prompt', 'tools', 'assistant'],
        voice: 'bob',
        context: 'summary',
        assistant_id: bookings.data['id'],
        assistant_version: 1,
      }),
    ]);
    // The first message is said once the switch applies.
    expect(client.data('prx.voice.turn.completed')[1]).toMatchObject({
      assistant_text: 'Bookings here, Ann.',
    });
    expect(live?.actor.model.conversation[0]).toEqual({
      role: 'system',
      content:
        'You take bookings for Ann.\n\nThe conversation so far (handed over; most recent last):\nCaller: I would like a table\nAssistant: You said: I would like a table',
    });
    // The old assistant's MCP session is ended; the new tools are the session's.
    await until(() => mcp.deletes() === 1);
    expect(live?.tools?.registry.has('opening_hours')).toBe(false);
    client.send({ type: 'input.text', text: 'call book_table {"time": "8pm"}' });
    await until(() => client.data('prx.voice.turn.completed').length === 3);
    expect(client.data('prx.voice.agent.tool_result')[0]).toMatchObject({
      name: 'book_table',
      ok: true,
    });
    expect(endpoint.exchanges.at(-1)?.url).toBe('/book');
    const got = await api('GET', `/sessions/${id}`);
    expect(got.data).toMatchObject({
      assistant_id: bookings.data['id'],
      assistant_version: 1,
      voice: 'bob',
      update_pending: false,
    });
    client.ws.close();
    await client.closed;
  });
});
