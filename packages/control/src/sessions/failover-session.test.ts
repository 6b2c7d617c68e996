/**
 * Failover inside live sessions: a primary provider fails in each way a real
 * one does (refused at connect, no first byte in time, cut off mid-stream
 * before and after speech), and the turn completes on the secondary with one
 * `adapter.fallback` and no sentence spoken twice; breakers report
 * `adapter.state_changed`; health probes report `adapter.health_check` and
 * decide readiness.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockAgent, defaultProviders, providerError } from '@prx-voice/adapter';
import type { AgentProvider, AsrProvider, HealthReport, createMockTts } from '@prx-voice/adapter';
import { generateTone } from '@prx-voice/media';
import {
  createFakeAgent,
  createFakeAsr,
  createFakeTts,
  fakeAnswer,
  fakeTokens,
} from '@prx-voice/adapter/testing';
import type { FakeAgentStep } from '@prx-voice/adapter/testing';
import { defaultConfig } from '@prx-voice/core';
import type { Config } from '@prx-voice/core';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createEventBus, createEventLog } from '@prx-voice/event';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { assertGapFree } from '@prx-voice/event/testing';
import { createAdmissionService, createTenant } from '@prx-voice/policy';
import { createMemoryCoordinator } from '@prx-voice/storage';
import { openTestDatabase } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createSessionManager } from './session-manager.js';
import type { SessionManager } from './session-manager.js';

type Data = Record<string, unknown>;
let db: TestDatabase;
const clock = new SimulatedClock({ start: Date.UTC(2026, 10, 21) });
const ids = createSequentialIdGenerator(Date.UTC(2026, 10, 21));
const bus = createEventBus();
const events: AnyVoiceEvent[] = [];
bus.listen(
  (e) => {
    if ('type' in e) events.push(e);
  },
  {
    onError: (err) => {
      throw err;
    },
  },
);
let n = 0;

beforeAll(async () => {
  db = await openTestDatabase({ clock, ids });
});
afterAll(() => db.close());

async function settle(ms = 0): Promise<void> {
  for (let t = 0; t <= ms; t += 10) {
    if (t > 0) clock.advance(10);
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
  }
}

function withChains(chains: { agent?: string[]; tts?: string[] }): Config {
  const base = defaultConfig();
  const [agent = 'mock', ...agentFallbacks] = chains.agent ?? ['mock'];
  const [tts = 'mock', ...ttsFallbacks] = chains.tts ?? ['mock'];
  return {
    ...base,
    adapters: {
      ...base.adapters,
      agent: { ...base.adapters.agent, provider: agent, fallbacks: agentFallbacks },
      tts: { ...base.adapters.tts, provider: tts, fallbacks: ttsFallbacks },
    },
  };
}

function managerWith(
  config: Config,
  extra: {
    agents?: Record<string, () => AgentProvider>;
    tts?: Record<string, () => ReturnType<typeof createMockTts>>;
    asr?: Record<string, () => AsrProvider>;
  },
): SessionManager {
  const registry = defaultProviders({ clock });
  for (const [id, f] of Object.entries(extra.agents ?? {})) registry.registerAgent(id, f);
  for (const [id, f] of Object.entries(extra.tts ?? {})) registry.registerTts(id, f);
  for (const [id, f] of Object.entries(extra.asr ?? {})) registry.registerAsr(id, f);
  return createSessionManager({
    config,
    clock,
    ids,
    repos: db.repos,
    admission: createAdmissionService({ coordinator: createMemoryCoordinator({ clock }), clock }),
    providers: registry,
    bus,
    log: createEventLog({
      repos: db.repos,
      clock,
      onError: (e) => {
        throw e;
      },
    }),
    instanceId: 'failover-test',
  });
}

async function textTurn(
  manager: SessionManager,
  text: string,
): Promise<{ sid: SessionId; of: (type: string) => Data[] }> {
  const t = (await createTenant(db.repos, { slug: `f-${++n}`, name: 'F', tier: 'growth' }))
    .id as TenantId;
  const sid = (await manager.create(t, { channel: 'websocket' })).id as SessionId;
  await settle();
  await manager.textTurn(t, sid, text);
  await settle(12_000);
  const of = (type: string): Data[] =>
    events.filter((e) => e.prxsessionid === sid && e.type === type).map((e) => e.data as Data);
  return { sid, of };
}

const unavailable = (message: string) =>
  providerError('PROVIDER_UNAVAILABLE', {
    provider: 'flaky',
    message,
    fallback: true,
    retryable: true,
  });

/** The spoken text: each synthesized segment once, in order. */
const spoken = (of: (type: string) => Data[]): string[] =>
  of('prx.voice.tts.segment_queued').map((d) => String(d.text));

