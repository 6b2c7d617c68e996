/**
 * What one statement costs on embedded PGlite (in memory, on this thread): PGlite's own
 * `query()` beside the one-call path the server uses (`createPGliteQuery`), side by side in
 * one run, for a `select` by key, a one-row insert and a 20-row insert: wall time and this
 * process's CPU per statement.
 */
import { PGlite, parse, protocol } from '@electric-sql/pglite';
import { createPGliteQuery } from '../src/db/pglite-query.js';

const N = 2_000;

type Run = (sql: string, params: unknown[]) => Promise<unknown>;

async function cost(run: Run, sql: string, params: (i: number) => unknown[]): Promise<string> {
  for (let i = 0; i < 200; i++) await run(sql, params(i));
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await run(sql, params(i));
  const wallUs = ((performance.now() - t0) * 1000) / N;
  const used = process.cpuUsage(cpu);
  return `${wallUs.toFixed(0)} µs (cpu ${((used.user + used.system) / N).toFixed(0)} µs)`;
}

/** Prints PGlite's `query()` beside the one-call path, per statement. */
export async function benchStatements(): Promise<void> {
  const db = await PGlite.create();
  await db.exec('create table t (id serial primary key, k text, n int, j jsonb)');
  await db.exec(
    `insert into t (k, n, j) select 'k' || g, g, '{"a":1}' from generate_series(1, 1000) g`,
  );
  const oneCall = createPGliteQuery(db, { protocol, parse }, 64);
  const paths: [string, Run][] = [
    ['query()', (sql, params) => db.query(sql, params)],
    ['one call', (sql, params) => oneCall(sql, params)],
  ];
  const rows20 = Array.from({ length: 20 }, (_, r) => `($${r * 2 + 1}, $${r * 2 + 2}, '{"b":2}')`);
  const statements: [string, string, (i: number) => unknown[]][] = [
    ['select by key', 'select * from t where id = $1', (i) => [(i % 1000) + 1]],
    ['insert a row', 'insert into t (k, n, j) values ($1, $2, $3)', (i) => [`x${i}`, i, { i }]],
    [
      'insert 20 rows',
      `insert into t (k, n, j) values ${rows20.join(', ')}`,
      (i) => Array.from({ length: 20 }, (_, r) => [`y${i}-${r}`, r]).flat(),
    ],
  ];
  for (const [name, sql, params] of statements) {
    const figures: string[] = [];
    for (const [path, run] of paths) figures.push(`${path} ${await cost(run, sql, params)}`);
    console.log(`pglite statement, ${name}: ${figures.join(', ')}`);
  }
  await db.close();
}
