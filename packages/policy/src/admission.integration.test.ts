import { Redis } from 'ioredis';
import { describe, it } from 'vitest';
import { createRedisCoordinator } from '@prx-voice/storage/redis';
import { deleteKeysWithPrefix, randomKeyPrefix } from '@prx-voice/storage/testing';
import { describeAdmissionContract } from './admission.contract.js';

const url = process.env.REDIS_URL;

if (url === undefined || url === '') {
  describe('admission: Redis', () => {
    // In CI a missing REDIS_URL is a failure, never a silent skip.
    it.skipIf(process.env.CI === undefined)('needs REDIS_URL', () => {
      throw new Error('REDIS_URL is not set: the Redis admission suite cannot run');
    });
  });
} else {
  describeAdmissionContract('Redis, two coordinator instances', (clock) => {
    const keyPrefix = randomKeyPrefix('admission');
    const one = createRedisCoordinator({ url, clock, keyPrefix });
    const two = createRedisCoordinator({ url, clock, keyPrefix });
    return Promise.resolve({
      one,
      two,
      // Redis restarted without its data: every key of the test gone.
      async emptied() {
        const redis = new Redis(url);
        await deleteKeysWithPrefix(redis, keyPrefix);
        await redis.quit();
        return one;
      },
      async cleanup() {
        await one.close();
        await two.close();
        const redis = new Redis(url);
        await deleteKeysWithPrefix(redis, keyPrefix);
        await redis.quit();
      },
    });
  });
}
