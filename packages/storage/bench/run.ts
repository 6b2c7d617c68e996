/**
 * `pnpm --filter @prx-voice/storage bench`: PGlite start-up times, a statement's cost on
 * PGlite (its `query()` beside the one-call path the server uses), the event
 * loop's lag under a database write load (PGlite in a worker thread, on this
 * thread, PostgreSQL with DATABASE_URL), and coordination lease throughput
 * (in-process, and Redis when REDIS_URL is set).
 */
import { benchAdmissions } from './admissions.js';
import { benchLoopLag } from './loop-lag.js';
import { benchPgliteStart } from './pglite-start.js';
import { benchStatements } from './statements.js';

await benchPgliteStart();
await benchStatements();
await benchLoopLag();
await benchAdmissions();
