import { SimulatedClock } from '@prx-voice/core/testing';
import { describe, expect, it } from 'vitest';
import { clockDelay, nextUnlessAborted } from './clock-delay.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('clockDelay', () => {
  it('resolves when the clock reaches the delay, not before', async () => {
    const clock = new SimulatedClock();
    let done = false;
    void clockDelay(clock, 100).then(() => (done = true));
    clock.advance(99);
    await tick();
    expect(done).toBe(false);
    clock.advance(1);
    await tick();
    expect(done).toBe(true);
  });

  it('resolves at once on abort and clears its timer', async () => {
    const clock = new SimulatedClock();
    const controller = new AbortController();
    let done = false;
    void clockDelay(clock, 100, controller.signal).then(() => (done = true));
    expect(clock.pendingCount).toBe(1);
    controller.abort();
    await tick();
    expect(done).toBe(true);
    expect(clock.pendingCount).toBe(0);
  });

  it('uses no timer for a zero delay or an aborted signal', async () => {
    const clock = new SimulatedClock();
    await clockDelay(clock, 0);
    await clockDelay(clock, 50, AbortSignal.abort());
    expect(clock.pendingCount).toBe(0);
  });
});

describe('nextUnlessAborted', () => {
  it('returns the next value, or undefined on abort and asks the iterator to return', async () => {
    let returned = false;
    let release: (value: IteratorResult<string>) => void = () => undefined;
    const iterator: AsyncIterator<string> = {
      next: () =>
        new Promise((resolve) => {
          release = resolve;
        }),
      return: () => {
        returned = true;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
    const controller = new AbortController();
    const first = nextUnlessAborted(iterator, controller.signal);
    release({ value: 'a', done: false });
    expect(await first).toEqual({ value: 'a', done: false });
    const second = nextUnlessAborted(iterator, controller.signal);
    controller.abort();
    expect(await second).toBeUndefined();
    expect(returned).toBe(true);
  });

  it('passes the iterator’s error on', async () => {
    const iterator: AsyncIterator<string> = { next: () => Promise.reject(new Error('boom')) };
    await expect(nextUnlessAborted(iterator, new AbortController().signal)).rejects.toThrow('boom');
  });
});
