import { describe, expect, it } from 'vitest';
import { initialSileroState, inlineSileroRunner, sileroModelPath } from './silero-runner.js';
import { workerSileroRunner } from './silero-worker.js';

function tone(length: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => 0.2 * Math.sin(i / 5));
}

describe('Silero runners', () => {
  it('agree on probability and state, carrying the state from window to window', async () => {
    const worker = await workerSileroRunner(sileroModelPath());
    const inline = await inlineSileroRunner(sileroModelPath());
    let a = initialSileroState();
    let b = initialSileroState();
    for (let n = 0; n < 5; n++) {
      const [x, y] = await Promise.all([
        worker.infer(tone(512), a, 16000),
        inline.infer(tone(512), b, 16000),
      ]);
      expect(x.probability).toBeCloseTo(y.probability, 6);
      expect(Array.from(x.state.h)).toEqual(Array.from(y.state.h));
      expect(x.inferenceMs).toBeGreaterThan(0);
      a = x.state;
      b = y.state;
    }
    expect(a.h.some((v) => v !== 0)).toBe(true);
  });

  it('refuses a state already handed over instead of waiting forever', async () => {
    const worker = await workerSileroRunner(sileroModelPath());
    const state = initialSileroState();
    await worker.infer(tone(256), state, 8000);
    await expect(worker.infer(tone(256), state, 8000)).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      details: { provider: 'silero', fallback: true },
    });
  });
});
