import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { createReadiness } from './readiness.js';
import type { ReadinessReport } from './readiness.js';

let h: ControlHarness;
let report: ReadinessReport = { ready: true, checks: [{ name: 'storage', ok: true }] };

beforeAll(async () => {
  h = await createControlHarness({ readiness: () => Promise.resolve(report) });
});

afterAll(async () => {
  await h.close();
});

describe('health', () => {
  it('answers liveness under the base path and at the root', async () => {
    for (const path of ['/api/v1/health/live', '/health/live']) {
      const res = await h.request(path);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { data: unknown }).data).toEqual({
        status: 'ok',
        instance_id: 'test-1',
      });
    }
  });

  it('answers readiness from deps.readiness, 503 NOT_READY naming what fails', async () => {
    expect((await h.request('/health/ready')).status).toBe(200);
    report = {
      ready: false,
      checks: [
        { name: 'storage', ok: true },
        { name: 'coordination', ok: false, detail: 'ECONNREFUSED' },
      ],
    };
    for (const path of ['/api/v1/health/ready', '/health/ready']) {
      const res = await h.request(path);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; details: { failing: unknown } } };
      expect(body.error.code).toBe('NOT_READY');
      expect(body.error.details.failing).toEqual([
        { name: 'coordination', ok: false, detail: 'ECONNREFUSED' },
      ]);
    }
    report = { ready: true, checks: [] };
  });

  it('folds probes into a report, bounding each by a timeout on the clock', async () => {
    const clock = new SimulatedClock();
    const readiness = createReadiness({
      clock,
      timeoutMs: 1000,
      probes: {
        storage: () => Promise.resolve(),
        coordination: () => Promise.reject(new Error('down')),
        degradation: () => Promise.resolve('level 0'),
        draining: () => Promise.resolve(false),
        stuck: () => new Promise(() => undefined),
      },
    });
    const pending = readiness();
    await Promise.resolve();
    clock.advance(1000);
    expect(await pending).toEqual({
      ready: false,
      checks: [
        { name: 'storage', ok: true },
        { name: 'coordination', ok: false, detail: 'down' },
        { name: 'degradation', ok: true, detail: 'level 0' },
        { name: 'draining', ok: false },
        { name: 'stuck', ok: false, detail: 'no answer within 1000 ms' },
      ],
    });
  });
});

describe('metrics', () => {
  it('serves the registry at /metrics, labelling HTTP requests by route pattern', async () => {
    const t = await h.tenant();
    const key = await h.key(t.id, 'tenant_admin');
    await h.request(`/api/v1/tenants/${t.id}`, { token: key });
    await h.request('/api/v1/no/such/thing');
    h.metrics.sessionStarted();
    h.metrics.sessionStarted();
    h.metrics.sessionEnded('completed');
    h.metrics.observeTurn({ asrMs: 150, agentFirstTokenMs: 300, voiceToVoiceMs: 900 });
    h.metrics.bargeIn('issued');
    h.metrics.providerError({ kind: 'tts', provider: 'mock', code: 'PROVIDER_TIMEOUT' });
    for (const path of ['/metrics', '/api/v1/metrics']) {
      const res = await h.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('Content-Type')).toContain('text/plain');
      const text = await res.text();
      expect(text).toContain(
        'prx_voice_http_requests_total{method="GET",route="/api/v1/tenants/:id",status="200"} 1',
      );
      expect(text).toContain('route="unmatched",status="404"');
      expect(text).not.toContain(t.id);
      expect(text).toContain('prx_voice_live_sessions 1');
      expect(text).toContain('prx_voice_sessions_total{outcome="completed"} 1');
      expect(text).toContain('prx_voice_turn_latency_seconds_sum{stage="voice_to_voice"} 0.9');
      expect(text).toContain('prx_voice_barge_ins_total{outcome="issued"} 1');
      expect(text).toContain(
        'prx_voice_provider_errors_total{kind="tts",provider="mock",code="PROVIDER_TIMEOUT"} 1',
      );
    }
  });
});
