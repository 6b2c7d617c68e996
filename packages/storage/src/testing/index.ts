export { openTestDatabase, testDatabaseKinds } from './test-database.js';
export type { TestDatabase, TestDatabaseKind } from './test-database.js';
export { startTestS3Server } from './s3-test-server.js';
export type { TestS3Server } from './s3-test-server.js';
export { testSession } from './test-sessions.js';
export type { TestSessionEnd } from './test-sessions.js';
export {
  deleteKeysWithPrefix,
  randomKeyPrefix,
  redisTestTarget,
} from '../coordination/redis-test-support.js';
export type { RedisTestTarget } from '../coordination/redis-test-support.js';
