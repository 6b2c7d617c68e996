import { describe, expect, it } from 'vitest';
import { defaultProviders } from './default-providers.js';
import { createMockAgent } from './mock/mock-agent.js';
import { createMockAsr } from './mock/mock-asr.js';
import { createMockTts } from './mock/mock-tts.js';
import { createProviderRegistry } from './registry.js';
import { createEnergyVad } from './vad/energy-vad.js';
import type { HealthReport } from './interfaces.js';
import { defaultConfig, systemClock } from '@prx-voice/core';
import { detectAutoProviders } from './auto-providers.js';

const report = (healthy: boolean, detail: string) => () =>
  Promise.resolve<HealthReport>({ healthy, detail });

describe('the provider auto', () => {
  it('picks the local engines that are installed and mock for the rest', async () => {
    const registry = createProviderRegistry()
      .registerAsr('pocketsphinx', () => ({
        ...createMockAsr(),
        id: 'pocketsphinx',
        healthCheck: report(true, '/usr/bin/pocketsphinx_continuous'),
      }))
      .registerTts('espeak', () => ({
        ...createMockTts(),
        id: 'espeak',
        healthCheck: report(false, 'espeak-ng is not installed'),
      }));
    const auto = await detectAutoProviders(registry, defaultConfig());
    expect(auto).toEqual({
      asr: 'pocketsphinx',
      tts: 'mock',
      agent: 'mock',
      vad: 'energy',
      notes: [
        'asr: pocketsphinx',
        'tts: mock (espeak: espeak-ng is not installed)',
        'agent: mock (scripted is not configured)',
        'vad: energy (silero is not configured)',
      ],
    });
  });

  it('picks the Silero VAD when its probe passes, else the energy VAD with the reason', async () => {
    const silero = (report: HealthReport) =>
      createProviderRegistry().registerVad('silero', () => ({
        ...createEnergyVad(),
        id: 'silero',
        healthCheck: () => Promise.resolve(report),
      }));
    const ok = await detectAutoProviders(
      silero({ healthy: true, detail: 'loaded' }),
      defaultConfig(),
    );
    expect(ok.vad).toBe('silero');
    expect(ok.notes).toContain('vad: silero (loaded)');
    const broken = await detectAutoProviders(
      silero({ healthy: false, detail: 'onnxruntime-node failed to load' }),
      defaultConfig(),
    );
    expect(broken.vad).toBe('energy');
    expect(broken.notes).toContain('vad: energy (silero: onnxruntime-node failed to load)');
  });

  it('probes the real Silero VAD of the default registry', async () => {
    const auto = await detectAutoProviders(
      defaultProviders({ clock: systemClock }),
      defaultConfig(),
    );
    // Silero where onnxruntime-node runs (it does wherever the adapter tests pass), with a reason otherwise.
    expect(auto.notes.find((n) => n.startsWith('vad: '))).toMatch(
      auto.vad === 'silero' ? /^vad: silero \(model loaded/ : /^vad: energy \(silero: .+\)$/,
    );
  });

  it('picks the built-in demo assistant when no script is configured, else mock', async () => {
    const auto = await detectAutoProviders(
      defaultProviders({ clock: systemClock }),
      defaultConfig(),
    );
    expect(auto.agent).toBe('demo');
    expect(auto.notes).toContain(
      'agent: demo (the built-in restaurant booking assistant; scripted is not configured)',
    );
  });

  it('picks the scripted agent when a script is configured', async () => {
    const registry = createProviderRegistry().registerAgent('scripted', () => ({
      ...createMockAgent({ clock: systemClock }),
      id: 'scripted',
    }));
    expect((await detectAutoProviders(registry, defaultConfig())).agent).toBe('scripted');
  });
});
