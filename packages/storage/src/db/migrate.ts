/**
 * The schema's migrations, applied forward-only and recorded in the database
 * (`kysely_migration`); a database that records every one is left alone after one query.
 */
import { DEFAULT_MIGRATION_TABLE as MIGRATION_TABLE, Migrator, sql } from 'kysely';
import type { Kysely, MigrationResult } from 'kysely';
import { VoiceError } from '@prx-voice/types';
import { MIGRATIONS } from './migrations/index.js';
import type { Database } from './schema.js';

/** Outcome of a migration run. */
export interface MigrationReport {
  /** Names applied by this run, in order. */
  readonly applied: readonly string[];
  /** Every migration the database has now recorded. */
  readonly current: readonly string[];
}

/** The migrations the database records as applied, by name; undefined when it records none yet. */
async function recordedMigrations(
  db: Kysely<Database>,
  schema: string | undefined,
): Promise<string[] | undefined> {
  const table = schema === undefined ? sql.id(MIGRATION_TABLE) : sql.id(schema, MIGRATION_TABLE);
  try {
    const { rows } = await sql<{ name: string }>`select name from ${table} order by name`.execute(
      db,
    );
    return rows.map((r) => r.name);
  } catch {
    // No migration table yet (a new database): the migrator creates it.
    return undefined;
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sorted = [...b].sort();
  return [...a].sort().every((name, i) => name === sorted[i]);
}

/**
 * Applies every pending migration, recorded in the database (`kysely_migration`)
 * under a lock so concurrent starters do not race. Forward-only.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationReport> {
  // The migrator's own tables live in the schema the connection works in (its search_path):
  // left to itself it finds them in any schema, e.g. `public`'s next to a fresh one's.
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(
    db,
  );
  const schema = rows[0]?.schema ?? undefined;
  // Nothing to do, the common case of a start: one query instead of the migrator's
  // set-up, lock and reads (about 0.3 s on PGlite).
  const recorded = await recordedMigrations(db, schema);
  const known = Object.keys(MIGRATIONS);
  if (recorded !== undefined && sameNames(recorded, known))
    return { applied: [], current: recorded };
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = (results ?? []).find((r: MigrationResult) => r.status === 'Error');
  if (error !== undefined || failed !== undefined) {
    throw new VoiceError('STORAGE_UNAVAILABLE', {
      message: `migration ${failed?.migrationName ?? '(setup)'} failed${error instanceof Error ? `: ${error.message}` : ''}`,
      cause: error,
    });
  }
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  const all = await migrator.getMigrations();
  return { applied, current: all.filter((m) => m.executedAt !== undefined).map((m) => m.name) };
}
