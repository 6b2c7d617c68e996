import { SimulatedClock } from '@prx-voice/core/testing';
import { describe, expect, it } from 'vitest';
import { drainOnClock } from './drive.js';

describe('drainOnClock', () => {
  it('fails instead of hanging when the iteration waits with no timer pending', async () => {
    const clock = new SimulatedClock();
    async function* stuck(): AsyncGenerator<number> {
      yield 1;
      await new Promise(() => undefined);
    }
    await expect(drainOnClock(stuck(), clock)).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('gives up after maxTimers', async () => {
    const clock = new SimulatedClock();
    async function* forever(): AsyncGenerator<number> {
      for (let i = 0; ; i++) {
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 10));
        yield i;
      }
    }
    await expect(drainOnClock(forever(), clock, { maxTimers: 5 })).rejects.toThrow(/5 timers/);
  });
});
