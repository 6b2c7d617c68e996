import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig, systemClock } from '@prx-voice/core';
import { configuredProviders } from './configured-providers.js';
import { sileroPool } from './vad/silero-pool.js';
import { sileroModelPath } from './vad/silero-runner.js';

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

  it('run the Silero VAD on a pool of adapters.vad.silero_workers workers', () => {
    const config = loadConfig({
      env: { PRX_VOICE_ADAPTERS__VAD__SILERO_WORKERS: '3' },
      fileExists: () => false,
    });
    expect(config.adapters.vad.silero_workers).toBe(3);
    const vad = configuredProviders(config, systemClock, {}).vad('silero');
    const options = {
      sampleRate: 16000,
      threshold: 0.5,
      minSpeechMs: 100,
      minSilenceMs: 300,
      minVolume: 0,
    } as const;
    const streams = [vad.open(options, () => undefined), vad.open(options, () => undefined)];
    expect(sileroPool(sileroModelPath(), 3).loads()).toEqual([1, 1, 0]);
    for (const stream of streams) stream.close();
    expect(() =>
      loadConfig({
        env: { PRX_VOICE_ADAPTERS__VAD__SILERO_WORKERS: '100' },
        fileExists: () => false,
      }),
    ).toThrow(/silero_workers/);
  });
});
