import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import { openDatabase } from './connect.js';
import type { DatabaseHandle } from './connect.js';
import { isTransientStorageError, isUniqueViolation } from './support.js';
import { PGliteWorkerClient } from './pglite-worker.js';

describe('PGlite in a worker thread', () => {
  let handle: DatabaseHandle;

  beforeAll(async () => {
    handle = await openDatabase({ kind: 'pglite', dataDir: 'memory', thread: 'worker' });
    await sql`create table t (id int primary key, body bytea, at timestamptz, doc jsonb, n int8)`.execute(
      handle.db,
    );
  });
  afterAll(async () => {
    await handle.close();
  });

  it('starts the embedded Postgres with the settings of the main thread’s', async () => {
    const inProcess = await openDatabase({ kind: 'pglite', dataDir: 'memory', thread: 'main' });
    try {
      for (const db of [handle.db, inProcess.db]) {
        const { rows } = await sql<{
          shared_buffers: string;
        }>`select current_setting('shared_buffers') as shared_buffers, current_setting('max_connections') as max_connections`.execute(
          db,
        );
        expect(rows[0]).toEqual({ shared_buffers: '16MB', max_connections: '10' });
      }
    } finally {
      await inProcess.close();
    }
  });

  it.runIf(process.platform === 'linux')(
    'runs its thread below the audio when asked (nice 10 on Linux), the process’s other threads untouched',
    async () => {
      /** This process's threads and their nice values (field 19 of each /proc task's stat). */
      const threads = (): [number, number][] =>
        readdirSync('/proc/self/task').map((tid) => {
          const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
          return [Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
        });
      const before = getPriority();
      const low = await PGliteWorkerClient.open('memory', undefined, 10);
      try {
        expect(low.thread.tid).toEqual(expect.any(Number));
        expect(low.thread.tid).not.toBe(process.pid);
        expect(low.thread.nice).toBe(Math.max(before, 10));
        // As the kernel sees the thread, from outside it; every other thread (this one, the
        // other worker's of this file, which was opened without the option) as it was.
        expect(getPriority(low.thread.tid ?? 0)).toBe(Math.max(before, 10));
        for (const [tid, nice] of threads())
          if (tid !== low.thread.tid) expect(nice, `thread ${String(tid)}`).toBe(before);
        expect((await low.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
      } finally {
        await low.close();
      }
    },
    60_000,
  );

  it('keeps a database error’s SQLSTATE and fields across the thread', async () => {
    await sql`insert into t (id) values (1)`.execute(handle.db);
    const err: unknown = await sql`insert into t (id) values (1)`.execute(handle.db).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(isUniqueViolation(err)).toBe(true);
    expect(err).toMatchObject({ code: '23505', constraint: 't_pkey', table: 't' });
    expect(isTransientStorageError(err)).toBe(false);
    const syntax: unknown = await sql`selec 1`.execute(handle.db).catch((e: unknown) => e);
    expect(syntax).toMatchObject({ code: '42601' });
    expect(isTransientStorageError(syntax)).toBe(false);
  });

  it('carries bytea, timestamps, json and int8 both ways', async () => {
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    await sql`insert into t (id, body, at, doc, n) values (2, ${Buffer.from([0, 1, 255])}, ${at}, ${JSON.stringify({ a: [1, 'x'] })}, ${2 ** 40})`.execute(
      handle.db,
    );
    const { rows } = await sql<{
      body: Uint8Array;
      at: Date;
      doc: unknown;
      n: number;
    }>`select body, at, doc, n from t where id = 2`.execute(handle.db);
    expect([...(rows[0]?.body ?? [])]).toEqual([0, 1, 255]);
    expect(rows[0]?.at).toEqual(at);
    expect(rows[0]?.doc).toEqual({ a: [1, 'x'] });
    expect(rows[0]?.n).toBe(2 ** 40);
  });

  it('counts affected rows of writes', async () => {
    const result = await handle.db
      .updateTable('t' as never)
      .set({ doc: null } as never)
      .where('id' as never, '>=', 1 as never)
      .executeTakeFirst();
    expect(result.numUpdatedRows).toBe(2n);
  });

  it('fails an int8 beyond the safe integer range as INTERNAL, and goes on', async () => {
    const err: unknown = await sql`select 9007199254740993::int8 as n`
      .execute(handle.db)
      .catch((e: unknown) => e);
    expect(VoiceError.is(err) && err.code).toBe('INTERNAL');
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(handle.db);
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('refuses a parameter that cannot cross the thread, and goes on', async () => {
    const uncloneable = { run: (): void => undefined };
    const err: unknown = await sql`select ${sql.val(uncloneable)} as x`
      .execute(handle.db)
      .catch((e: unknown) => e);
    expect(VoiceError.is(err) && err.code).toBe('VALIDATION_FAILED');
    await handle.ping();
  });

  it('rolls a failed transaction back', async () => {
    const err: unknown = await handle.db
      .transaction()
      .execute(async (trx) => {
        await sql`insert into t (id) values (10)`.execute(trx);
        await sql`insert into t (id) values (10)`.execute(trx);
      })
      .catch((e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(true);
    const { rows } = await sql`select id from t where id = 10`.execute(handle.db);
    expect(rows).toEqual([]);
  });
});

describe('PGlite in a worker thread, on a data directory', () => {
  it('writes its data out on close and reopens it; after close, queries fail as transient', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prx-pglite-worker-'));
    try {
      const first = await openDatabase({ kind: 'pglite', dataDir: dir, thread: 'worker' });
      await sql`create table kept (v text)`.execute(first.db);
      await sql`insert into kept values ('here')`.execute(first.db);
      await first.close();
      const err: unknown = await sql`select 1`.execute(first.db).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      await expect(first.ping()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });

      const again = await openDatabase({ kind: 'pglite', dataDir: dir, thread: 'worker' });
      try {
        const { rows } = await sql`select v from kept`.execute(again.db);
        expect(rows).toEqual([{ v: 'here' }]);
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('says STORAGE_UNAVAILABLE when the data directory cannot be opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prx-pglite-worker-bad-'));
    try {
      // A data directory that is a file, not a directory.
      const file = join(dir, 'file');
      writeFileSync(file, 'not a database');
      await expect(
        openDatabase({ kind: 'pglite', dataDir: join(file, 'db'), thread: 'worker' }),
      ).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
