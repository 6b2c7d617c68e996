/**
 * `GET /providers/health` over HTTP where the server composes it: each provider of
 * the configured chains with its breaker state and recent calls — a primary agent
 * that fails every run opens its breaker after three failures (error rate 1, then
 * calls refused) while its fallback answers — the last probe, the permission
 * (`metrics:read`: a viewer reads it, a billing viewer may not, no key is refused)
 * and its place in the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProviders, providerError } from '@prx-voice/adapter';
import { createFakeAgent } from '@prx-voice/adapter/testing';
import type { FakeAgentStep } from '@prx-voice/adapter/testing';
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { SessionId, TenantId } from '@prx-voice/types';
import { composeVoiceControl, settle, shutdownOnClock } from '../testing/composed.js';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import type { VoiceControl } from '../voice-control.js';
import type { providerHealthSchema } from './provider-health-routes.js';
import type { z } from 'zod';

type Health = z.infer<typeof providerHealthSchema>;

let h: ControlHarness;
let voice: VoiceControl;
let tenantId: TenantId;
let admin: string;

const failing = (): FakeAgentStep[] => [
  {
    type: 'error',
    error: providerError('PROVIDER_UNAVAILABLE', {
      provider: 'flaky',
      message: 'refused',
      fallback: true,
      retryable: true,
    }),
  },
];

beforeAll(async () => {
  h = await createControlHarness();
  const flaky = createFakeAgent({
    clock: h.clock,
    id: 'flaky',
    runs: Array.from({ length: 10 }, failing),
  });
  const providers = defaultProviders({ clock: h.clock }).registerAgent('flaky', () => flaky);
  voice = composeVoiceControl(
    h,
    { adapters: { agent: { provider: 'flaky', fallbacks: ['mock'] } } },
    { providers },
  );
  tenantId = (await h.tenant()).id as TenantId;
  admin = await h.key(tenantId, 'tenant_admin');
}, 60_000);

afterAll(() => shutdownOnClock(h, voice));

async function health(token: string | undefined): Promise<Response> {
  return h.request('/api/v1/providers/health', token === undefined ? {} : { token }, voice.control);
}

async function read(): Promise<Health> {
  const res = await health(await h.key(tenantId, 'workspace_viewer'));
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: Health }).data;
}

const find = (d: Health, kind: string, provider: string) =>
  d.providers.find((p) => p.kind === kind && p.provider === provider);

/** Sends a text turn and runs the clock until it completes. */
async function turn(id: string, events: AnyVoiceEvent[], text: string): Promise<void> {
  const before = events.filter((e) => e.type === 'prx.voice.turn.completed').length;
  const res = await h.request(
    `/api/v1/sessions/${id}/turns`,
    { method: 'POST', token: admin, body: { text } },
    voice.control,
  );
  expect(res.status).toBe(202);
  for (let i = 0; i < 600; i++) {
    if (events.filter((e) => e.type === 'prx.voice.turn.completed').length > before) return;
    h.clock.advance(50);
    await settle();
  }
  throw new Error('the turn did not complete');
}

describe('GET /providers/health', () => {
  it('lists the configured chains in order, breakers closed, no calls yet', async () => {
    const d = await read();
    expect(d.instance_id).toBeTypeOf('string');
    expect(d.providers.map((p) => `${p.kind}:${p.provider}:${String(p.position)}`)).toEqual([
      'asr:mock:0',
      'agent:flaky:0',
      'agent:mock:1',
      'tts:mock:0',
    ]);
    for (const p of d.providers) {
      expect(p.breaker).toBe('closed');
      expect(p.calls).toMatchObject({ total: 0, failures: 0, refused: 0, error_rate: null });
    }
  });

  it('shows a failing primary: its error rate, its breaker opening, calls refused', async () => {
    const created = await h.request(
      '/api/v1/sessions',
      { method: 'POST', token: admin, body: { channel: 'websocket' } },
      voice.control,
    );
    expect(created.status).toBe(201);
    const { id } = ((await created.json()) as { data: { id: string } }).data;
    await settle();
    const events: AnyVoiceEvent[] = [];
    voice.manager.live(tenantId, id as SessionId)?.emitter.addSink((e) => events.push(e));

    await turn(id, events, 'one');
    let d = await read();
    expect(find(d, 'agent', 'flaky')).toMatchObject({
      breaker: 'closed',
      calls: { total: 1, failures: 1, error_rate: 1 },
    });
    expect(find(d, 'agent', 'flaky')?.calls.last_failure_at).toMatch(/^\d{4}-/);
    const mock = find(d, 'agent', 'mock');
    expect(mock?.calls).toMatchObject({ total: 1, failures: 0, error_rate: 0 });
    expect(mock?.calls.latency_p50_ms).toBeTypeOf('number');

    await turn(id, events, 'two');
    await turn(id, events, 'three');
    d = await read();
    expect(find(d, 'agent', 'flaky')).toMatchObject({
      breaker: 'open',
      calls: { total: 3, failures: 3, refused: 0, error_rate: 1 },
    });

    await turn(id, events, 'four');
    d = await read();
    expect(find(d, 'agent', 'flaky')?.calls).toMatchObject({ total: 3, refused: 1 });
    expect(find(d, 'agent', 'mock')?.calls).toMatchObject({ total: 4, failures: 0 });
    // Alone in its chain, a provider runs without failover: no breaker sees its calls.
    expect(find(d, 'tts', 'mock')?.calls.total).toBe(0);
  });

  it('shows the last probe once providers were probed', async () => {
    expect((await read()).providers.every((p) => p.probe === null)).toBe(true);
    await voice.manager.providerHealth.probe();
    const d = await read();
    // The mock providers answer their probes; the fake agent has none.
    expect(find(d, 'asr', 'mock')?.probe).toMatchObject({ healthy: true });
    expect(find(d, 'agent', 'mock')?.probe?.latency_ms).toBeTypeOf('number');
    expect(find(d, 'agent', 'flaky')?.probe).toBeNull();
  });

  it('needs metrics:read: a billing viewer is refused, no key is unauthenticated', async () => {
    const billing = await health(await h.key(tenantId, 'billing_viewer'));
    expect(billing.status).toBe(403);
    expect(((await billing.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    expect((await health(undefined)).status).toBe(401);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await h.request('/api/v1/openapi.json', {}, voice.control)).json()) as {
      paths: Record<string, { get?: { responses: Record<string, unknown> } }>;
    };
    expect(Object.keys(doc.paths['/providers/health']?.get?.responses ?? {})).toContain('200');
  });
});
