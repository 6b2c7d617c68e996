/**
 * The degradation levels through the composed control plane, on a simulated clock:
 * injected signals drive L0 → L4 → L0, and each level's actions are checked where a
 * user meets them — events, rate limits, session creation, readiness, incidents.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFilesystemObjectStore } from '@prx-voice/storage';
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { DegradationSignals } from '@prx-voice/observe';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createControlHarness } from './testing/control-harness.js';
import type { ControlHarness } from './testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from './testing/composed.js';
import type { VoiceControl } from './voice-control.js';

const CALM: DegradationSignals = { eventLoopLagMs: 1, load: 0, heap: 0.1 };
const SAMPLE_MS = 100;
const DWELL_MS = 1_000;

let h: ControlHarness;
let voice: VoiceControl;
let signals: DegradationSignals = CALM;
let token: string;
let adminToken: string;
let tenantId: TenantId;
const dir = mkdtempSync(join(tmpdir(), 'prx-degr-'));

beforeAll(async () => {
  h = await createControlHarness();
  voice = composeVoiceControl(
    h,
    {
      observe: {
        degradation: {
          sample_ms: SAMPLE_MS,
          min_dwell_ms: DWELL_MS,
          economy_providers: { tts: 'espeak' },
        },
        slos: { voice_to_voice: { threshold_ms: 1_200, objective: 0.9 } },
      },
      // The tenant's bucket decides (the credential's is wider), as the level tightens it.
      limits: { rate_limit: { per_credential: { requests_per_second: 1000, burst: 2000 } } },
    },
    { degradationSignals: () => signals, objectStore: createFilesystemObjectStore({ root: dir }) },
  );
  await voice.start();
  const tenant = await h.tenant('enterprise');
  tenantId = tenant.id as TenantId;
  token = await h.key(tenant.id, 'workspace_developer');
  adminToken = await h.key(tenant.id, 'platform_admin');
}, 60_000);

afterAll(async () => {
  await shutdownOnClock(h, voice, SAMPLE_MS);
  rmSync(dir, { recursive: true, force: true });
});

/** Whether a session that asks to be recorded is (`prx_voice_recordings_total{outcome="started"}` grows). */
async function recorded(as: string): Promise<boolean> {
  const started = async () =>
    Number(
      /^prx_voice_recordings_total\{outcome="started"\} (\d+)$/m.exec(
        await voice.metrics.render(),
      )?.[1] ?? 0,
    );
  const before = await started();
  const res = await h.request(
    '/api/v1/sessions',
    { method: 'POST', token: as, body: { channel: 'websocket', record: true } },
    voice.control,
  );
  expect(res.status).toBe(201);
  await settle();
  return (await started()) > before;
}

/** Moves time by whole samples, letting what the timers start run. */
async function advance(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += SAMPLE_MS) {
    h.clock.advance(SAMPLE_MS);
    await settle();
  }
}

async function levelAfter(next: DegradationSignals, ms = SAMPLE_MS): Promise<number> {
  signals = next;
  await advance(ms);
  const metrics = await voice.metrics.render();
  return Number(/^prx_voice_degradation_level(?:\{[^}]*\})? (\d+)$/m.exec(metrics)?.[1]);
}

const createSession = (): Promise<Response> =>
  h.request(
    '/api/v1/sessions',
    { method: 'POST', token, body: { channel: 'websocket' } },
    voice.control,
  );

/** The events of a live session, from the manager's emitter. */
function eventsOf(id: string): AnyVoiceEvent[] {
  const seen: AnyVoiceEvent[] = [];
  voice.manager.live(tenantId, id as SessionId)?.emitter.addSink((e) => seen.push(e));
  return seen;
}

async function textTurn(id: string): Promise<Response> {
  const res = await h.request(
    `/api/v1/sessions/${id}/turns`,
    { method: 'POST', token, body: { text: 'hello there' } },
    voice.control,
  );
  await advance(3_000);
  return res;
}

const rateLimit = async (): Promise<number> =>
  Number(
    (await h.request('/api/v1/sessions', { token }, voice.control)).headers.get('RateLimit-Limit'),
  );

describe('objectives', () => {
  it('are the built-in ones with the configured overrides', async () => {
    const res = await h.request('/api/v1/slo', { token: adminToken }, voice.control);
    const slos = (
      (await res.json()) as {
        data: { instance_slos: { name: string; objective: number; threshold_ms: number | null }[] };
      }
    ).data.instance_slos;
    expect(slos.find((o) => o.name === 'voice_to_voice')).toMatchObject({
      objective: 0.9,
      threshold_ms: 1_200,
    });
    expect(slos.find((o) => o.name === 'availability')).toMatchObject({ objective: 0.999 });
  });
});

describe('economy providers', () => {
  it('must be registered providers: start-up stops naming the key', () => {
    expect(() =>
      composeVoiceControl(h, {
        observe: { degradation: { economy_providers: { agent: 'tiny-llm' } } },
      }),
    ).toThrow(
      /observe\.degradation\.economy_providers\.agent = tiny-llm: expected a registered agent provider \(known: demo, mock\)/,
    );
  });
});

