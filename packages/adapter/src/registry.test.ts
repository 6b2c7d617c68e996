import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import { createMockAsr } from './mock/mock-asr.js';
import { createMockTts } from './mock/mock-tts.js';
import { createProviderRegistry } from './registry.js';

describe('createProviderRegistry', () => {
  it('creates each provider once, on its first lookup', () => {
    let created = 0;
    const registry = createProviderRegistry().registerAsr('mock', () => {
      created += 1;
      return createMockAsr();
    });
    expect(created).toBe(0);
    const first = registry.asr('mock');
    expect(registry.asr('mock')).toBe(first);
    expect(created).toBe(1);
    expect(registry.has('asr', 'mock')).toBe(true);
    expect(registry.has('tts', 'mock')).toBe(false);
  });

  it('throws VALIDATION_FAILED listing the known ids for an unknown one', () => {
    const registry = createProviderRegistry()
      .registerTts('mock', () => createMockTts())
      .registerTts('elevenlabs', () => createMockTts());
    const error = (() => {
      try {
        registry.tts('polly');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(VoiceError);
    expect(error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: "Unknown TTS provider 'polly'; known: elevenlabs, mock",
      details: { kind: 'tts', id: 'polly', known: ['elevenlabs', 'mock'] },
    });
    expect(() => registry.vad('energy')).toThrow("Unknown VAD provider 'energy'; known: (none)");
  });

  it('refuses a second registration of an id and an empty id', () => {
    const registry = createProviderRegistry().registerAsr('mock', () => createMockAsr());
    expect(() => registry.registerAsr('mock', () => createMockAsr())).toThrow(/already registered/);
    expect(() => registry.registerAsr('', () => createMockAsr())).toThrow(/must not be empty/);
    // The same id under another kind is fine.
    expect(() => registry.registerTts('mock', () => createMockTts())).not.toThrow();
  });
});
