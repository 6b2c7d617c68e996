import { describe, expect, it } from 'vitest';
import { buckets, parseMetrics, quantile, total } from './prometheus.js';

const TEXT = `# HELP prx_voice_turn_latency_seconds Turn latency breakdown
# TYPE prx_voice_turn_latency_seconds histogram
prx_voice_turn_latency_seconds_bucket{le="0.1",stage="voice_to_voice"} 0
prx_voice_turn_latency_seconds_bucket{le="0.5",stage="voice_to_voice"} 2
prx_voice_turn_latency_seconds_bucket{le="1",stage="voice_to_voice"} 4
prx_voice_turn_latency_seconds_bucket{le="+Inf",stage="voice_to_voice"} 4
prx_voice_turn_latency_seconds_bucket{le="0.1",stage="asr"} 3
prx_voice_turn_latency_seconds_bucket{le="+Inf",stage="asr"} 3
prx_voice_barge_ins_total{outcome="issued"} 3
prx_voice_barge_ins_total{outcome="false_resumed"} 1
prx_voice_degradation_level 2
weird{label="a \\"quoted\\" value"} 1
`;

describe('the console reading /metrics', () => {
  const samples = parseMetrics(TEXT);

  it('reads samples with their labels, escaped quotes included', () => {
    expect(total(samples, 'prx_voice_barge_ins_total', { outcome: 'issued' })).toBe(3);
    expect(total(samples, 'prx_voice_barge_ins_total')).toBe(4);
    expect(total(samples, 'prx_voice_degradation_level')).toBe(2);
    expect(samples.find((s) => s.name === 'weird')?.labels['label']).toBe('a "quoted" value');
  });

  it('computes quantiles within a bucket as histogram_quantile does', () => {
    const v2v = buckets(samples, 'prx_voice_turn_latency_seconds', { stage: 'voice_to_voice' });
    expect(v2v.map((b) => b.count)).toEqual([0, 2, 4, 4]);
    expect(quantile(0.5, v2v)).toBeCloseTo(0.5);
    expect(quantile(0.75, v2v)).toBeCloseTo(0.75);
    expect(quantile(0.5, [])).toBeNull();
    expect(
      quantile(0.99, [
        { le: 1, count: 1 },
        { le: Infinity, count: 5 },
      ]),
    ).toBe(1);
  });
});
