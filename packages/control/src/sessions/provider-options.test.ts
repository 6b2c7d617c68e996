/**
 * Provider options are validated when a session is created (`POST /sessions`)
 * or updated (`session.update` over the WebSocket): an invalid option is a
 * VALIDATION_FAILED naming it, never a session that fails afterwards.
 */
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { defaultProviders } from '@prx-voice/adapter';
import { createEventBus, createEventLog } from '@prx-voice/event';
import { createAdmissionService } from '@prx-voice/policy';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { createSessionManager } from './session-manager.js';
import type { SessionManager } from './session-manager.js';
import { sessionRoutes } from './session-routes.js';
import { attachWebSocket } from './ws-attach.js';

/** Just what attachWebSocket uses of a `ws` socket. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: (string | Uint8Array)[] = [];
  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }
  close(): void {
    this.readyState = 3;
  }
}

interface Envelope {
  data: Record<string, unknown> | null;
  error: { code: string; message: string; details: Record<string, unknown> } | null;
}

let h: ControlHarness;
let manager: SessionManager;
const bus = createEventBus();

beforeAll(async () => {
  h = await createControlHarness();
  const log = createEventLog({ repos: h.db.repos, clock: h.clock, onError: () => undefined });
  manager = createSessionManager({
    config: h.config,
    clock: h.clock,
    ids: h.ids,
    repos: h.db.repos,
    admission: createAdmissionService({ coordinator: h.coordinator, clock: h.clock }),
    providers: defaultProviders({ clock: h.clock }),
    bus,
    log,
    instanceId: 'options-test',
  });
  h.control.mount(
    sessionRoutes({
      manager,
      repos: h.db.repos,
      bus,
      log,
      socket: { authenticator: h.control.authenticator, clock: h.clock, maxFrameBytes: 65_536 },
    }),
  );
});
afterAll(() => h.close());

async function create(token: string, body: unknown): Promise<{ status: number; json: Envelope }> {
  const res = await h.request('/api/v1/sessions', { method: 'POST', token, body });
  return { status: res.status, json: (await res.json()) as Envelope };
}

describe('provider options', () => {
  it('POST /sessions: an invalid mock option is a 400 VALIDATION_FAILED naming it, and no session', async () => {
    const tenant = await h.tenant('enterprise');
    const token = await h.key(tenant.id, 'workspace_developer');
    const before = manager.liveCount;
    const bad = await create(token, {
      providers: { asr: 'mock', agent: 'mock', tts: 'mock' },
      provider_options: { agent: { token_delay_ms: -1 } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('provider_options.agent.token_delay_ms') as string,
      details: {
        location: 'body',
        provider: 'mock',
        issues: [{ path: 'provider_options.agent.token_delay_ms' }],
      },
    });
    expect(manager.liveCount).toBe(before);
    const listed = await h.request('/api/v1/sessions', { token });
    expect(((await listed.json()) as { data: { items: unknown[] } }).data.items).toEqual([]);
    const wrongType = await create(token, { provider_options: { agent: { token_delay_ms: 'x' } } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.error?.message).toMatch(/token_delay_ms/);
  });

  it('POST /sessions: valid options are a 201', async () => {
    const tenant = await h.tenant('enterprise');
    const token = await h.key(tenant.id, 'workspace_developer');
    const ok = await create(token, {
      provider_options: {
        asr: { transcript: ['first', 'second'], partial_interval_ms: 100 },
        agent: { token_delay_ms: 5 },
      },
    });
    expect(ok.status).toBe(201);
    expect(ok.json.data).toMatchObject({ id: expect.any(String) as string, outcome: null });
  });

  it('session.update: an invalid option is a session.error naming it; the connection and session stay', async () => {
    const tenant = await h.tenant('enterprise');
    const key = await h.key(tenant.id, 'workspace_developer');
    const row = await manager.create(tenant.id as TenantId, { channel: 'websocket' });
    const ws = new FakeSocket();
    await attachWebSocket(
      {
        manager,
        authenticator: h.control.authenticator,
        clock: h.clock,
        maxFrameBytes: 65_536,
      },
      ws as unknown as WebSocket,
      {
        url: new URL(`http://localhost/api/v1/ws/${row.id}?token=${key}`),
        headers: {},
        params: { session_id: row.id },
      },
    );
    const errors = (): { code: string; message: string }[] =>
      ws.sent
        .filter((d): d is string => typeof d === 'string')
        .map((d) => JSON.parse(d) as { type: string; data: { code: string; message: string } })
        .filter((e) => e.type === 'prx.voice.session.error')
        .map((e) => e.data);
    const update = (providers: unknown): void => {
      ws.emit('message', Buffer.from(JSON.stringify({ type: 'session.update', providers })), false);
    };
    update({ agent: { token_delay_ms: -1 } });
    await new Promise<void>((r) => setImmediate(r));
    expect(errors()).toMatchObject([
      {
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('providers.agent.token_delay_ms') as string,
      },
    ]);
    update({ vad: { threshold: 2 } });
    await new Promise<void>((r) => setImmediate(r));
    expect(errors()[1]).toMatchObject({ code: 'VALIDATION_FAILED', message: /providers\.vad/ });
    // Valid options are taken: applied at the session's next turn boundary (it is listening now).
    update({ agent: { token_delay_ms: 5 } });
    await new Promise<void>((r) => setImmediate(r));
    expect(errors()).toHaveLength(2);
    expect(manager.live(tenant.id as TenantId, row.id as SessionId)?.providerOptions.agent).toEqual(
      { token_delay_ms: 5 },
    );
    expect(ws.readyState).toBe(1);
    expect(manager.live(tenant.id as TenantId, row.id as SessionId)).toBeDefined();
  });
});
