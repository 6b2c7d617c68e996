import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import { AsyncEventQueue } from './async-queue.js';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('AsyncEventQueue', () => {
  it('delivers buffered and later events in order, then ends', async () => {
    const queue = new AsyncEventQueue<number>();
    queue.push(1);
    queue.push(2);
    const all = collect(queue);
    queue.push(3);
    await Promise.resolve();
    queue.push(4);
    queue.end();
    queue.push(5); // after end: ignored
    expect(await all).toEqual([1, 2, 3, 4]);
  });

  it('throws the failure after the buffered events', async () => {
    const queue = new AsyncEventQueue<string>();
    const seen: string[] = [];
    queue.push('a');
    queue.fail(new VoiceError('PROVIDER_ERROR'));
    await expect(
      (async () => {
        for await (const item of queue) seen.push(item);
      })(),
    ).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(seen).toEqual(['a']);
  });

  it('rejects a waiting consumer when failed', async () => {
    const queue = new AsyncEventQueue<string>();
    const iterator = queue[Symbol.asyncIterator]();
    const pending = iterator.next();
    queue.fail(new VoiceError('TIMEOUT'));
    await expect(pending).rejects.toMatchObject({ code: 'TIMEOUT' });
    await expect(iterator.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('clear() drops buffered events and ends a waiting consumer', async () => {
    const queue = new AsyncEventQueue<number>();
    queue.push(1);
    queue.clear();
    expect(await collect(queue)).toEqual([]);
    const other = new AsyncEventQueue<number>();
    const iterator = other[Symbol.asyncIterator]();
    const pending = iterator.next();
    other.clear();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
  });

  it('calls onReturn when the consumer breaks out early, not after a normal end', async () => {
    let returned = 0;
    const queue = new AsyncEventQueue<number>(() => (returned += 1));
    queue.push(1);
    queue.push(2);
    for await (const item of queue) if (item === 1) break;
    expect(returned).toBe(1);
    expect(queue.ended).toBe(true);
    const ended = new AsyncEventQueue<number>(() => (returned += 1));
    ended.end();
    await collect(ended);
    expect(returned).toBe(1);
  });

  it('can be iterated once and refuses overlapping next() calls', async () => {
    const queue = new AsyncEventQueue<number>();
    const iterator = queue[Symbol.asyncIterator]();
    expect(() => queue[Symbol.asyncIterator]()).toThrow(VoiceError);
    const first = iterator.next();
    await expect(iterator.next()).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    queue.push(7);
    await expect(first).resolves.toEqual({ value: 7, done: false });
  });
});
