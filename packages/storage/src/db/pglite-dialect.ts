import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';
import { VoiceError } from '@prx-voice/types';
import type {
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
} from 'kysely';

/**
 * Settings the embedded Postgres starts with, after PGlite's own start parameters. PGlite
 * is one session of a WASM Postgres whose shared memory is zeroed byte by byte at every
 * start: the default 128 MB of shared buffers and slots for 100 connections made that
 * about a second of each start (≈ 1.1 s of CPU in `memset`, profiled). Reads and writes
 * go through the operating system's page cache anyway, so 16 MB of buffers costs little,
 * and one session needs few connection slots.
 */
export const PGLITE_SETTINGS: readonly string[] = [
  '-c',
  'shared_buffers=16MB',
  '-c',
  'max_connections=10',
];

/** The part of PGlite the dialect uses: one embedded Postgres, one session. */
export interface PGliteLike {
  query(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: unknown[]; affectedRows?: number; command?: string }>;
  close(): Promise<void>;
  readonly closed: boolean;
}

/**
 * A Kysely dialect over embedded PGlite. PGlite is a single Postgres session,
 * so the driver hands out one connection at a time: a transaction holds it
 * exclusively and other queries queue behind it, which gives the same
 * isolation a pool of separate connections would.
 */
export class PGliteDialect implements Dialect {
  readonly #db: PGliteLike;

  constructor(db: PGliteLike) {
    this.#db = db;
  }

  /** Creates the driver. */
  createDriver(): Driver {
    return new PGliteDriver(this.#db);
  }

  /** Postgres SQL compiler: SQL is written once for PGlite and PostgreSQL. */
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  /** Postgres adapter (RETURNING, transactional DDL, advisory-lock-free migrations). */
  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  /** Postgres introspector. */
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

class PGliteDriver implements Driver {
  readonly #connection: PGliteConnection;
  #tail: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  constructor(db: PGliteLike) {
    this.#connection = new PGliteConnection(db);
  }

  async init(): Promise<void> {
    // PGlite opens lazily on its first query.
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    this.#release = release;
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
    return Promise.resolve();
  }

  async destroy(): Promise<void> {
    await this.#tail;
    if (!this.#connection.db.closed) await this.#connection.db.close();
  }
}

class PGliteConnection implements DatabaseConnection {
  readonly db: PGliteLike;

  constructor(db: PGliteLike) {
    this.db = db;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.db.query(compiled.sql, [...compiled.parameters]);
    const rows = result.rows as R[];
    const command = result.command?.toUpperCase();
    const changes =
      command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
    return changes && result.affectedRows !== undefined
      ? { rows, numAffectedRows: BigInt(result.affectedRows) }
      : { rows };
  }

  // PGlite returns whole results; Kysely's stream() is not supported here.
  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new VoiceError('NOT_IMPLEMENTED', {
      message: 'streaming queries are not supported on PGlite',
    });
  }
}
