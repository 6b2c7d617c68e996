/**
 * A fresh embedded cluster, made once at build time and unpacked wherever a new one is
 * needed. PGlite otherwise runs `initdb` for every new data directory and every in-memory
 * database — most of a cold start's time and of each test database's. The template is the
 * output of that `initdb` with this build's migrations applied (a new database then starts
 * at the current schema: its migration run finds nothing to do), dumped after a checkpoint
 * as a gzip tar next to the built code (`dist/pglite-template.tar.gz`, with a manifest
 * naming the PGlite version that made it and the migrations it holds). It is used only for a cluster that does
 * not exist yet and only by the PGlite version that made it; without it (a source checkout
 * that was never built) PGlite runs `initdb` as before.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely } from 'kysely';
import { migrateToLatest } from './migrate.js';
import { PGLITE_SETTINGS, PGliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';

/** The template's file name, and its manifest's. */
export const PGLITE_TEMPLATE_FILE = 'pglite-template.tar.gz';
const MANIFEST_FILE = 'pglite-template.json';

/**
 * Where the built package keeps the template: its `dist/`, found through the package's
 * resolution (so a bundle of this module, wherever it is laid out, finds the installed
 * package's); beside this module's own file when the package does not resolve from here.
 */
export const PGLITE_TEMPLATE_DIR = (() => {
  const root = packageDir('@prx-voice/storage');
  return root === undefined
    ? fileURLToPath(new URL('../../dist/', import.meta.url))
    : join(root, 'dist');
})();

interface TemplateManifest {
  /** The `@electric-sql/pglite` version whose `initdb` made the template. */
  readonly pglite: string;
  /** Bytes of the template file. */
  readonly bytes: number;
  /** The migrations applied in it. */
  readonly migrations?: readonly string[];
}

/**
 * The directory of package `name` as it resolves from here, and its manifest (a package's
 * package.json is often not exported: found above its entry); undefined when it does not
 * resolve.
 */
function installedPackage(
  name: string,
): { readonly dir: string; readonly version: string | undefined } | undefined {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve(name));
  } catch {
    return undefined;
  }
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return { dir, version: pkg.version };
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function packageDir(name: string): string | undefined {
  return installedPackage(name)?.dir;
}

/** The installed `@electric-sql/pglite` version. */
export function installedPGliteVersion(): string {
  return installedPackage('@electric-sql/pglite')?.version ?? 'unknown';
}

/**
 * The template's path when it exists and was made by the installed PGlite; otherwise
 * undefined (PGlite's own `initdb` then makes the cluster).
 */
export function pgliteTemplatePath(dir: string = PGLITE_TEMPLATE_DIR): string | undefined {
  const file = join(dir, PGLITE_TEMPLATE_FILE);
  const manifestFile = join(dir, MANIFEST_FILE);
  if (!existsSync(file) || !existsSync(manifestFile)) return undefined;
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Partial<TemplateManifest>;
    return manifest.pglite === installedPGliteVersion() ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `dataDir` holds no cluster yet (`memory`, a missing directory or one without `PG_VERSION`). */
export function isNewCluster(dataDir: string): boolean {
  if (dataDir === 'memory') return true;
  return !existsSync(join(dataDir, 'PG_VERSION'));
}

/** Whether a directory is missing or empty: a failed unpack there can be cleared and retried. */
export function isEmptyDir(dataDir: string): boolean {
  return !existsSync(dataDir) || readdirSync(dataDir).length === 0;
}

/**
 * Makes the template in `dir` (default: the package's `dist/`): an in-memory cluster from
 * PGlite's `initdb`, migrated, checkpointed and dumped as a gzip tar, with its manifest. Run by the
 * package's build.
 */
export async function writePGliteTemplate(
  dir: string = PGLITE_TEMPLATE_DIR,
): Promise<{ readonly file: string; readonly bytes: number }> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create({
    startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS],
  });
  try {
    const kysely = new Kysely<Database>({ dialect: new PGliteDialect(db) });
    const { current } = await migrateToLatest(kysely);
    await db.exec('checkpoint');
    const blob = await db.dumpDataDir('gzip');
    const bytes = Buffer.from(await blob.arrayBuffer());
    mkdirSync(dir, { recursive: true });
    const file = join(dir, PGLITE_TEMPLATE_FILE);
    writeFileSync(file, bytes);
    const manifest: TemplateManifest = {
      pglite: installedPGliteVersion(),
      bytes: bytes.length,
      migrations: current,
    };
    writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    return { file, bytes: bytes.length };
  } finally {
    await db.close();
  }
}
