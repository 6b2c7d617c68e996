export { openTestDatabase } from './test-database.js';
export type { TestDatabase } from './test-database.js';
export {
  deleteKeysWithPrefix,
  randomKeyPrefix,
  redisTestTarget,
} from '../coordination/redis-test-support.js';
export type { RedisTestTarget } from '../coordination/redis-test-support.js';