describe('degradation levels, L0 → L4 → L0', () => {
  it('does what each level says, sheds only new sessions at L4, and opens and closes an incident', async () => {
    const created = await createSession();
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { data: { id: string } }).data.id;
    await settle();
    const events = eventsOf(id);
    const fullRate = await rateLimit();
    await textTurn(id);
    expect(events.map((e) => e.type)).toContain('prx.voice.agent.token_stream');

    // L1: telemetry events dropped, tenants' rates halved; the session is told.
    expect(await levelAfter({ ...CALM, eventLoopLagMs: 150 })).toBe(1);
    expect(events.at(-1)).toMatchObject({
      type: 'prx.voice.governance.degradation_changed',
      data: { from: 0, to: 1, signal: 'eventLoopLagMs', value: 150 },
    });
    expect(await rateLimit()).toBe(Math.floor(fullRate * 0.5));
    const before = events.length;
    expect((await textTurn(id)).status).toBe(202);
    const l1 = events.slice(before).map((e) => e.type);
    expect(l1).toContain('prx.voice.turn.completed');
    expect(l1).toContain('prx.voice.governance.usage_recorded'); // billing still sees usage
    expect(l1).not.toContain('prx.voice.agent.token_stream');
    expect(l1).not.toContain('prx.voice.tts.chunk_ready');
    // Gap-free all the same: dropped events never took a sequence number.
    expect(events.map((e) => e.prxseq)).toEqual(events.map((_, i) => (events[0]?.prxseq ?? 0) + i));

    // L4 (straight from L1): new sessions refused 503 OVERLOADED with Retry-After, readiness fails.
    expect(await levelAfter({ ...CALM, eventLoopLagMs: 1_500 })).toBe(4);
    const refused = await createSession();
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('OVERLOADED');
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
    const ready = await h.request('/health/ready', {}, voice.control);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toContain('degradation');
    // … while the live session goes on.
    const during = events.length;
    await textTurn(id);
    expect(events.slice(during).map((e) => e.type)).toContain('prx.voice.turn.completed');
    const open = await h.request('/api/v1/incidents', { token: adminToken }, voice.control);
    const incidents = ((await open.json()) as { data: { items: Record<string, unknown>[] } }).data
      .items;
    expect(incidents[0]).toMatchObject({ status: 'open', details: { sev: 'SEV1' } });

    // Calm again: L4 has lasted its dwell, so down to L3 at once; then one level per dwell.
    expect(await levelAfter(CALM)).toBe(3);
    // L3: only enterprise tenants' new sessions are recorded.
    const growth = await h.tenant('growth');
    const growthToken = await h.key(growth.id, 'workspace_developer');
    expect(await recorded(growthToken)).toBe(false);
    expect(await recorded(token)).toBe(true);
    expect(await levelAfter(CALM, DWELL_MS - 2 * SAMPLE_MS)).toBe(3);
    expect(await levelAfter(CALM, DWELL_MS)).toBe(2);
    // L2: a new session that leaves TTS to the server starts on the economy provider, the
    // configured one after it; one that names its provider keeps it.
    const economy = (await (await createSession()).json()) as {
      data: { id: string; providers: Record<string, string> };
    };
    expect(economy.data.providers).toMatchObject({ tts: 'espeak', asr: 'mock', agent: 'mock' });
    expect(voice.manager.live(tenantId, economy.data.id as SessionId)?.chains.tts).toEqual([
      'espeak',
      'mock',
    ]);
    const named = await h.request(
      '/api/v1/sessions',
      { method: 'POST', token, body: { channel: 'websocket', providers: { tts: 'mock' } } },
      voice.control,
    );
    expect(
      ((await named.json()) as { data: { providers: { tts: string } } }).data.providers.tts,
    ).toBe('mock');
    expect(await recorded(growthToken)).toBe(true);
    for (const level of [1, 0]) expect(await levelAfter(CALM, DWELL_MS)).toBe(level);
    const calm = await createSession();
    expect(calm.status).toBe(201);
    expect(
      ((await calm.json()) as { data: { providers: { tts: string } } }).data.providers.tts,
    ).toBe('mock');
    expect((await h.request('/health/ready', {}, voice.control)).status).toBe(200);
    expect(await rateLimit()).toBe(fullRate);
    const after = events.length;
    await textTurn(id);
    expect(events.slice(after).map((e) => e.type)).toContain('prx.voice.agent.token_stream');
    const closed = await h.request(
      `/api/v1/incidents/${String(incidents[0]?.['id'])}`,
      { token: adminToken },
      voice.control,
    );
    const incident = ((await closed.json()) as { data: Record<string, unknown> }).data;
    expect(incident['status']).toBe('resolved');
    expect(
      events
        .filter((e) => e.type === 'prx.voice.governance.degradation_changed')
        .map((e) => e.data),
    ).toMatchObject([
      { from: 0, to: 1 },
      { from: 1, to: 4 },
      { from: 4, to: 3 },
      { from: 3, to: 2 },
      { from: 2, to: 1 },
      { from: 1, to: 0 },
    ]);
    expect(h.logged.filter((l) => l.message === 'degradation level changed')).toHaveLength(6);
  });
});
