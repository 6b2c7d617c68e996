import { describe, expect, it } from 'vitest';
import { PreOpenQueue } from './pre-open-queue.js';

describe('PreOpenQueue', () => {
  it('keeps copies, in order with control messages', () => {
    const queue = new PreOpenQueue(100);
    const frame = Int16Array.of(1, 2);
    queue.pushAudio(frame);
    queue.pushControl('c');
    frame[0] = 9;
    queue.pushAudio(frame);
    expect(queue.drain()).toEqual([
      { kind: 'audio', samples: Int16Array.of(1, 2) },
      { kind: 'control', text: 'c' },
      { kind: 'audio', samples: Int16Array.of(9, 2) },
    ]);
    expect(queue.drain()).toEqual([]);
  });

  it('drops the oldest audio past the bound and counts it', () => {
    const queue = new PreOpenQueue(5);
    queue.pushAudio(Int16Array.of(1, 2, 3));
    queue.pushControl('c');
    queue.pushAudio(Int16Array.of(4, 5, 6));
    expect(queue.droppedSamples).toBe(1);
    queue.pushAudio(Int16Array.of(7, 8, 9));
    expect(queue.droppedSamples).toBe(4);
    expect(queue.drain()).toEqual([
      { kind: 'control', text: 'c' },
      { kind: 'audio', samples: Int16Array.of(5, 6) },
      { kind: 'audio', samples: Int16Array.of(7, 8, 9) },
    ]);
  });
});
