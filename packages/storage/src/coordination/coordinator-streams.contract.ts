/** Contract: streams — positions, conflicts, reads after a position, trimming. */
import { describe, expect, it } from 'vitest';
import type { ContractHarness } from './coordinator-harness.contract.js';
import type { Coordinator } from './coordinator.js';

async function fill(coordinator: Coordinator, stream: string, count: number): Promise<void> {
  for (let i = 1; i <= count; i += 1) await coordinator.append(stream, `e${i}`);
}

function positions(entries: readonly { position: number }[]): number[] {
  return entries.map((entry) => entry.position);
}

/** Registers the stream tests. */
export function describeStreamContract(harness: () => ContractHarness): void {
  describe('streams', () => {
    it('numbers appends from 1 and reads after a position, with a limit', async () => {
      const { coordinator } = harness();
      expect(await coordinator.lastPosition('s')).toBe(0);
      expect(await coordinator.readAfter('s', 0)).toEqual([]);
      expect(await coordinator.append('s', 'a')).toBe(1);
      expect(await coordinator.append('s', 'b')).toBe(2);
      expect(await coordinator.append('s', '')).toBe(3);
      expect(await coordinator.lastPosition('s')).toBe(3);
      expect(await coordinator.readAfter('s', 0)).toEqual([
        { position: 1, payload: 'a' },
        { position: 2, payload: 'b' },
        { position: 3, payload: '' },
      ]);
      expect(await coordinator.readAfter('s', 1, { limit: 1 })).toEqual([
        { position: 2, payload: 'b' },
      ]);
      expect(await coordinator.readAfter('s', 3)).toEqual([]);
      expect(await coordinator.readAfter('s', 99)).toEqual([]);
      expect(await coordinator.lastPosition('other')).toBe(0);
    });

    it('keeps payloads byte-exact', async () => {
      const { coordinator } = harness();
      const payload = JSON.stringify({ text: 'héllo 👋\n"quoted"', nested: { seq: 1 } });
      await coordinator.append('exact', payload);
      expect(await coordinator.readAfter('exact', 0)).toEqual([{ position: 1, payload }]);
    });

    it('assigns gap-free positions under concurrent appends from two instances', async () => {
      const { coordinator } = harness();
      const second = await harness().second();
      const appended = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          (i % 2 === 0 ? coordinator : second).append('busy', `p${i}`),
        ),
      );
      expect([...appended].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      const entries = await second.readAfter('busy', 0);
      expect(positions(entries)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      for (const [i, position] of appended.entries()) {
        expect(entries[position - 1]?.payload).toBe(`p${i}`);
      }
      expect(await coordinator.lastPosition('busy')).toBe(100);
    });

    it('accepts explicit positions that move forward and continues after them', async () => {
      const { coordinator } = harness();
      expect(await coordinator.append('x', 'first', { position: 1 })).toBe(1);
      expect(await coordinator.append('x', 'jump', { position: 10 })).toBe(10);
      expect(await coordinator.append('x', 'auto')).toBe(11);
      expect(positions(await coordinator.readAfter('x', 0))).toEqual([1, 10, 11]);
      expect(positions(await coordinator.readAfter('x', 5))).toEqual([10, 11]);
    });

    it('refuses a non-increasing explicit position with CONFLICT and changes nothing', async () => {
      const { coordinator } = harness();
      await coordinator.append('c', 'a', { position: 5 });
      await expect(coordinator.append('c', 'same', { position: 5 })).rejects.toMatchObject({
        code: 'CONFLICT',
        details: { last_position: 5 },
      });
      await expect(coordinator.append('c', 'older', { position: 2 })).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect(await coordinator.lastPosition('c')).toBe(5);
      expect(await coordinator.readAfter('c', 0)).toEqual([{ position: 5, payload: 'a' }]);
      await expect(coordinator.append('c', 'zero', { position: 0 })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(coordinator.append('c', 'frac', { position: 6.5 })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });

    it('lets exactly one of two racing writers claim an explicit position', async () => {
      const { coordinator } = harness();
      const second = await harness().second();
      const outcomes = await Promise.allSettled([
        coordinator.append('race', 'one', { position: 1 }),
        second.append('race', 'two', { position: 1 }),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
      expect(await coordinator.readAfter('race', 0)).toHaveLength(1);
    });

    it('trims to a length, never reusing positions', async () => {
      const { coordinator } = harness();
      await fill(coordinator, 't', 10);
      expect(await coordinator.trim('t', { maxLength: 3 })).toBe(7);
      expect(await coordinator.readAfter('t', 0)).toEqual([
        { position: 8, payload: 'e8' },
        { position: 9, payload: 'e9' },
        { position: 10, payload: 'e10' },
      ]);
      expect(await coordinator.trim('t', { maxLength: 3 })).toBe(0);
      expect(await coordinator.lastPosition('t')).toBe(10);
      expect(await coordinator.trim('t', { maxLength: 0 })).toBe(3);
      expect(await coordinator.readAfter('t', 0)).toEqual([]);
      expect(await coordinator.lastPosition('t')).toBe(10);
      expect(await coordinator.append('t', 'next')).toBe(11);
      await expect(coordinator.append('t', 'old', { position: 10 })).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect(await coordinator.trim('missing', { maxLength: 1 })).toBe(0);
    });

    it('trims everything before a position', async () => {
      const { coordinator } = harness();
      await fill(coordinator, 'b', 6);
      expect(await coordinator.trim('b', { beforePosition: 4 })).toBe(3);
      expect(positions(await coordinator.readAfter('b', 0))).toEqual([4, 5, 6]);
      expect(await coordinator.trim('b', { beforePosition: 4 })).toBe(0);
      expect(await coordinator.trim('b', { beforePosition: 100 })).toBe(3);
      expect(await coordinator.lastPosition('b')).toBe(6);
      expect(await coordinator.trim('missing', { beforePosition: 2 })).toBe(0);
    });

    it('trims exactly on append with maxLength', async () => {
      const { coordinator } = harness();
      await fill(coordinator, 'm', 4);
      expect(await coordinator.append('m', 'e5', { maxLength: 2 })).toBe(5);
      expect(positions(await coordinator.readAfter('m', 0))).toEqual([4, 5]);
      expect(await coordinator.append('m', 'e7', { position: 7, maxLength: 1 })).toBe(7);
      expect(await coordinator.readAfter('m', 0)).toEqual([{ position: 7, payload: 'e7' }]);
    });

    it('rejects invalid reads and trims', async () => {
      const { coordinator } = harness();
      const invalid = { code: 'VALIDATION_FAILED' };
      await expect(coordinator.readAfter('s', -1)).rejects.toMatchObject(invalid);
      await expect(coordinator.readAfter('s', 0, { limit: 0 })).rejects.toMatchObject(invalid);
      await expect(coordinator.trim('s', { maxLength: -1 })).rejects.toMatchObject(invalid);
      await expect(coordinator.trim('s', { beforePosition: 0 })).rejects.toMatchObject(invalid);
      await expect(coordinator.append('', 'x')).rejects.toMatchObject(invalid);
    });
  });
}
