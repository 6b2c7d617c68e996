/**
 * The database a voice server of the load bench runs on: embedded PGlite in a
 * worker thread (the default), embedded PGlite on the server's own thread (the
 * way it ran before the worker: every query blocks the event loop), or
 * PostgreSQL (a fresh database of `DATABASE_URL`'s server per run).
 */
import { freshDatabase } from '../src/support/cluster.js';
import { flushRedisDatabase } from '../src/support/private-redis.js';
import { parseChoices } from './cli-args.js';

/** The storage a voice server runs on. */
export type BenchStorage =
  'pglite-worker' | 'pglite-main' | 'postgres' | 'postgres-redis' | 'postgres-workers';

/** Every storage, in the order the bench prints them. */
export const BENCH_STORAGES: readonly BenchStorage[] = [
  'pglite-worker',
  'pglite-main',
  'postgres',
  'postgres-redis',
  'postgres-workers',
];

/** The Redis database of the `postgres-workers` runs (emptied before each). */
const BENCH_REDIS_DB = 12;

const isSet = (value: string | undefined): value is string => value !== undefined && value !== '';

/**
 * The storages the bench runs by default: PostgreSQL only when `DATABASE_URL` is set, on
 * every core only when `REDIS_URL` is set too.
 */
export function defaultStorages(env: NodeJS.ProcessEnv = process.env): BenchStorage[] {
  const pg = isSet(env['DATABASE_URL']);
  const redis = isSet(env['REDIS_URL']);
  return BENCH_STORAGES.filter(
    (s) => (s !== 'postgres' || pg) && (!s.startsWith('postgres-') || (pg && redis)),
  );
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
  if (storage === 'pglite-worker' || storage === 'pglite-main') {
    return {
      env: { PRX_VOICE_STORAGE__EMBEDDED_THREAD: storage === 'pglite-main' ? 'main' : 'worker' },
      release: () => Promise.resolve(),
    };
  }
  const base = process.env['DATABASE_URL'];
  if (!isSet(base)) {
    throw new Error(`bench: --storage ${storage} needs DATABASE_URL (a PostgreSQL server to use)`);
  }
  const redisBase = process.env['REDIS_URL'];
  if (storage !== 'postgres' && !isSet(redisBase)) {
    throw new Error(`bench: --storage ${storage} needs REDIS_URL (a Redis server to use)`);
  }
  const db = await freshDatabase(base, 'prx_load_bench');
  if (storage === 'postgres' || !isSet(redisBase))
    return { env: { DATABASE_URL: db.url }, release: () => db.drop() };
  await flushRedisDatabase(redisBase, BENCH_REDIS_DB);
  const redis = new URL(redisBase);
  redis.pathname = `/${String(BENCH_REDIS_DB)}`;
  return {
    env: {
      DATABASE_URL: db.url,
      REDIS_URL: redis.toString(),
      // Every core: one worker per core, sharing the database and Redis.
      PRX_VOICE_SERVER__WORKERS: storage === 'postgres-workers' ? '0' : '1',
    },
    release: () => db.drop(),
  };
}
