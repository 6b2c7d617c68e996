import { createSequentialIdGenerator } from '@prx-voice/types';
import type { IdGenerator } from '@prx-voice/types';
import { migrateToLatest, openDatabase } from '../db/connect.js';
import type { DatabaseHandle } from '../db/connect.js';
import { createRepositories } from '../db/repositories/index.js';
import type { Repositories } from '../db/repositories/index.js';
import type { NowSource } from '../db/support.js';

/** A migrated database for tests, with repositories over it. */
export interface TestDatabase {
  readonly handle: DatabaseHandle;
  readonly repos: Repositories;
  close(): Promise<void>;
}

/**
 * Opens a migrated in-memory PGlite database (one embedded Postgres per call:
 * share it across the tests of a file, isolate them by tenant).
 */
export async function openTestDatabase(
  opts: { clock?: NowSource; ids?: IdGenerator } = {},
): Promise<TestDatabase> {
  const handle = await openDatabase({ kind: 'pglite', dataDir: 'memory' });
  await migrateToLatest(handle.db);
  const repos = createRepositories({
    db: handle.db,
    clock: opts.clock ?? { now: () => Date.now() },
    ids: opts.ids ?? createSequentialIdGenerator(),
  });
  return { handle, repos, close: () => handle.close() };
}
