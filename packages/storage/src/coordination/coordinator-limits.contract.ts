/** Contract: counters (with windows and bounded increments) and token buckets, on simulated time. */
import { describe, expect, it } from 'vitest';
import type { ContractHarness } from './coordinator-harness.contract.js';

/** Registers the counter and token-bucket tests. */
export function describeLimitsContract(harness: () => ContractHarness): void {
  describe('counters', () => {
    it('increments by 1 or by any safe integer and reads 0 when absent', async () => {
      const { coordinator } = harness();
      expect(await coordinator.getCounter('c')).toBe(0);
      expect(await coordinator.increment('c')).toBe(1);
      expect(await coordinator.increment('c', 41)).toBe(42);
      expect(await coordinator.increment('c', -2)).toBe(40);
      expect(await coordinator.getCounter('c')).toBe(40);
      expect(await coordinator.getCounter('other')).toBe(0);
    });

    it('resets after a fixed window that later increments do not extend', async () => {
      const { coordinator, clock } = harness();
      expect(await coordinator.increment('w', 1, { ttlMs: 1_000 })).toBe(1);
      clock.advance(600);
      expect(await coordinator.increment('w', 1, { ttlMs: 1_000 })).toBe(2);
      clock.advance(399);
      expect(await coordinator.getCounter('w')).toBe(2);
      clock.advance(1);
      expect(await coordinator.getCounter('w')).toBe(0);
      expect(await coordinator.increment('w', 5, { ttlMs: 1_000 })).toBe(5);
      clock.advance(999);
      expect(await coordinator.incrementIfWithin('w', 1, 10, { ttlMs: 1_000 })).toEqual({
        ok: true,
        value: 6,
      });
      clock.advance(1);
      expect(await coordinator.incrementIfWithin('w', 10, 10, { ttlMs: 1_000 })).toEqual({
        ok: true,
        value: 10,
      });
    });

    it('applies a bounded increment only while the result stays within the limit', async () => {
      const { coordinator } = harness();
      expect(await coordinator.incrementIfWithin('b', 5, 10)).toEqual({ ok: true, value: 5 });
      expect(await coordinator.incrementIfWithin('b', 6, 10)).toEqual({ ok: false, value: 5 });
      expect(await coordinator.incrementIfWithin('b', 5, 10)).toEqual({ ok: true, value: 10 });
      expect(await coordinator.incrementIfWithin('b', 1, 10)).toEqual({ ok: false, value: 10 });
      expect(await coordinator.getCounter('b')).toBe(10);
      expect(await coordinator.incrementIfWithin('fresh', 11, 10)).toEqual({ ok: false, value: 0 });
      expect(await coordinator.getCounter('fresh')).toBe(0);
    });

    it('never exceeds the limit under 100 concurrent bounded increments from two instances', async () => {
      const { coordinator } = harness();
      const second = await harness().second();
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          (i % 2 === 0 ? coordinator : second).incrementIfWithin('budget', 1, 37),
        ),
      );
      const applied = results.filter((r) => r.ok);
      expect(applied).toHaveLength(37);
      expect(applied.map((r) => r.value).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 37 }, (_, i) => i + 1),
      );
      expect(results.filter((r) => !r.ok).every((r) => r.value === 37)).toBe(true);
      expect(await second.getCounter('budget')).toBe(37);
    });

    it('rejects non-integer amounts', async () => {
      const { coordinator } = harness();
      await expect(coordinator.increment('c', 1.5)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(coordinator.incrementIfWithin('c', 1, Number.NaN)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(coordinator.increment('c', 1, { ttlMs: -1 })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });
  });

  describe('token buckets', () => {
    const bucket = { key: 'api', capacity: 5, refillPerSecond: 1 };

    it('starts full and refuses once empty, with the wait for the next token', async () => {
      const { coordinator } = harness();
      const remaining: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        const result = await coordinator.takeTokens(bucket);
        expect(result.allowed).toBe(true);
        expect(result.retryAfterMs).toBe(0);
        remaining.push(result.remaining);
      }
      expect(remaining).toEqual([4, 3, 2, 1, 0]);
      expect(await coordinator.takeTokens(bucket)).toEqual({
        allowed: false,
        remaining: 0,
        retryAfterMs: 1_000,
        resetMs: 5_000,
      });
    });

    it('refills with simulated time, capped at capacity', async () => {
      const { coordinator, clock } = harness();
      await coordinator.takeTokens({ ...bucket, cost: 5 });
      clock.advance(999);
      expect(await coordinator.takeTokens(bucket)).toMatchObject({
        allowed: false,
        retryAfterMs: 1,
      });
      clock.advance(1);
      expect(await coordinator.takeTokens(bucket)).toEqual({
        allowed: true,
        remaining: 0,
        retryAfterMs: 0,
        resetMs: 5_000,
      });
      clock.advance(2_500);
      expect(await coordinator.takeTokens(bucket)).toEqual({
        allowed: true,
        remaining: 1,
        retryAfterMs: 0,
        resetMs: 3_500,
      });
      clock.advance(60_000);
      expect(await coordinator.takeTokens(bucket)).toEqual({
        allowed: true,
        remaining: 4,
        retryAfterMs: 0,
        resetMs: 1_000,
      });
    });

    it('reports the wait for a multi-token cost and charges it when due', async () => {
      const { coordinator, clock } = harness();
      const fast = { key: 'fast', capacity: 10, refillPerSecond: 4 };
      expect((await coordinator.takeTokens({ ...fast, cost: 9 })).remaining).toBe(1);
      expect(await coordinator.takeTokens({ ...fast, cost: 3 })).toEqual({
        allowed: false,
        remaining: 1,
        retryAfterMs: 500,
        resetMs: 2_250,
      });
      clock.advance(499);
      expect((await coordinator.takeTokens({ ...fast, cost: 3 })).allowed).toBe(false);
      clock.advance(1);
      expect(await coordinator.takeTokens({ ...fast, cost: 3 })).toEqual({
        allowed: true,
        remaining: 0,
        retryAfterMs: 0,
        resetMs: 2_500,
      });
    });

    it('never allows a cost above capacity, without charging anything', async () => {
      const { coordinator } = harness();
      expect(await coordinator.takeTokens({ ...bucket, cost: 6 })).toEqual({
        allowed: false,
        remaining: 5,
        retryAfterMs: Number.POSITIVE_INFINITY,
        resetMs: 0,
      });
      expect((await coordinator.takeTokens({ ...bucket, cost: 5 })).allowed).toBe(true);
    });

    it('inspects with cost 0 and keeps buckets apart', async () => {
      const { coordinator } = harness();
      await coordinator.takeTokens({ ...bucket, cost: 2 });
      expect(await coordinator.takeTokens({ ...bucket, cost: 0 })).toEqual({
        allowed: true,
        remaining: 3,
        retryAfterMs: 0,
        resetMs: 2_000,
      });
      expect((await coordinator.takeTokens({ ...bucket, key: 'api-2', cost: 0 })).remaining).toBe(
        5,
      );
    });

    it('admits exactly capacity under concurrency from two instances', async () => {
      const { coordinator } = harness();
      const second = await harness().second();
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          (i % 2 === 0 ? coordinator : second).takeTokens({
            key: 'hot',
            capacity: 25,
            refillPerSecond: 1,
          }),
        ),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(25);
    });

    it('rejects invalid buckets', async () => {
      const { coordinator } = harness();
      await expect(coordinator.takeTokens({ ...bucket, capacity: 0 })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(
        coordinator.takeTokens({ ...bucket, refillPerSecond: -1 }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(coordinator.takeTokens({ ...bucket, cost: -1 })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });
  });
}
