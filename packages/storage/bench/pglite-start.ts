/**
 * PGlite start-up times: the first embedded database of a process (WASM
 * compile included: a cold start), a second one in the same process (warm) —
 * both on this thread —, one in a worker thread (the server's default: each
 * worker compiles the WASM again), and a data directory created then reopened
 * in a worker thread, each with migrations. New clusters are made both ways, side by
 * side: unpacked from the build's template (the default when `dist/` holds one) and by
 * PGlite's own initdb (`templateDir: false`, how every new cluster was made before).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase } from '../src/db/connect.js';
import type { DatabaseTarget } from '../src/db/connect.js';
import { pgliteTemplatePath } from '../src/db/pglite-template.js';

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
    `pglite ${label.padEnd(40)} open+first query ${r.openMs.toFixed(0).padStart(6)} ms   migrations ${r.migrateMs.toFixed(0).padStart(5)} ms`,
  );
}

/** Prints PGlite cold and warm start times. */
export async function benchPgliteStart(): Promise<void> {
  const memory = { kind: 'pglite', dataDir: 'memory' } as const;
  const template = pgliteTemplatePath() !== undefined;
  if (!template) console.log('pglite: no template in dist/ (build the package first): initdb only');
  line('cold (first in process, memory)', await timeOpen({ ...memory, thread: 'main' }));
  line('warm (second in process, memory)', await timeOpen({ ...memory, thread: 'main' }));
  if (template)
    line(
      'warm, memory, initdb (no template)',
      await timeOpen({ ...memory, thread: 'main', templateDir: false }),
    );
  line('worker thread (memory)', await timeOpen({ ...memory, thread: 'worker' }));
  const dir = mkdtempSync(join(tmpdir(), 'prx-pglite-bench-'));
  try {
    if (template)
      line(
        'new data directory (template), worker',
        await timeOpen({ kind: 'pglite', dataDir: join(dir, 'tpl') }),
      );
    line(
      'new data directory (initdb), worker',
      await timeOpen({ kind: 'pglite', dataDir: join(dir, 'db'), templateDir: false }),
    );
    line(
      'reopened data directory, worker',
      await timeOpen({ kind: 'pglite', dataDir: join(dir, 'db') }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
