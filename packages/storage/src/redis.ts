/**
 * `@prx-voice/storage/redis` — coordination on Redis, shared by every instance.
 * Needs the optional peer dependency `ioredis`.
 *
 * @example
 * import { createRedisCoordinator } from '@prx-voice/storage/redis';
 * const coordinator = createRedisCoordinator({ url: process.env.REDIS_URL, clock: systemClock });
 */
export { createRedisCoordinator } from './coordination/redis-coordinator.js';
export type { RedisCoordinatorOptions } from './coordination/redis-coordinator.js';
