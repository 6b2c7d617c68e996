import { randomBytes } from 'node:crypto';
import { describe, it } from 'vitest';
import { createRedisCoordinator } from '@prx-voice/storage';
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
  describeAdmissionContract('Redis, two coordinator instances', async (clock) => {
    const keyPrefix = `prx-test:${randomBytes(6).toString('hex')}:`;
    const one = createRedisCoordinator({ url, clock, keyPrefix });
    const two = createRedisCoordinator({ url, clock, keyPrefix });
    return {
      one,
      two,
      async cleanup() {
        await one.close();
        await two.close();
      },
    };
  });
}