describe('agent failover inside a session', () => {
  const cases: { name: string; steps: FakeAgentStep[]; reason: string }[] = [
    {
      name: 'refused at connect',
      steps: [{ type: 'error', error: unavailable('connect ECONNREFUSED') }],
      reason: 'error',
    },
    {
      name: 'credential refused (401)',
      steps: [
        {
          type: 'error',
          error: providerError('PROVIDER_AUTH_FAILED', {
            provider: 'flaky',
            message: 'HTTP 401: invalid api key',
            fallback: true,
            retryable: false,
          }),
        },
      ],
      reason: 'error',
    },
    {
      name: 'rate limited (429 with a retry hint)',
      steps: [
        {
          type: 'error',
          error: providerError('PROVIDER_RATE_LIMITED', {
            provider: 'flaky',
            message: 'HTTP 429: slow down',
            fallback: true,
            retryable: true,
            details: { retry_after_ms: 2000 },
          }),
        },
      ],
      reason: 'error',
    },
    {
      name: 'server error (503)',
      steps: [{ type: 'error', error: unavailable('HTTP 503: overloaded') }],
      reason: 'error',
    },
    {
      name: 'no first byte in time',
      steps: [
        {
          type: 'error',
          delayMs: 5000,
          error: providerError('PROVIDER_TIMEOUT', {
            provider: 'flaky',
            message: 'no first byte in 5000 ms',
            fallback: true,
            retryable: true,
          }),
        },
      ],
      reason: 'timeout',
    },
    {
      name: 'cut off mid-stream before anything was spoken',
      steps: [
        ...fakeTokens('Let me think about', 20),
        { type: 'error', error: unavailable('stream ended early') },
      ],
      reason: 'error',
    },
  ];

  for (const c of cases) {
    it(`${c.name}: the turn completes on the secondary, one adapter.fallback, nothing spoken twice`, async () => {
      const manager = managerWith(withChains({ agent: ['flaky', 'mock'] }), {
        agents: { flaky: () => createFakeAgent({ clock, id: 'flaky', runs: [c.steps] }) },
      });
      const { sid, of } = await textTurn(manager, 'hello there');
      expect(of('prx.voice.adapter.fallback')).toEqual([
        expect.objectContaining({ kind: 'agent', from: 'flaky', to: 'mock', reason: c.reason }),
      ]);
      const [turn] = of('prx.voice.turn.completed');
      expect(turn).toMatchObject({ assistant_text: 'You said: hello there', interrupted: false });
      expect(spoken(of).join(' ')).toBe('You said: hello there');
      expect(of('prx.voice.agent.error')).toEqual([]);
      assertGapFree(events.filter((e) => e.prxsessionid === sid));
    });
  }

  it('cut off after a sentence was spoken: the secondary continues, the spoken sentence is not repeated', async () => {
    const flaky = createFakeAgent({
      clock,
      id: 'flaky',
      runs: [
        [
          ...fakeTokens('Sure, here is the first part. And then', 20),
          { type: 'error', error: unavailable('reset') },
        ],
      ],
    });
    const secondary = createFakeAgent({
      clock,
      id: 'backup',
      runs: [fakeAnswer('the rest of it.', 20)],
    });
    const manager = managerWith(withChains({ agent: ['flaky', 'backup'] }), {
      agents: { flaky: () => flaky, backup: () => secondary },
    });
    const { of } = await textTurn(manager, 'tell me');
    expect(of('prx.voice.adapter.fallback')).toHaveLength(1);
    const segments = spoken(of);
    expect(segments[0]).toBe('Sure, here is the first part.');
    expect(segments.filter((s) => s.includes('first part'))).toHaveLength(1);
    expect(segments.at(-1)).toContain('the rest of it.');
    // The secondary was asked to continue from what had been said.
    const conversation = secondary.requests[0]?.conversation ?? [];
    expect(JSON.stringify(conversation)).toContain('Sure, here is the first part.');
    const [turn] = of('prx.voice.turn.completed');
    expect(String(turn?.assistant_text)).toContain('Sure, here is the first part.');
    expect(String(turn?.assistant_text)).toContain('the rest of it.');
  });
});

