import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { SimulatedClock } from '@prx-voice/core/testing';
import type { VoiceError } from '@prx-voice/types';
import { describeCoordinatorContract } from './coordinator.contract.js';
import { createRedisCoordinator } from './redis-coordinator.js';
import { deleteKeysWithPrefix, randomKeyPrefix, redisTestTarget } from './redis-test-support.js';

const target = redisTestTarget(); // throws (fails this file) in CI without REDIS_URL
const url = target.kind === 'available' ? target.url : '';
const runPrefix = randomKeyPrefix('coordination');
let testNumber = 0;

/** Options that make an unreachable Redis fail at once instead of retrying. */
const failFast = { retryStrategy: () => null, maxRetriesPerRequest: 0, lazyConnect: true } as const;

describe.skipIf(target.kind === 'skipped')(
  `redis coordinator${target.kind === 'skipped' ? ` (skipped: ${target.reason})` : ''}`,
  () => {
    afterAll(async () => {
      const admin = new Redis(url);
      await deleteKeysWithPrefix(admin, runPrefix);
      await admin.quit();
    });

    describeCoordinatorContract('contract', () => {
      testNumber += 1;
      const clock = new SimulatedClock();
      const keyPrefix = `${runPrefix}${testNumber}:`;
      const coordinator = createRedisCoordinator({ url, clock, keyPrefix });
      return Promise.resolve({
        coordinator,
        clock,
        other: () => Promise.resolve(createRedisCoordinator({ url, clock, keyPrefix })),
        cleanup: async () => {
          await coordinator.close();
          const admin = new Redis(url);
          try {
            await deleteKeysWithPrefix(admin, keyPrefix);
          } finally {
            await admin.quit();
          }
        },
      });
    });

    describe('redis specifics', () => {
      async function withRedis(
        test: (env: { admin: Redis; keyPrefix: string; clock: SimulatedClock }) => Promise<void>,
      ): Promise<void> {
        testNumber += 1;
        const admin = new Redis(url);
        try {
          await test({
            admin,
            keyPrefix: `${runPrefix}${testNumber}:`,
            clock: new SimulatedClock(),
          });
        } finally {
          await admin.quit();
        }
      }

      it('stores data under the documented, hash-tagged key layout with safety expiries', () =>
        withRedis(async ({ admin, keyPrefix, clock }) => {
          const coordinator = createRedisCoordinator({ url, clock, keyPrefix });
          try {
            await coordinator.acquireLease({
              key: 'tenant:t1',
              holder: 'ses_1',
              ttlMs: 30_000,
              limit: 5,
            });
            expect(await admin.zscore(`${keyPrefix}lease:{tenant:t1}`, 'ses_1')).toBe(
              String(clock.now() + 30_000),
            );
            const leasePttl = await admin.pttl(`${keyPrefix}lease:{tenant:t1}`);
            expect(leasePttl).toBeGreaterThan(60_000);
            expect(leasePttl).toBeLessThanOrEqual(120_000);

            await coordinator.increment('usage', 3, { ttlMs: 1_000 });
            expect(await admin.hgetall(`${keyPrefix}counter:{usage}`)).toEqual({
              v: '3',
              exp: String(clock.now() + 1_000),
            });
            expect(await admin.pttl(`${keyPrefix}counter:{usage}`)).toBeGreaterThan(0);
            await coordinator.increment('total');
            expect(await admin.pttl(`${keyPrefix}counter:{total}`)).toBe(-1); // no window: no expiry

            await coordinator.takeTokens({ key: 'api', capacity: 2, refillPerSecond: 1 });
            expect(await admin.hgetall(`${keyPrefix}bucket:{api}`)).toEqual({
              mtokens: '1000',
              updatedAt: String(clock.now()),
            });

            await coordinator.append('ses_1', 'a');
            await coordinator.append('ses_1', 'b', { position: 7 });
            expect(await admin.xrange(`${keyPrefix}stream:{ses_1}`, '-', '+')).toEqual([
              ['1-0', ['p', 'a']],
              ['7-0', ['p', 'b']],
            ]);
            expect(await admin.pttl(`${keyPrefix}stream:{ses_1}`)).toBeGreaterThan(
              23 * 60 * 60 * 1000,
            );

            const unsubscribe = await coordinator.subscribe('commands', () => undefined);
            expect(await admin.pubsub('CHANNELS', `${keyPrefix}*`)).toEqual([
              `${keyPrefix}chan:{commands}`,
            ]);
            await unsubscribe();
            expect(await admin.pubsub('CHANNELS', `${keyPrefix}*`)).toEqual([]);
          } finally {
            await coordinator.close();
            await deleteKeysWithPrefix(admin, keyPrefix);
          }
        }));

      it('reports a wrong-typed key as INTERNAL, not as unavailability', () =>
        withRedis(async ({ admin, keyPrefix, clock }) => {
          const coordinator = createRedisCoordinator({ url, clock, keyPrefix });
          try {
            await admin.set(`${keyPrefix}lease:{clash}`, 'not a sorted set');
            await expect(
              coordinator.acquireLease({ key: 'clash', holder: 'h', ttlMs: 1_000 }),
            ).rejects.toMatchObject({ code: 'INTERNAL' });
          } finally {
            await coordinator.close();
            await deleteKeysWithPrefix(admin, keyPrefix);
          }
        }));

      it('takes over a given connection and quits it on close', async () => {
        const redis = new Redis(url);
        const coordinator = createRedisCoordinator({
          redis,
          clock: new SimulatedClock(),
          keyPrefix: `${runPrefix}owned:`,
        });
        await coordinator.ping();
        await coordinator.close();
        expect(redis.status).toBe('end');
      });
    });
  },
);

