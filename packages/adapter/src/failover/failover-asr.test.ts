import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { providerError } from '../interfaces.js';
import type { AsrEvent } from '../interfaces.js';
import { createFakeAsr, drainOnClock } from '../testing/index.js';
import { createCircuitBreaker } from './circuit-breaker.js';
import { createFailoverAsr } from './failover-asr.js';
import type { FallbackNotice } from './failover-agent.js';

describe('ASR failover', () => {
  it('replays the current utterance to the next provider and repeats a pending finalize', async () => {
    const clock = new SimulatedClock();
    const down = providerError('PROVIDER_UNAVAILABLE', {
      provider: 'primary',
      message: 'socket closed',
      fallback: true,
    });
    const primary = createFakeAsr({
      clock,
      id: 'primary',
      steps: [
        { afterAudioMs: 200, emit: { type: 'partial', text: 'turn', startMs: 0, endMs: 200 } },
        { onFinalize: 1, fail: down },
      ],
    });
    const secondary = createFakeAsr({
      clock,
      id: 'secondary',
      steps: [
        {
          onFinalize: 1,
          emit: { type: 'final', text: 'turn on the light', startMs: 0, endMs: 600 },
        },
      ],
    });
    const notices: FallbackNotice[] = [];
    const asr = createFailoverAsr({
      members: [
        { provider: primary, breaker: createCircuitBreaker({ clock }) },
        { provider: secondary, breaker: createCircuitBreaker({ clock }) },
      ],
      onFallback: (n) => notices.push(n),
    });
    const stream = asr.open({ sampleRate: 16000, language: 'en-US' });
    for (let i = 0; i < 30; i++) stream.push(new Int16Array(320).fill(i)); // 600 ms
    stream.finalize();
    stream.end();
    const events: AsrEvent[] = await drainOnClock(stream, clock);
    expect(events.map((e) => e.type)).toEqual(['partial', 'final']);
    expect(events[1]).toMatchObject({ text: 'turn on the light' });
    expect(notices).toEqual([
      {
        kind: 'asr',
        from: 'primary',
        to: 'secondary',
        reason: 'error',
        code: 'PROVIDER_UNAVAILABLE',
      },
    ]);
    // The secondary heard the whole utterance, once.
    expect(secondary.streams[0]).toMatchObject({ audioMs: 600, finalizeCalls: 1 });
  });
});
