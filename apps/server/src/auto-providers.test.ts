import { describe, expect, it } from 'vitest';
import {
  createMockAgent,
  createMockAsr,
  createMockTts,
  createProviderRegistry,
} from '@prx-voice/adapter';
import type { HealthReport } from '@prx-voice/adapter';
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
      notes: [
        'asr: pocketsphinx',
        'tts: mock (espeak: espeak-ng is not installed)',
        'agent: mock (scripted is not configured)',
      ],
    });
  });

  it('picks the scripted agent when a script is configured', async () => {
    const registry = createProviderRegistry().registerAgent('scripted', () => ({
      ...createMockAgent({ clock: systemClock }),
      id: 'scripted',
    }));
    expect((await detectAutoProviders(registry, defaultConfig())).agent).toBe('scripted');
  });
});
