import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase } from './connect.js';
import { MIGRATIONS } from './migrations/index.js';
import {
  installedPGliteVersion,
  isNewCluster,
  PGLITE_TEMPLATE_FILE,
  pgliteTemplatePath,
  writePGliteTemplate,
} from './pglite-template.js';

const root = mkdtempSync(join(tmpdir(), 'prx-pglite-template-'));
const templateDir = join(root, 'template');

beforeAll(async () => {
  await writePGliteTemplate(templateDir);
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Opens a PGlite database at `dataDir` with the given template dir, migrates it, and runs `work`. */
async function withDatabase(
  dataDir: string,
  thread: 'main' | 'worker',
  dir: string | false,
  work: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<void>,
): Promise<void> {
  const handle = await openDatabase({ kind: 'pglite', dataDir, thread, templateDir: dir });
  try {
    const report = await migrateToLatest(handle.db);
    // The template holds this build's migrations: a cluster made from it has nothing to apply.
    if (dir !== false && dir !== join(root, 'broken')) expect(report.applied).toEqual([]);
    expect(report.current).toEqual(Object.keys(MIGRATIONS));
    await work(handle.db);
  } finally {
    await handle.close();
  }
}

describe('the PGlite template', () => {
  it('is written with a manifest naming the PGlite that made it, and found only for that version', () => {
    expect(pgliteTemplatePath(templateDir)).toBe(join(templateDir, PGLITE_TEMPLATE_FILE));
    const manifest = JSON.parse(
      readFileSync(join(templateDir, 'pglite-template.json'), 'utf8'),
    ) as { pglite: string; bytes: number; migrations: string[] };
    expect(manifest.pglite).toBe(installedPGliteVersion());
    expect(manifest.bytes).toBe(readFileSync(join(templateDir, PGLITE_TEMPLATE_FILE)).length);
    expect(manifest.migrations).toEqual(Object.keys(MIGRATIONS));

    expect(pgliteTemplatePath(join(root, 'nothing-here'))).toBeUndefined();
    // A template made by another PGlite version is not used.
    const stale = join(root, 'stale');
    mkdirSync(stale);
    writeFileSync(join(stale, PGLITE_TEMPLATE_FILE), 'x');
    writeFileSync(
      join(stale, 'pglite-template.json'),
      JSON.stringify({ pglite: '0.0.1', bytes: 1 }),
    );
    expect(pgliteTemplatePath(stale)).toBeUndefined();
  });

  it.each(['main', 'worker'] as const)(
    'makes a new data directory from it (%s thread): a working, migrated cluster that keeps its data',
    async (thread) => {
      const dataDir = join(root, `new-${thread}`);
      expect(isNewCluster(dataDir)).toBe(true);
      await withDatabase(dataDir, thread, templateDir, async (db) => {
        await sql`create table kept (v int)`.execute(db);
        await sql`insert into kept values (7)`.execute(db);
      });
      expect(isNewCluster(dataDir)).toBe(false);
      // Reopened: an existing cluster is opened as it is, never replaced by the template.
      await withDatabase(dataDir, thread, templateDir, async (db) => {
        const { rows } = await sql<{ v: number }>`select v from kept`.execute(db);
        expect(rows).toEqual([{ v: 7 }]);
      });
    },
    120_000,
  );

  it('falls back to initdb when the template cannot be unpacked, leaving no debris', async () => {
    const broken = join(root, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, PGLITE_TEMPLATE_FILE), Buffer.from('not a tar at all'));
    writeFileSync(
      join(broken, 'pglite-template.json'),
      JSON.stringify({ pglite: installedPGliteVersion(), bytes: 16 }),
    );
    expect(pgliteTemplatePath(broken)).toBeDefined();
    const dataDir = join(root, 'from-broken');
    await withDatabase(dataDir, 'main', broken, async (db) => {
      const { rows } = await sql<{ n: number }>`select 1 as n`.execute(db);
      expect(rows).toEqual([{ n: 1 }]);
    });
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
  }, 120_000);

  it('makes an in-memory database from it', async () => {
    await withDatabase('memory', 'main', templateDir, async (db) => {
      const { rows } = await sql<{ n: string }>`select current_database() as n`.execute(db);
      expect(rows).toEqual([{ n: 'postgres' }]);
    });
  }, 120_000);
});
