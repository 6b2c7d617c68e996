import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { types as PgTypes } from 'pg';
import { VoiceError } from '@prx-voice/types';
import { PGLITE_SETTINGS, PGliteDialect } from './pglite-dialect.js';
import type { PGliteLike } from './pglite-dialect.js';
import { PGliteWorkerClient } from './pglite-worker.js';
import { PGLITE_QUERY_TYPE_CACHE, createPGliteQuery } from './pglite-query.js';
import {
  isEmptyDir,
  isNewCluster,
  PGLITE_TEMPLATE_DIR,
  pgliteTemplatePath,
} from './pglite-template.js';
import type { Database } from './schema.js';
import { loadDriver } from '../optional-driver.js';

/**
 * Where the database lives; a PGlite `dataDir` of `memory` keeps it in memory.
 * PGlite runs in a worker thread unless `thread` is `main` (in-process: each
 * query then blocks this thread while it runs). A new PGlite cluster is unpacked from
 * the build's template in `templateDir` (default: the package's `dist/`; `false`: none,
 * PGlite's own initdb) when one made by the installed PGlite is there.
 */
export type DatabaseTarget =
  | {
      readonly kind: 'pglite';
      readonly dataDir: string;
      readonly thread?: PGliteThread;
      /** The worker thread's nice value on Linux once open (`thread: 'worker'` only; default: the process's). */
      readonly nice?: number;
      readonly templateDir?: string | false;
    }
  | {
      readonly kind: 'postgres';
      readonly url: string;
      readonly schema?: string;
      readonly maxConnections?: number;
      /**
       * PostgreSQL ends a session left idle inside a transaction this long
       * (`idle_in_transaction_session_timeout`), so an instance frozen in one (a long
       * pause, SIGSTOP, a host cut off) holds no row lock that another instance's
       * recovery of its sessions waits for. Default: PostgreSQL's (none).
       */
      readonly idleInTransactionTimeoutMs?: number;
    };

/** An open database: the Kysely handle and what it runs on. */
export interface DatabaseHandle {
  /** The Kysely instance for the whole schema. */
  readonly db: Kysely<Database>;
  /** `pglite` (embedded) or `postgres`. */
  readonly kind: 'pglite' | 'postgres';
  /** Checks the database answers. */
  ping(): Promise<void>;
  /** Closes connections (and the embedded database). */
  close(): Promise<void>;
}

/** Where embedded PGlite runs: a worker thread of its own (the default) or this thread. */
export type PGliteThread = 'worker' | 'main';

const INT8_OID = 20;

/** int8 columns (sequence numbers, quantities, money in micro-units) fit in a double here. */
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new VoiceError('INTERNAL', {
      message: `int8 value ${value} exceeds the safe integer range`,
    });
  }
  return n;
}

/** `pg`'s type parsers with int8 read as a safe integer. */
function typeParserOver(types: typeof PgTypes): typeof PgTypes.getTypeParser {
  const defaultTypeParser = types.getTypeParser as (
    oid: number,
    format?: string,
  ) => (value: string) => unknown;
  return ((oid: number, format?: string) =>
    oid === INT8_OID ? parseInt8 : defaultTypeParser(oid, format)) as typeof PgTypes.getTypeParser;
}

/**
 * Chooses the target from configuration: PostgreSQL when a URL is given,
 * else embedded PGlite in `dataDir/pglite` (or in memory).
 */
export function databaseTarget(opts: {
  databaseUrl?: string | undefined;
  dataDir: string;
  pgliteThread?: PGliteThread;
  /** The worker thread's nice value (0 or unset: the process's). */
  pgliteNice?: number;
}): DatabaseTarget {
  if (opts.databaseUrl !== undefined && opts.databaseUrl !== '')
    return { kind: 'postgres', url: opts.databaseUrl };
  return {
    kind: 'pglite',
    dataDir: opts.dataDir === 'memory' ? 'memory' : `${opts.dataDir}/pglite`,
    ...(opts.pgliteThread === undefined ? {} : { thread: opts.pgliteThread }),
    ...(opts.pgliteNice === undefined || opts.pgliteNice === 0 ? {} : { nice: opts.pgliteNice }),
  };
}

/**
 * Opens the database. SQL is written once; only the dialect differs.
 *
 * @example
 * const handle = await openDatabase({ kind: 'pglite', dataDir: 'memory' });
 * await migrateToLatest(handle.db);
 */