describe('ASR failover inside a session', () => {
  it('a stream that fails mid-utterance: the next provider gets the utterance’s audio and the turn completes', async () => {
    const flaky = createFakeAsr({
      clock,
      id: 'flaky-asr',
      steps: [{ afterAudioMs: 200, fail: unavailable('socket closed') }],
    });
    const base = withChains({});
    const config: Config = {
      ...base,
      adapters: {
        ...base.adapters,
        asr: { ...base.adapters.asr, provider: 'flaky-asr', fallbacks: ['mock'] },
      },
    };
    const registry = { asr: { 'flaky-asr': () => flaky } };
    const manager = managerWith(config, registry);
    const t = (
      await createTenant(db.repos, { slug: `f-${String(++n)}`, name: 'F', tier: 'growth' })
    ).id as TenantId;
    const sid = (await manager.create(t, { channel: 'websocket' })).id as SessionId;
    await settle();
    const actor = manager.live(t, sid)?.actor;
    const tone = generateTone({
      sampleRate: 16000,
      frequencyHz: 300,
      durationMs: 20,
      amplitude: 0.3,
    });
    const quiet = new Int16Array(320);
    for (let i = 0; i < 30; i++) {
      actor?.pushAudio(tone.samples);
      await settle(20);
    }
    for (let i = 0; i < 150; i++) {
      actor?.pushAudio(quiet);
      await settle(20);
    }
    await settle(3000);
    const of = (type: string): Data[] =>
      events.filter((e) => e.prxsessionid === sid && e.type === type).map((e) => e.data as Data);
    expect(of('prx.voice.adapter.fallback')).toEqual([
      expect.objectContaining({ kind: 'asr', from: 'flaky-asr', to: 'mock' }),
    ]);
    expect(of('prx.voice.asr.transcript_final')).toMatchObject([{ text: 'hello' }]);
    expect(of('prx.voice.turn.completed')[0]).toMatchObject({ user_text: 'hello' });
    expect(of('prx.voice.asr.error')).toEqual([]);
  });
});

describe('TTS failover inside a session', () => {
  it('a synthesis that fails mid-segment is finished by the secondary from the unspoken remainder', async () => {
    const flaky = createFakeTts({
      clock,
      id: 'flaky-tts',
      failAfterChunks: 10, // 200 ms of the segment, then the stream breaks
      failure: unavailable('socket closed'),
    });
    const manager = managerWith(withChains({ tts: ['flaky-tts', 'mock'] }), {
      tts: { 'flaky-tts': () => flaky },
    });
    const { of } = await textTurn(manager, 'hello there');
    expect(of('prx.voice.adapter.fallback')).toEqual([
      expect.objectContaining({ kind: 'tts', from: 'flaky-tts', to: 'mock' }),
    ]);
    expect(of('prx.voice.turn.completed')[0]).toMatchObject({
      assistant_text: 'You said: hello there',
      interrupted: false,
    });
    expect(of('prx.voice.tts.error')).toEqual([]);
  });
});

