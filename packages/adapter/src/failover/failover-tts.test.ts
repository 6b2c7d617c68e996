import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import type { TtsEvent } from '../interfaces.js';
import { createFakeTts, drainOnClock } from '../testing/index.js';
import { createCircuitBreaker } from './circuit-breaker.js';
import { createFailoverTts, unspokenRemainder } from './failover-tts.js';
import type { FallbackNotice } from './failover-agent.js';

describe('TTS failover', () => {
  it('computes the unspoken remainder from word timings or the speech rate', () => {
    const words = [
      { text: 'It', endMs: 100 },
      { text: 'is', endMs: 200 },
      { text: 'sunny', endMs: 450 },
    ];
    expect(unspokenRemainder('It is sunny today.', 250, words)).toBe('sunny today.');
    expect(unspokenRemainder('It is sunny today.', 0, words)).toBe('It is sunny today.');
    expect(unspokenRemainder('It is sunny today.', 200, [])).toBe('is sunny today.'); // 3 characters estimated
    expect(unspokenRemainder('Done.', 10_000, [{ text: 'Done.', endMs: 300 }])).toBe('');
  });

  it('resynthesizes only what was not yet spoken on the next provider', async () => {
    const clock = new SimulatedClock();
    const primary = createFakeTts({
      clock,
      id: 'primary',
      msPerChar: 50,
      chunkMs: 100,
      failAfterChunks: 3,
    });
    const secondary = createFakeTts({ clock, id: 'secondary', msPerChar: 50, chunkMs: 100 });
    const notices: FallbackNotice[] = [];
    const tts = createFailoverTts({
      clock,
      members: [
        { provider: primary, breaker: createCircuitBreaker({ clock }) },
        { provider: secondary, breaker: createCircuitBreaker({ clock }) },
      ],
      onFallback: (n) => notices.push(n),
    });
    const events: TtsEvent[] = await drainOnClock(
      tts.synthesize({
        text: 'It is sunny today in Oslo.',
        sampleRate: 16000,
        signal: new AbortController().signal,
      }),
      clock,
    );
    expect(notices).toEqual([
      { kind: 'tts', from: 'primary', to: 'secondary', reason: 'error', code: 'PROVIDER_ERROR' },
    ]);
    const resent = secondary.syntheses[0]?.text ?? '';
    // 300 ms were spoken by the primary: "It is" (5 characters at 50 ms = 250 ms) at least.
    expect('It is sunny today in Oslo.'.endsWith(resent)).toBe(true);
    expect(resent.startsWith('It')).toBe(false);
    const audioMs = events
      .filter((e) => e.type === 'audio')
      .reduce((n, e) => n + (e as { samples: Int16Array }).samples.length / 16, 0);
    expect(audioMs).toBe(300 + resent.length * 50);
  });
});
