/**
 * The database a voice server of the load bench runs on: embedded PGlite in a
 * worker thread (the default), embedded PGlite on the server's own thread (the
 * way it ran before the worker: every query blocks the event loop), or
 * PostgreSQL (a fresh database of `DATABASE_URL`'s server per run).
 */
import { freshDatabase } from '../src/support/cluster.js';
import { parseChoices } from './cli-args.js';

/** The storage a voice server runs on. */
export type BenchStorage = 'pglite-worker' | 'pglite-main' | 'postgres';

/** Every storage, in the order the bench prints them. */
export const BENCH_STORAGES: readonly BenchStorage[] = ['pglite-worker', 'pglite-main', 'postgres'];

/** The storages the bench runs by default: PostgreSQL only when `DATABASE_URL` is set. */
export function defaultStorages(env: NodeJS.ProcessEnv = process.env): BenchStorage[] {
  const pg = env['DATABASE_URL'];
  return BENCH_STORAGES.filter((s) => s !== 'postgres' || (pg !== undefined && pg !== ''));
}

/** Parses `--storage a,b`; an unknown name is an error that lists the known ones. */
export function parseStorages(list: string): BenchStorage[] {
  return parseChoices('storage', list, BENCH_STORAGES);
}

/** The server environment of one storage, and what removes what it created. */
export interface StorageEnv {
  readonly env: Readonly<Record<string, string | undefined>>;
  release(): Promise<void>;
}

/**
 * The environment that puts a voice server on `storage` (over `voiceServerEnv`,
 * which drops the caller's `DATABASE_URL`): PostgreSQL gets a database of its own,
 * dropped by `release`.
 */
export async function storageEnv(storage: BenchStorage): Promise<StorageEnv> {
  if (storage !== 'postgres') {
    return {
      env: { PRX_VOICE_STORAGE__EMBEDDED_THREAD: storage === 'pglite-main' ? 'main' : 'worker' },
      release: () => Promise.resolve(),
    };
  }
  const base = process.env['DATABASE_URL'];
  if (base === undefined || base === '') {
    throw new Error('bench: --storage postgres needs DATABASE_URL (a PostgreSQL server to use)');
  }
  const db = await freshDatabase(base, 'prx_load_bench');
  return { env: { DATABASE_URL: db.url }, release: () => db.drop() };
}
