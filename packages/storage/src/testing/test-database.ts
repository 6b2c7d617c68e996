import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
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

/** The databases a test can run on: `pglite` (embedded, in memory) or `postgres` (`DATABASE_URL`). */
export type TestDatabaseKind = 'pglite' | 'postgres';

/**
 * The kinds of database to run a suite on: PGlite always, PostgreSQL when
 * `DATABASE_URL` is set — and in CI (`CI` set) it must be: a missing URL there fails
 * the suite instead of skipping PostgreSQL silently.
 */
export function testDatabaseKinds(): readonly TestDatabaseKind[] {
  const url = process.env['DATABASE_URL'];
  if (url !== undefined && url !== '') return ['pglite', 'postgres'];
  if (process.env['CI'] !== undefined) {
    throw new Error('DATABASE_URL is not set: tests that run on PostgreSQL too cannot run');
  }
  return ['pglite'];
}

/**
 * Opens a migrated database: by default an in-memory PGlite on this thread (one embedded Postgres per
 * call: share it across the tests of a file, isolate them by tenant); with `kind:
 * 'postgres'`, a fresh schema of `DATABASE_URL`'s database, dropped on close.
 */
export async function openTestDatabase(
  opts: { clock?: NowSource; ids?: IdGenerator; kind?: TestDatabaseKind } = {},
): Promise<TestDatabase> {
  const schema = `prx_test_${randomBytes(6).toString('hex')}`;
  const url = process.env['DATABASE_URL'];
  if (opts.kind === 'postgres' && (url === undefined || url === '')) {
    throw new Error('openTestDatabase({ kind: "postgres" }) needs DATABASE_URL');
  }
  const handle =
    opts.kind === 'postgres'
      ? await openDatabase({ kind: 'postgres', url: url ?? '', schema })
      : // On this thread: tests on a simulated clock settle by letting pending work run, and
        // a worker's answers are not in that (the worker itself has its own contract run).
        await openDatabase({ kind: 'pglite', dataDir: 'memory', thread: 'main' });
  await migrateToLatest(handle.db);
  const repos = createRepositories({
    db: handle.db,
    clock: opts.clock ?? { now: () => Date.now() },
    ids: opts.ids ?? createSequentialIdGenerator(),
  });
  return {
    handle,
    repos,
    async close() {
      if (opts.kind === 'postgres')
        await sql`drop schema ${sql.id(schema)} cascade`.execute(handle.db);
      await handle.close();
    },
  };
}
