import { SimulatedClock } from '@prx-voice/core/testing';
import { describe, expect, it } from 'vitest';
import { defaultProviders } from './default-providers.js';
import { drainOnClock } from './testing/drive.js';

describe('defaultProviders', () => {
  it('registers the mock providers, the demo agent, the offline engines (pocketsphinx, espeak) and the energy and Silero VADs', () => {
    const providers = defaultProviders({ clock: new SimulatedClock() });
    expect(providers.ids('asr')).toEqual(['mock', 'pocketsphinx']);
    expect(providers.ids('agent')).toEqual(['demo', 'mock']);
    expect(providers.ids('tts')).toEqual(['espeak', 'mock']);
    expect(providers.ids('vad')).toEqual(['energy', 'silero']);
    expect(providers.vad('silero').id).toBe('silero');
    expect(providers.vad('energy').id).toBe('energy');
  });

  it('paces the mock agent on the given clock', async () => {
    const clock = new SimulatedClock();
    const start = clock.now();
    const events = await drainOnClock(
      defaultProviders({ clock })
        .agent('mock')
        .run({
          conversation: [{ role: 'user', content: 'hi' }],
          tools: [],
          signal: new AbortController().signal,
        }),
      clock,
    );
    expect(events.at(-1)).toEqual({ type: 'done', finishReason: 'stop' });
    expect(clock.now() - start).toBe(60);
  });
});