describe('breakers and health checks reach the sessions that use a provider', () => {
  it('a breaker that opens is reported as adapter.state_changed ready → failed; later sessions skip it', async () => {
    const failing = (): FakeAgentStep[] => [{ type: 'error', error: unavailable('down') }];
    const flaky = createFakeAgent({
      clock,
      id: 'flaky',
      runs: [failing(), failing(), failing(), failing()],
    });
    const manager = managerWith(withChains({ agent: ['flaky', 'mock'] }), {
      agents: { flaky: () => flaky },
    });
    const first = await textTurn(manager, 'one');
    await textTurn(manager, 'two');
    const third = await textTurn(manager, 'three');
    // The third failure within the window opens the breaker: the live sessions using it hear it.
    expect(third.of('prx.voice.adapter.state_changed')).toEqual([
      { kind: 'agent', provider: 'flaky', from: 'ready', to: 'failed' },
    ]);
    expect(first.of('prx.voice.adapter.state_changed')).toHaveLength(1);
    const fourth = await textTurn(manager, 'four');
    expect(fourth.of('prx.voice.adapter.fallback')).toEqual([
      expect.objectContaining({ from: 'flaky', to: 'mock', reason: 'circuit_open' }),
    ]);
    expect(flaky.runs).toHaveLength(3);
    await expect(manager.providerHealth.ready()).resolves.toContain('agent: mock');
  });

  it('probes report changes as adapter.health_check; readiness fails when a kind has no usable provider', async () => {
    let report: HealthReport = { healthy: true, detail: 'GET /models 200' };
    const probed = (id: string) => ({
      ...createMockAgent({ clock }),
      id,
      healthCheck: () => Promise.resolve(report),
    });
    const manager = managerWith(withChains({ agent: ['probed', 'probed-2'] }), {
      agents: { probed: () => probed('probed'), 'probed-2': () => probed('probed-2') },
    });
    const turn = await textTurn(manager, 'hi');
    const of = (type: string) => turn.of(type).filter((d) => d.kind === 'agent');
    await manager.providerHealth.probe();
    await settle();
    // The built-in providers are reported too, once.
    expect(turn.of('prx.voice.adapter.health_check').filter((d) => d.kind !== 'agent')).toEqual([
      { kind: 'asr', provider: 'mock', healthy: true, latency_ms: 0, detail: 'built in' },
      { kind: 'tts', provider: 'mock', healthy: true, latency_ms: 0, detail: 'built in' },
    ]);
    expect(of('prx.voice.adapter.health_check')).toEqual([
      {
        kind: 'agent',
        provider: 'probed',
        healthy: true,
        latency_ms: 0,
        detail: 'GET /models 200',
      },
      {
        kind: 'agent',
        provider: 'probed-2',
        healthy: true,
        latency_ms: 0,
        detail: 'GET /models 200',
      },
    ]);
    await manager.providerHealth.probe(); // unchanged: not reported again
    await settle();
    expect(of('prx.voice.adapter.health_check')).toHaveLength(2);
    await expect(manager.providerHealth.ready()).resolves.toBe(
      'asr: mock, agent: probed, tts: mock',
    );
    report = { healthy: false, detail: 'GET /models 401: the credential was refused' };
    await manager.providerHealth.probe();
    await settle();
    expect(of('prx.voice.adapter.health_check').slice(2)).toEqual([
      expect.objectContaining({ provider: 'probed', healthy: false }),
      expect.objectContaining({ provider: 'probed-2', healthy: false }),
    ]);
    await expect(manager.providerHealth.ready()).rejects.toThrow(
      'no usable provider for agent (probed, probed-2)',
    );
  });

  it('a configured provider this build does not have is unhealthy, not a crash of the probe loop', async () => {
    const manager = managerWith(withChains({ agent: ['mock', 'nonexistent'] }), {});
    const checks = await manager.providerHealth.probe();
    expect(checks.find((c) => c.provider === 'nonexistent')).toMatchObject({
      kind: 'agent',
      healthy: false,
      latencyMs: null,
    });
    // The chain still has a usable provider.
    await expect(manager.providerHealth.ready()).resolves.toContain('agent: mock');
  });

  it('a probe that does not answer in time is unhealthy with latency null', async () => {
    const manager = managerWith(withChains({ agent: ['stuck'] }), {
      agents: {
        stuck: () => ({
          ...createMockAgent({ clock }),
          id: 'stuck',
          healthCheck: () => new Promise<HealthReport>(() => undefined),
        }),
      },
    });
    const checks = manager.providerHealth.probe();
    await settle(5000);
    expect((await checks).find((c) => c.provider === 'stuck')).toEqual({
      kind: 'agent',
      provider: 'stuck',
      healthy: false,
      latencyMs: null,
      detail: 'no answer within 5000 ms',
    });
  });
});
