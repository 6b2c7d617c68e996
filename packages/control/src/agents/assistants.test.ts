/**
 * Stored assistants where the server composes them: created, read, listed, changed (a new
 * version each time, optimistic with `?version=`), deleted; RBAC; a session created from
 * an assistant runs its prompt (placeholders filled from its variables, the session's
 * metadata and the request's variables), its language, providers and settings, and
 * records which version it ran; bad definitions are 400s naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from '../testing/composed.js';
import type { VoiceControl } from '../voice-control.js';

let h: ControlHarness;
let voice: VoiceControl;

beforeAll(async () => {
  h = await createControlHarness();
  voice = composeVoiceControl(h);
}, 60_000);

afterAll(() => shutdownOnClock(h, voice));

interface Envelope<T> {
  data: T;
  error: { code: string; message: string; details?: Record<string, unknown> } | null;
}

async function client(
  role: 'tenant_admin' | 'workspace_viewer' | 'workspace_operator' = 'tenant_admin',
) {
  const tenant = await h.tenant('growth');
  const token = await h.key(tenant.id, role);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the data's shape
  const call = async <T>(path: string, method = 'GET', body?: unknown) => {
    const res = await h.request(
      `/api/v1${path}`,
      { method, token, ...(body === undefined ? {} : { body }) },
      voice.control,
    );
    return { status: res.status, ...((await res.json()) as Envelope<T>) };
  };
  return { tenantId: tenant.id as TenantId, tenant, call };
}

const BOOKER = {
  name: 'Table booker',
  system_prompt: 'You book tables at {{restaurant}} for {{caller_number}}.',
  first_message: 'Hello, {{restaurant}} here.',
  language: 'en-GB',
  providers: { tts: 'mock' },
  provider_options: { asr: { transcript: 'a table for two' } },
  endpointing: { min_delay_ms: 500, max_delay_ms: 2_000 },
  interruption: { min_words: 2 },
  limits: { max_turns: 20 },
  variables: { restaurant: 'Chez Test' },
};

describe('assistants', () => {
  it('are stored, versioned on every change, and deleted', async () => {
    const { call } = await client();
    const created = await call<{ id: string; version: number; name: string }>(
      '/assistants',
      'POST',
      BOOKER,
    );
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ ...BOOKER, version: 1 });
    const id = created.data.id;
    expect(id).toMatch(/^ast_/);
    const got = await call(`/assistants/${id}`);
    // The tool signing secret is shown once, on creation.
    const { tool_signing_secret: secret, ...shown } = created.data as Record<string, unknown>;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(got.data).toEqual(shown);
    const patched = await call<{ version: number }>(`/assistants/${id}?version=1`, 'PATCH', {
      first_message: null,
      system_prompt: 'Be brief.',
    });
    expect(patched.status).toBe(200);
    expect(patched.data).toMatchObject({ version: 2, system_prompt: 'Be brief.' });
    expect(patched.data).not.toHaveProperty('first_message');
    const stale = await call(`/assistants/${id}?version=1`, 'PATCH', { name: 'x' });
    expect([stale.status, stale.error?.code]).toEqual([409, 'CONFLICT']);
    const versions = await call<{ items: { version: number; system_prompt: string }[] }>(
      `/assistants/${id}/versions`,
    );
    expect(versions.data.items.map((v) => [v.version, v.system_prompt])).toEqual([
      [1, BOOKER.system_prompt],
      [2, 'Be brief.'],
    ]);
    expect((await call<{ items: unknown[] }>('/assistants')).data.items).toHaveLength(1);
    expect((await call(`/assistants/${id}`, 'DELETE')).status).toBe(200);
    expect((await call(`/assistants/${id}`)).status).toBe(404);
    expect((await call(`/assistants/${id}`, 'DELETE')).status).toBe(404);
    const log = await call<{ items: { action: string }[] }>('/audit?limit=50');
    expect(log.data.items.map((r) => r.action)).toEqual(
      expect.arrayContaining(['assistant.create', 'assistant.update', 'assistant.delete']),
    );
  });

  it('refuses bad definitions with the field named, and other tenants and roles', async () => {
    const { call } = await client();
    const other = await client();
    for (const [body, field] of [
      [{ ...BOOKER, name: '' }, 'name'],
      [{ ...BOOKER, language: 'english please' }, 'language'],
      [{ ...BOOKER, providers: { tts: 'Not A Name' } }, 'providers.tts'],
      [{ ...BOOKER, flux: true }, 'flux'],
      [{ ...BOOKER, tools: [{ type: 'carrier-pigeon' }] }, 'tools.0.type'],
    ] as const) {
      const res = await call('/assistants', 'POST', body);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.error)).toContain(field);
    }
    const created = await call<{ id: string }>('/assistants', 'POST', BOOKER);
    expect((await other.call(`/assistants/${created.data.id}`)).status).toBe(404);
    const viewer = await client('workspace_viewer');
    expect((await viewer.call('/assistants')).status).toBe(403);
    const operator = await client('workspace_operator');
    expect((await operator.call('/assistants')).status).toBe(200);
    expect((await operator.call('/assistants', 'POST', BOOKER)).status).toBe(403);
    // An assistant whose endpointing contradicts the server's is refused when a session starts.
    const odd = await call<{ id: string }>('/assistants', 'POST', {
      name: 'odd',
      endpointing: { max_delay_ms: 100 },
    });
    const refused = await call('/sessions', 'POST', {
      channel: 'websocket',
      assistant_id: odd.data.id,
    });
    expect([refused.status, refused.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect((await call<{ items: unknown[] }>('/sessions')).data.items).toEqual([]);
  });

  it('gives a session its prompt, language, providers and settings, and records the version', async () => {
    const { call, tenantId } = await client();
    const a = await call<{ id: string }>('/assistants', 'POST', BOOKER);
    await call(`/assistants/${a.data.id}`, 'PATCH', { limits: { max_turns: 10 } });
    const res = await call<{
      id: SessionId;
      language: string;
      providers: Record<string, string>;
      assistant_id: string;
      assistant_version: number;
    }>('/sessions', 'POST', {
      channel: 'websocket',
      assistant_id: a.data.id,
      metadata: { caller_number: '+15550100' },
      variables: { restaurant: 'Le Fil' },
      providers: { agent: 'mock' },
    });
    expect(res.status).toBe(201);
    expect(res.data).toMatchObject({
      language: 'en-GB',
      providers: { tts: 'mock', agent: 'mock' },
      assistant_id: a.data.id,
      assistant_version: 2,
    });
    await settle();
    const live = voice.manager.live(tenantId, res.data.id);
    const settings = live?.actor.model.settings;
    expect(settings?.systemPrompt).toBe('You book tables at Le Fil for +15550100.');
    expect(settings?.maxTurns).toBe(10);
    expect(settings?.endpointing).toMatchObject({ minDelayMs: 500, maxDelayMs: 2_000 });
    expect(settings?.interruption.minWords).toBe(2);
    expect(live?.providerOptions.asr).toMatchObject({ transcript: 'a table for two' });
    // The first message is said as the session starts listening: a turn with no user words.
    for (let i = 0; i < 60; i++) {
      h.clock.advance(100);
      await settle();
    }
    const turns = await call<{ items: { user_text: string | null; assistant_text: string }[] }>(
      `/sessions/${res.data.id}/turns`,
    );
    expect(turns.data.items[0]).toMatchObject({
      user_text: '',
      assistant_text: 'Hello, Le Fil here.',
    });
    const conversation = live?.actor.model.conversation ?? [];
    expect(conversation.map((m) => m.role)).toEqual(['system', 'assistant']);
    const unknown = await call('/sessions', 'POST', {
      channel: 'websocket',
      assistant_id: 'ast_01kdvdna00e008000000000000',
    });
    expect([unknown.status, unknown.error?.code]).toEqual([404, 'NOT_FOUND']);
  });
});
