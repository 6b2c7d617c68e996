/**
 * What PostgreSQL's autovacuum does, for the embedded database, which has none: PGlite runs
 * no background processes, so its tables are never analyzed (the planner, without
 * statistics, may read a tenant's every turn to find one by its key) and never vacuumed
 * (rows a session's state changes leave dead stay, and the tables grow). Every interval, a
 * table whose file grew by a fifth (and eight pages) since its last vacuum is vacuumed and
 * analyzed — PGlite keeps no counts of changed rows, so growth stands for them — one table at
 * a time, in the database's own thread (the embedded database's worker): statements meanwhile
 * wait their turn, the audio does not.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Clock } from '@prx-voice/core';
import type { Database } from './schema.js';

/** A table grown by this share of its size at its last vacuum or analyze is maintained. */
const GROWTH = 0.2;
/** …and by at least this many pages (8 kB each): small tables are left alone. */
const MIN_GROWTH_PAGES = 8;

/** One table maintained. */
export interface MaintainedTable {
  readonly table: string;
  /** Its pages when last vacuumed or analyzed (0: never), and now. */
  readonly pagesBefore: number;
  readonly pages: number;
  /** How long `VACUUM (ANALYZE)` took. */
  readonly ms: number;
}

/** The embedded database's maintenance, running on its interval. */
export interface EmbeddedMaintenance {
  /** Maintains the tables that grew, now; what it did. */
  runOnce(): Promise<readonly MaintainedTable[]>;
  /** Stops the interval; waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Starts maintaining `db` (an embedded PGlite) every `intervalMs`.
 *
 * @example
 * const maintenance = startEmbeddedMaintenance({ db: handle.db, clock, intervalMs: 60_000 });
 * await maintenance.stop();
 */
export function startEmbeddedMaintenance(opts: {
  readonly db: Kysely<Database>;
  readonly clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  readonly intervalMs: number;
  /** A run maintained tables (for the log). */
  readonly onRan?: (tables: readonly MaintainedTable[]) => void;
  /** A run failed; the next one tries again. */
  readonly onError?: (error: unknown) => void;
}): EmbeddedMaintenance {
  const { db, clock } = opts;
  let running: Promise<readonly MaintainedTable[]> | undefined;
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  let stopped = false;

  async function run(): Promise<readonly MaintainedTable[]> {
    const { rows } = await sql<{ table: string; pages_before: number; pages: number }>`
      select c.relname as table, c.relpages as pages_before,
        (pg_relation_size(c.oid) / current_setting('block_size')::int)::int as pages
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind = 'r'
      order by c.relname`.execute(db);
    const grown = rows.filter(
      (r) =>
        r.pages >= r.pages_before * (1 + GROWTH) && r.pages - r.pages_before >= MIN_GROWTH_PAGES,
    );
    const done: MaintainedTable[] = [];
    for (const r of grown) {
      if (stopped) break;
      const began = clock.now();
      await sql`vacuum (analyze) ${sql.table(r.table)}`.execute(db);
      done.push({
        table: r.table,
        pagesBefore: r.pages_before,
        pages: r.pages,
        ms: clock.now() - began,
      });
    }
    return done;
  }

  function runOnce(): Promise<readonly MaintainedTable[]> {
    // One run at a time: a call during a run waits for it and then runs again.
    const next = (running ?? Promise.resolve([])).catch(() => []).then(run);
    running = next;
    const settled = (): void => {
      if (running === next) running = undefined;
    };
    next.then(settled, settled);
    return next;
  }

  function schedule(): void {
    if (stopped) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      // The next run is due before anyone hears of this one.
      void runOnce().then(
        (tables) => {
          schedule();
          if (tables.length > 0) opts.onRan?.(tables);
        },
        (err: unknown) => {
          schedule();
          opts.onError?.(err);
        },
      );
    }, opts.intervalMs);
  }
  schedule();

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}