export async function openDatabase(target: DatabaseTarget): Promise<DatabaseHandle> {
  if (target.kind === 'pglite') {
    const pglite = await openPGlite(
      target.dataDir,
      target.thread ?? 'worker',
      target.templateDir ?? PGLITE_TEMPLATE_DIR,
      target.nice,
    );
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    return handle(db, 'pglite');
  }
  if (target.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(target.schema)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `invalid schema name "${target.schema}"`,
    });
  }
  const { default: pg } = await loadDriver(
    'pg',
    'PostgreSQL (storage.database_url)',
    () => import('pg'),
  );
  const settings = [
    ...(target.schema === undefined ? [] : [`search_path=${target.schema}`]),
    ...(target.idleInTransactionTimeoutMs === undefined
      ? []
      : [
          `idle_in_transaction_session_timeout=${String(Math.round(target.idleInTransactionTimeoutMs))}`,
        ]),
  ];
  const pool = new pg.Pool({
    connectionString: target.url,
    max: target.maxConnections ?? 10,
    ...(settings.length === 0 ? {} : { options: settings.map((s) => `-c ${s}`).join(' ') }),
    types: { getTypeParser: typeParserOver(pg.types) },
  });
  // A client's error must not crash the process, idle (a server restart) or checked out
  // between two statements (the server ended its session: a restart, the idle-in-transaction
  // timeout): its next query reports it, and the pool drops the client.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const h = handle(db, 'postgres');
  try {
    if (target.schema !== undefined) {
      await sql`create schema if not exists ${sql.id(target.schema)}`.execute(db);
    }
    await h.ping();
  } catch (cause) {
    await db.destroy();
    throw VoiceError.is(cause)
      ? cause
      : new VoiceError('STORAGE_UNAVAILABLE', {
          message: 'could not connect to PostgreSQL',
          cause,
        });
  }
  return h;
}

/** PGlite in a worker thread of its own or on this thread; `STORAGE_UNAVAILABLE` when it cannot open. */
async function openPGlite(
  dataDir: string,
  thread: PGliteThread,
  templateDir: string | false,
  nice: number | undefined,
): Promise<PGliteLike> {
  const { PGlite, protocol, parse } = await loadDriver(
    '@electric-sql/pglite',
    'The embedded database',
    () => import('@electric-sql/pglite'),
  );
  const open = async (template: string | undefined): Promise<PGliteLike> => {
    if (dataDir !== 'memory') mkdirSync(dataDir, { recursive: true });
    if (thread === 'worker') return await PGliteWorkerClient.open(dataDir, template, nice ?? null);
    const pglite = await PGlite.create({
      ...(dataDir === 'memory' ? {} : { dataDir }),
      ...(template === undefined ? {} : { loadDataDir: new Blob([readFileSync(template)]) }),
      parsers: { [INT8_OID]: parseInt8 },
      startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS],
    });
    const query = createPGliteQuery(pglite, { protocol, parse }, PGLITE_QUERY_TYPE_CACHE);
    return {
      query: (text, params) => query(text, params),
      close: () => pglite.close(),
      get closed() {
        return pglite.closed;
      },
    };
  };
  // A new cluster is unpacked from the build's template instead of PGlite's initdb; should
  // that fail where nothing was there before, the directory is cleared and initdb runs.
  const template =
    templateDir !== false && isNewCluster(dataDir) ? pgliteTemplatePath(templateDir) : undefined;
  const wasEmpty = dataDir === 'memory' || isEmptyDir(dataDir);
  try {
    if (template !== undefined && wasEmpty) {
      try {
        return await open(template);
      } catch {
        if (dataDir !== 'memory') rmSync(dataDir, { recursive: true, force: true });
      }
    }
    return await open(undefined);
  } catch (cause) {
    if (VoiceError.is(cause)) throw cause;
    throw new VoiceError('STORAGE_UNAVAILABLE', {
      message: `could not open the embedded database in ${dataDir}`,
      cause,
    });
  }
}

function handle(db: Kysely<Database>, kind: 'pglite' | 'postgres'): DatabaseHandle {
  return {
    db,
    kind,
    async ping() {
      try {
        await sql`select 1`.execute(db);
      } catch (cause) {
        throw new VoiceError('STORAGE_UNAVAILABLE', {
          message: `the ${kind} database does not answer`,
          cause,
        });
      }
    },
    async close() {
      await db.destroy();
    },
  };
}

export { migrateToLatest } from './migrate.js';
export type { MigrationReport } from './migrate.js';
