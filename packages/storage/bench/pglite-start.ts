/**
 * PGlite start-up times: the first embedded database of a process (WASM
 * compile included: a cold start), a second one in the same process (warm),
 * and a data directory created then reopened, each with migrations.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase } from '../src/db/connect.js';
import type { DatabaseTarget } from '../src/db/connect.js';

async function timeOpen(target: DatabaseTarget): Promise<{ openMs: number; migrateMs: number }> {
  const t0 = performance.now();
  const handle = await openDatabase(target);
  await sql`select 1`.execute(handle.db);
  const t1 = performance.now();
  await migrateToLatest(handle.db);
  const t2 = performance.now();
  await handle.close();
  return { openMs: t1 - t0, migrateMs: t2 - t1 };
}

function line(label: string, r: { openMs: number; migrateMs: number }): void {
  console.log(
    `pglite ${label.padEnd(34)} open+first query ${r.openMs.toFixed(0).padStart(6)} ms   migrations ${r.migrateMs.toFixed(0).padStart(5)} ms`,
  );
}

/** Prints PGlite cold and warm start times. */
export async function benchPgliteStart(): Promise<void> {
  line('cold (first in process, memory)', await timeOpen({ kind: 'pglite', dataDir: 'memory' }));
  line('warm (second in process, memory)', await timeOpen({ kind: 'pglite', dataDir: 'memory' }));
  const dir = mkdtempSync(join(tmpdir(), 'prx-pglite-bench-'));
  try {
    line(
      'new data directory (initdb)',
      await timeOpen({ kind: 'pglite', dataDir: join(dir, 'db') }),
    );
    line('reopened data directory', await timeOpen({ kind: 'pglite', dataDir: join(dir, 'db') }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
