import type { Kysely } from 'kysely';
import type { IdGenerator, TenantId } from '@prx-voice/types';
import type { Database } from '../schema.js';
import type { NowSource } from '../support.js';

/** What every repository is built from. */
export interface RepoContext {
  readonly db: Kysely<Database>;
  readonly clock: NowSource;
  readonly ids: IdGenerator;
}

/** The context of a tenant-scoped repository: every query it makes filters on `tenantId`. */
export interface TenantContext extends RepoContext {
  readonly tenantId: TenantId;
}

/** The current time of a context as a Date. */
export function nowDate(ctx: RepoContext): Date {
  return new Date(ctx.clock.now());
}
