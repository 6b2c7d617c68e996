export { openTestDatabase, testDatabaseKinds } from './test-database.js';
export type { TestDatabase, TestDatabaseKind } from './test-database.js';
export {
  deleteKeysWithPrefix,
  randomKeyPrefix,
  redisTestTarget,
} from '../coordination/redis-test-support.js';
export type { RedisTestTarget } from '../coordination/redis-test-support.js';
