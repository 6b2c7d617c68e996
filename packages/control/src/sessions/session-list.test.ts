/**
 * `GET /sessions?tenant_id=` over HTTP: a platform admin lists any tenant's
 * sessions (the console's tenant picker); a tenant's key lists its own and is
 * refused another's; a malformed id is a validation error; the filter is in the
 * OpenAPI document. A list right after a session ended here shows how it ended.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionId, TenantId } from '@prx-voice/types';
import {
  composeVoiceControl,
  settle,
  shutdownOnClock,
  shutdownVoice,
} from '../testing/composed.js';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import type { VoiceControl } from '../voice-control.js';

let h: ControlHarness;
let voice: VoiceControl;
const t = { a: '', b: '' };
const keys = { a: '', b: '', platform: '' };
const sessions = { a: '', b: '' };

async function get(path: string, token: string): Promise<{ status: number; body: never }> {
  const res = await h.request(`/api/v1/${path}`, { token }, voice.control);
  return { status: res.status, body: (await res.json()) as never };
}

beforeAll(async () => {
  h = await createControlHarness();
  voice = composeVoiceControl(h);
  for (const side of ['a', 'b'] as const) {
    t[side] = (await h.tenant()).id;
    keys[side] = await h.key(t[side], 'tenant_admin');
    const res = await h.request(
      '/api/v1/sessions',
      { method: 'POST', token: keys[side], body: { channel: 'websocket' } },
      voice.control,
    );
    expect(res.status).toBe(201);
    sessions[side] = ((await res.json()) as { data: { id: string } }).data.id;
  }
  keys.platform = await h.key((await h.tenant()).id, 'platform_admin');
  await settle();
}, 60_000);

afterAll(() => shutdownOnClock(h, voice));

type Page = { data: { items: { id: string; tenant_id: string }[] } };

describe('GET /sessions right after a session ended on this instance', () => {
  it('waits for its final state to be stored, then lists it as it ended', async () => {
    const writer = h.db.repos.sessionStateWriter;
    const gate = { hold: false, release: (): void => undefined };
    let held = Promise.resolve();
    const gated = composeVoiceControl(
      h,
      { deploy: { instance_id: 'list-gated' } },
      {
        repos: {
          ...h.db.repos,
          sessionStateWriter: {
            advanceMany: async (updates) => {
              if (gate.hold) await held;
              return writer.advanceMany(updates);
            },
          },
        },
      },
    );
    const tenant = (await h.tenant()).id as TenantId;
    const key = await h.key(tenant, 'tenant_admin');
    const created = await h.request(
      '/api/v1/sessions',
      { method: 'POST', token: key, body: { channel: 'websocket' } },
      gated.control,
    );
    const id = ((await created.json()) as { data: { id: SessionId } }).data.id;
    await settle();
    gate.hold = true;
    held = new Promise<void>((resolve) => (gate.release = resolve));
    await gated.manager.command(tenant, id, 'end');
    let answered = false;
    const listing = h.request('/api/v1/sessions', { token: key }, gated.control).then((res) => {
      answered = true;
      return res.json() as Promise<{ data: { items: { id: string; state: string }[] } }>;
    });
    await settle();
    // The row still says Listening: the list waits rather than show it.
    expect(answered).toBe(false);
    gate.hold = false;
    gate.release();
    const listed = await listing;
    expect(listed.data.items.map((s) => [s.id, s.state])).toEqual([[id, 'Closed']]);
    await shutdownVoice(h, gated);
  });
});

describe('GET /sessions?tenant_id=', () => {
  it("lets a platform admin list another tenant's sessions", async () => {
    const { status, body } = await get(`sessions?tenant_id=${t.a}`, keys.platform);
    expect(status).toBe(200);
    const items = (body as Page).data.items;
    expect(items.map((s) => s.id)).toEqual([sessions.a]);
    expect(items.every((s) => s.tenant_id === t.a)).toBe(true);
    // Without the filter: the platform admin's own tenant, which has none.
    expect(((await get('sessions', keys.platform)).body as Page).data.items).toEqual([]);
  });

  it("refuses a tenant's key another tenant's sessions, and lists its own", async () => {
    const refused = await get(`sessions?tenant_id=${t.a}`, keys.b);
    expect(refused.status).toBe(403);
    expect((refused.body as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    const own = await get(`sessions?tenant_id=${t.b}`, keys.b);
    expect(own.status).toBe(200);
    expect((own.body as Page).data.items.map((s) => s.id)).toEqual([sessions.b]);
  });

  it('says a malformed tenant id is invalid', async () => {
    const bad = await get('sessions?tenant_id=nope', keys.platform);
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
  });

  it('is documented', async () => {
    const doc = (await (await h.request('/api/v1/openapi.json', {}, voice.control)).json()) as {
      paths: Record<string, { get?: { parameters?: { name: string }[] } }>;
    };
    const names = doc.paths['/sessions']?.get?.parameters?.map((p) => p.name);
    expect(names).toContain('tenant_id');
  });
});
