import { PGlite, parse, protocol } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPGliteQuery } from './pglite-query.js';

const lib = { protocol, parse };

/** Two databases made alike: one driven through PGlite's query(), one through the one-call path. */
let db: PGlite;
let twin: PGlite;

beforeAll(async () => {
  [db, twin] = await Promise.all([PGlite.create(), PGlite.create()]);
  for (const d of [db, twin]) {
    await d.exec(`create table t (
      id serial primary key, s text not null unique, n int, big int8, b boolean, j jsonb,
      at timestamptz, raw bytea, tags text[]
    );
    insert into t (s) values ('taken')`);
  }
}, 60_000);
afterAll(async () => {
  await db.close();
  await twin.close();
});

/** What a statement gave: its rows, count and command, or its error's code and message. */
async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    const r = (await run()) as { rows: unknown[]; affectedRows?: number; command?: string };
    return { rows: r.rows, affectedRows: r.affectedRows, command: r.command };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { code: e.code, message: e.message };
  }
}

describe('createPGliteQuery', () => {
  it("gives PGlite query()'s rows, counts and errors, statement by statement", async () => {
    const query = createPGliteQuery(twin, lib, 8);
    const at = new Date(Date.UTC(2026, 11, 8, 1, 2, 3, 456));
    const statements: [string, unknown[]][] = [
      [
        'insert into t (s, n, big, b, j, at, raw, tags) values ($1, $2, $3, $4, $5, $6, $7, $8) returning *',
        [
          'a1',
          7,
          9_007_199_254_740_991n,
          true,
          { a: [1, 'x'] },
          at,
          new Uint8Array([1, 2, 255]),
          ['a', 'b c'],
        ],
      ],
      // A string for jsonb, a number for timestamptz, 1 for a boolean, a null.
      [
        'insert into t (s, j, at, b, n) values ($1, $2, $3, $4, $5) returning *',
        ['a2', '{"b":2}', at.getTime(), 1, null],
      ],
      ['insert into t (s, at) values ($1, $2) returning at', ['a3', '2026-12-08T00:00:00Z']],
      ['update t set n = n + 1 where n is not null and s like $1', ['a%']],
      ['select * from t where s like $1 order by s', ['a%']],
      ['delete from t where s = $1', ['none']],
      ['delete from t where s = $1', ['a3']],
      ['select count(*)::int as c from t', []],
      ['select $1::int + $2::int as sum, $3::text as t', [2, 3, 'x']],
      // Errors: a unique violation, a bad value for the type, a syntax error.
      ['insert into t (s) values ($1)', ['taken']],
      ['insert into t (s, n) values ($1, $2)', ['a4', 'seven']],
      ['selec 1', []],
    ];
    for (const [text, params] of statements) {
      const expected = await outcome(() => db.query(text, params));
      expect(await outcome(() => query(text, params)), text).toEqual(expected);
    }
    // After the errors the session goes on; both tables hold the same rows.
    expect(await query('select 1 as one')).toMatchObject({ rows: [{ one: 1 }], command: 'SELECT' });
    expect((await query('select * from t order by id')).rows).toEqual(
      (await db.query('select * from t order by id')).rows,
    );
  });

  it('keeps at most the given number of statement texts, and runs evicted ones again', async () => {
    const query = createPGliteQuery(twin, lib, 2);
    for (let round = 0; round < 2; round++) {
      for (const n of [1, 2, 3]) {
        const { rows } = await query(`select $1::int * ${n} as v`, [10]);
        expect(rows).toEqual([{ v: 10 * n }]);
      }
    }
  });

  it('runs overlapping calls one at a time, each with its own result', async () => {
    const query = createPGliteQuery(twin, lib, 16);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => query('select $1::int as i', [i])),
    );
    expect(results.map((r) => r.rows)).toEqual(Array.from({ length: 20 }, (_, i) => [{ i }]));
  });
});