describe('redis coordinator without a reachable Redis', () => {
  it('rejects operations with STORAGE_UNAVAILABLE carrying the cause', async () => {
    const errors: VoiceError[] = [];
    const coordinator = createRedisCoordinator({
      url: 'redis://127.0.0.1:1',
      clock: new SimulatedClock(),
      redisOptions: failFast,
      onError: (error) => errors.push(error),
    });
    try {
      const failure: unknown = await coordinator.ping().catch((error: unknown) => error);
      expect(failure).toMatchObject({
        name: 'VoiceError',
        code: 'STORAGE_UNAVAILABLE',
        retryable: true,
      });
      expect((failure as VoiceError).cause).toBeInstanceOf(Error);
      await expect(
        coordinator.acquireLease({ key: 'k', holder: 'h', ttlMs: 1_000 }),
      ).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      await expect(coordinator.append('s', 'x')).rejects.toMatchObject({
        code: 'STORAGE_UNAVAILABLE',
      });
      await expect(coordinator.publish('c', 'x')).rejects.toMatchObject({
        code: 'STORAGE_UNAVAILABLE',
      });
      await expect(coordinator.subscribe('c', () => undefined)).rejects.toMatchObject({
        code: 'STORAGE_UNAVAILABLE',
      });
      expect(errors.every((error) => error.code === 'STORAGE_UNAVAILABLE')).toBe(true);
    } finally {
      await coordinator.close();
    }
  });

  it('does the same with a connection handed in', async () => {
    const redis = new Redis('redis://127.0.0.1:1', failFast);
    redis.on('error', () => undefined);
    const coordinator = createRedisCoordinator({ redis, clock: new SimulatedClock() });
    await expect(coordinator.getCounter('k')).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
    });
    await coordinator.close();
  });

  it('refuses incomplete or ambiguous configuration', () => {
    const clock = new SimulatedClock();
    expect(() => createRedisCoordinator({ clock })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() =>
      createRedisCoordinator({ clock, url: 'redis://127.0.0.1:1', keyPrefix: 'bad{' }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
