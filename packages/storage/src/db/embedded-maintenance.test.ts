import { Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { openDatabase } from './connect.js';
import type { DatabaseHandle } from './connect.js';
import { startEmbeddedMaintenance } from './embedded-maintenance.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';
import type { MaintainedTable } from './embedded-maintenance.js';

let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await openDatabase({ kind: 'pglite', dataDir: 'memory', thread: 'main' });
  await sql`create table grows (id serial primary key, body text)`.execute(handle.db);
  await sql`create table stays (id serial primary key)`.execute(handle.db);
}, 60_000);
afterAll(() => handle.close());

/** Adds about `pages` 8 kB pages of rows to `grows`. */
async function grow(pages: number): Promise<void> {
  await sql`insert into grows (body) select repeat('x', 900) from generate_series(1, ${pages * 8})`.execute(
    handle.db,
  );
}

describe('startEmbeddedMaintenance', () => {
  it('vacuums and analyzes, on its interval, the tables that grew by a fifth since', async () => {
    const clock = new SimulatedClock();
    const runs: (readonly MaintainedTable[])[] = [];
    let ran: () => void = () => undefined;
    const maintenance = startEmbeddedMaintenance({
      db: handle.db,
      clock,
      intervalMs: 60_000,
      onRan: (tables) => {
        runs.push(tables);
        ran();
      },
    });
    await grow(20);
    const first = new Promise<void>((resolve) => (ran = resolve));
    clock.advance(59_999);
    expect(runs).toEqual([]);
    clock.advance(1);
    await first;
    expect(runs[0]?.map((t) => t.table)).toEqual(['grows']);
    expect(runs[0]?.[0]).toMatchObject({ pagesBefore: 0 });
    const stats = await sql<{ reltuples: number }>`
      select reltuples from pg_class where relname = 'grows'`.execute(handle.db);
    expect(stats.rows[0]?.reltuples).toBe(160);
    // Grown by less than a fifth: left alone; by more: maintained again.
    await grow(2);
    expect(await maintenance.runOnce()).toEqual([]);
    await grow(10);
    const again = await maintenance.runOnce();
    expect(again.map((t) => t.table)).toEqual(['grows']);
    expect(again[0]?.pagesBefore).toBeGreaterThanOrEqual(20);
    await maintenance.stop();
    // Stopped: its interval no longer runs.
    await grow(40);
    clock.advance(600_000);
    expect(runs).toHaveLength(1);
  });

  it('reports a failed run and tries again on the next interval', async () => {
    // A database whose every statement fails.
    const down = new Kysely<Database>({
      dialect: new PGliteDialect({
        query: () => Promise.reject(new Error('the database is down')),
        close: () => Promise.resolve(),
        closed: false,
      }),
    });
    const clock = new SimulatedClock();
    const errors: unknown[] = [];
    let failed: () => void = () => undefined;
    const maintenance = startEmbeddedMaintenance({
      db: down,
      clock,
      intervalMs: 1_000,
      onError: (error) => {
        errors.push(error);
        failed();
      },
    });
    for (let i = 1; i <= 2; i++) {
      const next = new Promise<void>((resolve) => (failed = resolve));
      clock.advance(1_000);
      await next;
      expect(errors).toHaveLength(i);
    }
    expect(String(errors[0])).toContain('the database is down');
    await maintenance.stop();
  });
});
