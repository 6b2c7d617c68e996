/**
 * An instance frozen inside a transaction (a long pause, SIGSTOP, a host cut off) holds
 * row locks for as long as it is frozen. Another instance recovering its sessions must get
 * past them: PostgreSQL ends a transaction left idle past `idleInTransactionTimeoutMs`
 * (the frozen process survives it when it wakes: its next statement fails, the pool drops
 * the connection), and a recovery that meets a lock gives up after a bounded wait instead
 * of stalling the sweep. PostgreSQL only: PGlite has one connection and no other process.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { migrateToLatest, openDatabase } from './connect.js';
import type { DatabaseHandle } from './connect.js';
import { createRepositories } from './repositories/index.js';
import type { Repositories, TenantRepositories } from './repositories/index.js';
import { testSession } from '../testing/test-sessions.js';

const url = process.env.DATABASE_URL;
const LOST = { outcome: 'error', closeReason: 'instance_lost' } as const;

/** A promise and the function that settles it. */
function gate(): { readonly opened: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe.skipIf(url === undefined || url === '')('a transaction held by a frozen instance', () => {
  const schema = `prx_test_${randomBytes(6).toString('hex')}`;
  const ids = createSequentialIdGenerator();
  const clock = { now: () => Date.now() };
  let frozen: DatabaseHandle;
  let lenient: DatabaseHandle;
  let recoverer: DatabaseHandle;
  let repos: Repositories;
  let counter = 0;

  beforeAll(async () => {
    recoverer = await openDatabase({ kind: 'postgres', url: url ?? '', schema });
    await migrateToLatest(recoverer.db);
    frozen = await openDatabase({
      kind: 'postgres',
      url: url ?? '',
      schema,
      idleInTransactionTimeoutMs: 300,
    });
    lenient = await openDatabase({ kind: 'postgres', url: url ?? '', schema });
    repos = createRepositories({ db: recoverer.db, clock, ids });
  }, 60_000);
  afterAll(async () => {
    await frozen.close();
    await lenient.close();
    await sql`drop schema ${sql.id(schema)} cascade`.execute(recoverer.db);
    await recoverer.close();
  });

  async function liveSession(): Promise<{ t: TenantRepositories; id: SessionId }> {
    counter += 1;
    const tenant = await repos.tenants.create({
      name: 'Frozen',
      slug: `frozen-${String(counter)}`,
      tier: 'starter',
    });
    const t = repos.forTenant(tenant.id as TenantId);
    const row = await testSession(t, { instanceId: 'frozen-instance' });
    return { t, id: row.id as SessionId };
  }

  /** Locks the session's row in a transaction of `handle` and waits there until `release`. */
  function holdLock(handle: DatabaseHandle, id: SessionId, release: Promise<void>) {
    const locked = gate();
    const done = handle.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('sessions')
        .set({ updated_at: new Date() })
        .where('id', '=', id)
        .execute();
      locked.open();
      await release;
      await sql`select 1`.execute(tx);
    });
    return { locked: locked.opened, done };
  }

  it('is ended by PostgreSQL past the idle timeout; recovery then ends the session; the holder survives', async () => {
    const { t, id } = await liveSession();
    const wake = gate();
    const held = holdLock(frozen, id, wake.opened);
    const settled = held.done.then(
      () => 'committed',
      (err: unknown) => String(err),
    );
    await held.locked;

    // Waits for PostgreSQL to end the frozen transaction (300 ms idle), not forever.
    const ended = await repos.sessionRecovery.endAbandoned(t.tenantId, id, LOST);
    expect(ended?.after).toMatchObject({ state: 'Failed', close_reason: 'instance_lost' });

    // The holder wakes: its transaction failed, nothing it did stands, and the process goes on.
    wake.open();
    expect(await settled).not.toBe('committed');
    expect((await t.sessions.get(id))?.state).toBe('Failed');
    const answer = await sql<{ one: number }>`select 1 as one`.execute(frozen.db);
    expect(answer.rows[0]?.one).toBe(1);
  });

  it('gives a recovery up after a bounded wait on a lock, and lets the next one through', async () => {
    const { t, id } = await liveSession();
    const release = gate();
    const held = holdLock(lenient, id, release.opened);
    await held.locked;

    await expect(repos.sessionRecovery.endAbandoned(t.tenantId, id, LOST)).rejects.toThrow(
      /lock timeout/,
    );
    release.open();
    await held.done;
    const ended = await repos.sessionRecovery.endAbandoned(t.tenantId, id, LOST);
    expect(ended?.after).toMatchObject({ state: 'Failed', close_reason: 'instance_lost' });
  }, 20_000);
});
