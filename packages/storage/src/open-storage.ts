import { resolve } from 'node:path';
import type { Clock, StorageConfig } from '@prx-voice/core';
import { VoiceError } from '@prx-voice/types';
import type { Coordinator } from './coordination/coordinator.js';
import { createMemoryCoordinator } from './coordination/memory-coordinator.js';
import { databaseTarget, migrateToLatest, openDatabase } from './db/connect.js';
import type { DatabaseHandle, MigrationReport } from './db/connect.js';
import { createFilesystemObjectStore } from './object-store/filesystem-object-store.js';
import type { ObjectStore } from './object-store/object-store.js';
import { createS3ObjectStore } from './object-store/s3-object-store.js';
import { loadDriver } from './optional-driver.js';

/** Everything storage provides to a server, chosen from configuration. */
export interface StorageServices {
  /** PostgreSQL when `database_url` is set, else PGlite in `<data_dir>/pglite` (in a worker thread unless `embedded_thread` is `main`). */
  readonly database: DatabaseHandle;
  /** Redis when `redis_url` is set, else in-process. */
  readonly coordinator: Coordinator;
  /** S3 when `object_store.kind` is `s3`, else files in `object_store.path` or `<data_dir>/objects`. */
  readonly objectStore: ObjectStore;
  /** What start-up migrated (nothing when `migrate: false`). */
  readonly migrations: MigrationReport | undefined;
  /** Checks every backend answers (for readiness). */
  ping(): Promise<void>;
  /** Closes coordination and the database. */
  close(): Promise<void>;
}

/**
 * Opens the database (and migrates it unless told not to), coordination and
 * the object store the configuration selects.
 *
 * @example
 * const storage = await openStorage(config.storage, { clock: systemClock });
 * const repos = createRepositories({ db: storage.database.db, clock: systemClock, ids });
 */
export async function openStorage(
  config: StorageConfig,
  opts: {
    readonly clock: Clock;
    readonly cwd?: string;
    readonly migrate?: boolean;
    /** PostgreSQL ends a transaction left idle this long (see `DatabaseTarget`); ignored by PGlite. */
    readonly idleInTransactionTimeoutMs?: number;
  },
): Promise<StorageServices> {
  const cwd = opts.cwd ?? process.cwd();
  const dataDir = resolve(cwd, config.data_dir);
  const store = config.object_store;
  if (store.kind === 's3' && store.path !== undefined) {
    throw new VoiceError('CONFIG_INVALID', {
      message: 'storage.object_store.path (a key prefix) is not supported for s3 yet; remove it',
    });
  }
  const objectStore =
    store.kind === 's3'
      ? createS3ObjectStore({
          bucket: store.bucket ?? '',
          ...(store.endpoint === undefined ? {} : { endpoint: store.endpoint }),
          ...(store.region === undefined ? {} : { region: store.region }),
          forcePathStyle: store.force_path_style || store.endpoint !== undefined,
        })
      : createFilesystemObjectStore({
          root: resolve(cwd, store.path ?? `${config.data_dir}/objects`),
        });
  const target = databaseTarget({
    databaseUrl: config.database_url,
    dataDir,
    pgliteThread: config.embedded_thread,
    pgliteNice: config.embedded_nice,
  });
  const database = await openDatabase(
    target.kind === 'postgres' && opts.idleInTransactionTimeoutMs !== undefined
      ? { ...target, idleInTransactionTimeoutMs: opts.idleInTransactionTimeoutMs }
      : target,
  );
  let migrations: MigrationReport | undefined;
  let coordinator: Coordinator | undefined;
  try {
    if (opts.migrate !== false) migrations = await migrateToLatest(database.db);
    if (config.redis_url === undefined)
      coordinator = createMemoryCoordinator({ clock: opts.clock });
    else {
      const { createRedisCoordinator } = await loadDriver(
        'ioredis',
        'Redis coordination (storage.redis_url)',
        () => import('./coordination/redis-coordinator.js'),
      );
      coordinator = createRedisCoordinator({ url: config.redis_url, clock: opts.clock });
    }
    await coordinator.ping();
  } catch (err) {
    await coordinator?.close();
    await database.close();
    throw err;
  }
  const coord = coordinator;
  return {
    database,
    coordinator: coord,
    objectStore,
    migrations,
    async ping() {
      await database.ping();
      await coord.ping();
    },
    async close() {
      await coord.close();
      await database.close();
    },
  };
}
