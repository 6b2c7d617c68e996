import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  PROMTOOL_REJECTED_DEFAULTS,
  createVoiceMetrics,
  mergeMetricSeries,
} from './voice-metrics.js';

describe('voice metrics', () => {
  it('counts barge-ins, fallbacks and dropped audio with bounded labels', async () => {
    const m = createVoiceMetrics({ defaultMetrics: false });
    m.bargeIn('issued');
    m.bargeIn('issued');
    m.bargeIn('false_resumed');
    m.fallback({ kind: 'asr', from: 'deepgram', to: 'mock' });
    m.audioDropped('inbound', 'backpressure', 4);
    m.audioDropped('inbound', 'backpressure', 0);
    m.observeTurn({ ttsFirstAudioMs: 450, voiceToVoiceMs: 1100 });
    m.eventLogWrite(25, 0.004);
    let depth = 3;
    m.gauge('usage_queue_depth', 'Usage events waiting.', () => depth);
    m.gauge('broken', 'A reader that throws.', () => {
      throw new Error('no');
    });
    expect(await m.render()).toContain('prx_voice_usage_queue_depth 3');
    depth = 0;
    const text = await m.render();
    expect(text).toContain('prx_voice_usage_queue_depth 0');
    expect(text).toContain('prx_voice_event_log_events_stored_total 25');
    expect(text).toContain('prx_voice_event_log_write_seconds_bucket{le="0.005"} 1');
    expect(text).toContain('prx_voice_barge_ins_total{outcome="issued"} 2');
    expect(text).toContain('prx_voice_barge_ins_total{outcome="false_resumed"} 1');
    expect(text).toContain(
      'prx_voice_provider_fallbacks_total{kind="asr",from="deepgram",to="mock"} 1',
    );
    expect(text).toContain(
      'prx_voice_audio_dropped_frames_total{direction="inbound",reason="backpressure"} 4',
    );
    // Buckets at the objectives: TTS first audio under 0.5 s, voice-to-voice under 1.2 s.
    expect(text).toContain(
      'prx_voice_turn_latency_seconds_bucket{le="0.5",stage="tts_first_audio"} 1',
    );
    expect(text).toContain(
      'prx_voice_turn_latency_seconds_bucket{le="1",stage="voice_to_voice"} 0',
    );
    expect(text).toContain(
      'prx_voice_turn_latency_seconds_bucket{le="1.2",stage="voice_to_voice"} 1',
    );
  });

  it('records pacing lateness in buckets without labels, with the default labels at scrape', async () => {
    const m = createVoiceMetrics({ defaultMetrics: false, labels: { region: 'eu' } });
    m.pacingLateness(0.5);
    m.pacingLateness(4);
    m.pacingLateness(4);
    m.pacingLateness(400);
    m.pacingLateness(Number.NaN);
    m.pacingLateness(-1);
    const text = await m.render();
    const name = 'prx_voice_outbound_pacing_lateness_seconds';
    expect(text).toContain(`# TYPE ${name} histogram`);
    expect(text).toContain(`${name}_bucket{le="0.001",region="eu"} 1`);
    expect(text).toContain(`${name}_bucket{le="0.002",region="eu"} 1`);
    expect(text).toContain(`${name}_bucket{le="0.005",region="eu"} 3`);
    expect(text).toContain(`${name}_bucket{le="0.25",region="eu"} 3`);
    expect(text).toContain(`${name}_bucket{le="+Inf",region="eu"} 4`);
    expect(text).toContain(`${name}_count{region="eu"} 4`);
    expect(text).toMatch(new RegExp(`${name}_sum\\{region="eu"\\} 0\\.4085`));
  });

  it('keeps its own registry and leaves out the defaults promtool rejects', async () => {
    const a = createVoiceMetrics();
    const b = createVoiceMetrics();
    a.bargeIn('issued');
    expect(await b.render()).not.toContain('prx_voice_barge_ins_total{outcome="issued"} 1');
    expect(await a.render()).toContain('prx_voice_barge_ins_total{outcome="issued"} 1');
    const text = await a.render();
    expect(text).toContain('process_cpu_user_seconds_total');
    for (const name of PROMTOOL_REJECTED_DEFAULTS) expect(text).not.toContain(`${name} `);
  });

  it('labels every series with the configured labels (deploy.region)', async () => {
    const m = createVoiceMetrics({ defaultMetrics: false, labels: { region: 'eu-west-1' } });
    m.sessionEnded('completed');
    const text = await m.render();
    expect(text).toContain('prx_voice_sessions_total{outcome="completed",region="eu-west-1"} 1');
    expect(text).toContain('prx_voice_live_sessions{region="eu-west-1"}');
  });

  it('labels turn latency by tenant only when asked, the first tenants seen by id and the rest as other', async () => {
    const metrics = createVoiceMetrics({ defaultMetrics: false, perTenant: { maxTenants: 2 } });
    for (const tenant of ['ten_a', 'ten_b', 'ten_c', 'ten_d', 'ten_a'])
      metrics.observeTurn({ voiceToVoiceMs: 800 }, tenant);
    const text = await metrics.render();
    const count = (tenant: string): number =>
      Number(
        new RegExp(
          `^prx_voice_tenant_turn_latency_seconds_count\\{tenant="${tenant}",stage="voice_to_voice"\\} (\\d+)$`,
          'm',
        ).exec(text)?.[1] ?? 0,
      );
    expect([count('ten_a'), count('ten_b'), count('other'), count('ten_c')]).toEqual([2, 1, 2, 0]);
    const plain = createVoiceMetrics({ defaultMetrics: false });
    plain.observeTurn({ voiceToVoiceMs: 800 }, 'ten_a');
    expect(await plain.render()).not.toContain('tenant_turn_latency');
  });

  it('reports live sessions by tier as read at scrape', async () => {
    const metrics = createVoiceMetrics({ defaultMetrics: false });
    let live = new Map([
      ['starter', 2],
      ['enterprise', 1],
    ]);
    metrics.liveSessionsByTier(() => live);
    expect(await metrics.render()).toMatch(
      /^prx_voice_live_sessions_by_tier\{tier="enterprise"\} 1$/m,
    );
    live = new Map([['starter', 1]]);
    const text = await metrics.render();
    expect(text).toMatch(/^prx_voice_live_sessions_by_tier\{tier="starter"\} 1$/m);
    expect(text).not.toContain('tier="enterprise"');
  });

  it('passes promtool check metrics', async (ctx) => {
    const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (probe.error !== undefined) {
      if (process.env['CI'] !== undefined) {
        throw new Error('promtool is required in CI (apt-get install prometheus)');
      }
      console.warn(
        'promtool not installed; skipping the promtool check (apt-get install prometheus)',
      );
      ctx.skip();
      return;
    }
    const metrics = createVoiceMetrics({ perTenant: { maxTenants: 2 } });
    metrics.sessionStarted();
    metrics.sessionEnded('error');
    metrics.liveSessionsByTier(() => new Map([['starter', 2]]));
    metrics.traceSpans('exported', 4);
    metrics.observeTurn({
      asrMs: 1,
      agentFirstTokenMs: 2,
      ttsFirstAudioMs: 3,
      firstAudioSentMs: 4,
      voiceToVoiceMs: 10,
    });
    for (const outcome of ['issued', 'resolved', 'false_resumed'] as const)
      metrics.bargeIn(outcome);
    metrics.providerError({ kind: 'asr', provider: 'mock', code: 'PROVIDER_ERROR' });
    metrics.fallback({ kind: 'tts', from: 'mock', to: 'espeak' });
    metrics.audioDropped('outbound', 'late', 3);
    metrics.eventLogWrite(10, 0.002);
    metrics.pacingLateness(3);
    metrics.gauge('usage_queue_depth', 'Usage events waiting to be recorded.', () => 2);
    metrics.observeHttp({
      method: 'GET',
      route: '/api/v1/sessions/:id',
      status: 200,
      seconds: 0.01,
    });
    const result = spawnSync('promtool', ['check', 'metrics'], {
      input: await metrics.render(),
      encoding: 'utf8',
    });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
    // A host's workers scraped as one: each worker's series apart, still valid.
    const other = createVoiceMetrics({ labels: { worker: 'w1' } });
    const mine = createVoiceMetrics({ labels: { worker: 'w0' } });
    other.sessionStarted();
    other.sessionStarted();
    mine.sessionStarted();
    mine.bargeIn('issued');
    const merged = await mergeMetricSeries([
      await mine.registry.getMetricsAsJSON(),
      await other.registry.getMetricsAsJSON(),
    ]);
    expect(merged).toContain('prx_voice_live_sessions{worker="w0"} 1');
    expect(merged).toContain('prx_voice_live_sessions{worker="w1"} 2');
    expect(merged).toContain('prx_voice_barge_ins_total{outcome="issued",worker="w0"} 1');
    expect(merged.match(/^# TYPE prx_voice_live_sessions /gm)).toHaveLength(1);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: merged, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
  });
});
