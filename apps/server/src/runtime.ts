/**
 * What every command of the binary starts from: the validated configuration,
 * storage chosen by it (PGlite or PostgreSQL, in-process or Redis, files or
 * S3), repositories and the policy services over them.
 */
import { loadConfig, systemClock } from '@prx-voice/core';
import type { Clock, Config, LoadConfigOptions } from '@prx-voice/core';
import { createApiKeyService } from '@prx-voice/policy';
import type { ApiKeyService } from '@prx-voice/policy';
import { createRepositories, openStorage } from '@prx-voice/storage';
import type { Repositories, StorageServices } from '@prx-voice/storage';
import { createIdGenerator } from '@prx-voice/types';
import type { IdGenerator } from '@prx-voice/types';

/** The services a command runs with. */
export interface Runtime {
  readonly config: Config;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly storage: StorageServices;
  readonly repos: Repositories;
  readonly apiKeys: ApiKeyService;
  close(): Promise<void>;
}

/** The shortest time PostgreSQL leaves a transaction idle before ending it, ms. */
const MIN_IDLE_TRANSACTION_MS = 5_000;

/**
 * Loads configuration (unless given one already loaded) and opens storage; `migrate: false`
 * leaves the schema as it is.
 */
export async function openRuntime(
  opts: {
    readonly load?: LoadConfigOptions;
    readonly config?: Config;
    readonly migrate?: boolean;
    readonly clock?: Clock;
  } = {},
): Promise<Runtime> {
  const config = opts.config ?? loadConfig(opts.load);
  const clock = opts.clock ?? systemClock;
  const ids = createIdGenerator({ now: () => clock.now() });
  const storage = await openStorage(config.storage, {
    clock,
    ...(opts.load?.cwd === undefined ? {} : { cwd: opts.load.cwd }),
    migrate: opts.migrate ?? true,
    // An instance frozen inside a transaction past its lease must not hold the row locks
    // other instances need to recover its sessions (a floor keeps a busy one's transactions).
    idleInTransactionTimeoutMs: Math.max(MIN_IDLE_TRANSACTION_MS, config.deploy.instance_ttl_ms),
  });
  const repos = createRepositories({ db: storage.database.db, clock, ids });
  return {
    config,
    clock,
    ids,
    storage,
    repos,
    apiKeys: createApiKeyService({ repos, clock }),
    close: () => storage.close(),
  };
}
