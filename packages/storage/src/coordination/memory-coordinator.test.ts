import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { describeCoordinatorContract } from './coordinator.contract.js';
import { MemoryCoordinationHub } from './memory-hub.js';
import { createMemoryCoordinator } from './memory-coordinator.js';
import type { VoiceError } from '@prx-voice/types';

describeCoordinatorContract('memory coordinator', () => {
  const clock = new SimulatedClock();
  const hub = new MemoryCoordinationHub();
  const coordinator = createMemoryCoordinator({ clock, hub });
  return Promise.resolve({
    coordinator,
    clock,
    other: () => Promise.resolve(createMemoryCoordinator({ clock, hub })),
    cleanup: () => coordinator.close(),
  });
});

describe('memory coordinator specifics', () => {
  it('keeps separate hubs apart', async () => {
    const clock = new SimulatedClock();
    const a = createMemoryCoordinator({ clock });
    const b = createMemoryCoordinator({ clock });
    await a.acquireLease({ key: 'k', holder: 'x', ttlMs: 1_000 });
    expect(await b.listLeases('k')).toEqual([]);
    expect(a.kind).toBe('memory');
  });

  it('reports a throwing handler through onError', async () => {
    const clock = new SimulatedClock();
    const errors: VoiceError[] = [];
    let reported = (): void => undefined;
    const promise = new Promise<void>((resolve) => {
      reported = resolve;
    });
    const coordinator = createMemoryCoordinator({
      clock,
      onError: (error) => {
        errors.push(error);
        reported();
      },
    });
    await coordinator.subscribe('c', () => {
      throw new Error('boom');
    });
    await coordinator.publish('c', 'm');
    await promise;
    expect(errors.map((e) => [e.code, (e.cause as Error).message])).toEqual([['INTERNAL', 'boom']]);
  });

  it('drops streams nobody appended to within the retention, by clock time', async () => {
    const clock = new SimulatedClock();
    const coordinator = createMemoryCoordinator({
      clock,
      hub: new MemoryCoordinationHub({ streamRetentionMs: 60_000 }),
    });
    await coordinator.append('s', 'a');
    clock.advance(59_999);
    expect(await coordinator.lastPosition('s')).toBe(1);
    clock.advance(1);
    expect(await coordinator.lastPosition('s')).toBe(0);
    expect(await coordinator.readAfter('s', 0)).toEqual([]);
  });
});
