/**
 * `pnpm --filter @prx-voice/storage bench`: PGlite start-up times and
 * coordination lease throughput (in-process, and Redis when REDIS_URL is set).
 */
import { benchAdmissions } from './admissions.js';
import { benchPgliteStart } from './pglite-start.js';

await benchPgliteStart();
await benchAdmissions();
