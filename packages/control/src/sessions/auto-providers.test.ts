import { describe, expect, it } from 'vitest';
import { defaultConfig } from '@prx-voice/core';
import { resolveAutoProviders } from './session-providers.js';

describe('resolveAutoProviders', () => {
  it('replaces auto by the given choice or mock, and drops the choice from the fallbacks', () => {
    const base = defaultConfig();
    const config = {
      ...base,
      adapters: {
        ...base.adapters,
        tts: { ...base.adapters.tts, fallbacks: ['espeak', 'mock'] },
        agent: { ...base.adapters.agent, provider: 'openai', fallbacks: ['mock'] },
      },
    };
    const resolved = resolveAutoProviders(config, { asr: 'pocketsphinx', tts: 'espeak' });
    expect(resolved.adapters.asr.provider).toBe('pocketsphinx');
    expect(resolved.adapters.tts).toMatchObject({ provider: 'espeak', fallbacks: ['mock'] });
    // Explicit choices stay as they are.
    expect(resolved.adapters.agent).toMatchObject({ provider: 'openai', fallbacks: ['mock'] });
    expect(resolveAutoProviders(base).adapters.asr.provider).toBe('mock');
  });

  it('resolves the VAD auto to the probed choice, else energy; an explicit VAD stays', () => {
    const base = defaultConfig();
    expect(base.adapters.vad.provider).toBe('auto');
    expect(resolveAutoProviders(base, { vad: 'silero' }).adapters.vad.provider).toBe('silero');
    expect(resolveAutoProviders(base).adapters.vad.provider).toBe('energy');
    const energy = {
      ...base,
      adapters: { ...base.adapters, vad: { ...base.adapters.vad, provider: 'energy' as const } },
    };
    expect(resolveAutoProviders(energy, { vad: 'silero' }).adapters.vad.provider).toBe('energy');
  });
});
