import { describe, expect, it } from 'vitest';
import { defaultConfig, systemClock } from '@prx-voice/core';
import { configuredProviders } from './configured-providers.js';

describe('the server providers', () => {
  it('check session options with the adapters.providers.<id> defaults under them', () => {
    const base = defaultConfig();
    const config = {
      ...base,
      adapters: { ...base.adapters, providers: { openai: { model: 'gpt-4o-mini' } } },
    };
    const agent = configuredProviders(config, systemClock, {}).agent('openai');
    // The model comes from the defaults; a bad temperature is still named.
    expect(() => agent.validateOptions?.({ temperature: 1 })).not.toThrow();
    expect(() => agent.validateOptions?.({ temperature: 9 })).toThrow(/temperature/);
    const bare = configuredProviders(base, systemClock, {}).agent('openai');
    expect(() => bare.validateOptions?.({})).toThrow(/model/);
    const tts = configuredProviders(config, systemClock, {}).tts('elevenlabs');
    expect(() => tts.validateOptions?.({ speed: 3 })).toThrow(/speed/);
  });
});
