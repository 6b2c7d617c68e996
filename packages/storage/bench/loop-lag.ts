/**
 * What the embedded database costs the thread that paces audio: a write load
 * shaped like the event log (concurrent writers, each inserting batches of
 * JSON rows and reading its tail back) against PGlite in a worker thread,
 * PGlite on this thread (as it ran before the worker), and PostgreSQL when
 * `DATABASE_URL` is set — with this thread's event-loop lag p99 and longest
 * stall over the load: a 1 ms timer's lateness, the stall still under way
 * when the load ends included (`monitorEventLoopDelay` records nothing when its
 * timer never gets to run, which is what a busy in-process PGlite does).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { sql } from 'kysely';
import { sampleTimerLag } from '@prx-voice/core/testing';
import { openDatabase } from '../src/db/connect.js';
import type { DatabaseTarget } from '../src/db/connect.js';

const WRITERS = 8;
const BATCHES = 300;
const ROWS_PER_BATCH = 20;
const PAYLOAD = JSON.stringify({ text: 'x'.repeat(400), n: 1, list: [1, 2, 3] });
const TICK_MS = 1;

interface LagFigures {
  readonly batchesPerSecond: number;
  readonly lagP99Ms: number;
  readonly stallMaxMs: number;
}

async function measure(target: DatabaseTarget): Promise<LagFigures> {
  const handle = await openDatabase(target);
  try {
    await sql`create table bench_events (id bigserial primary key, session text not null, seq int not null, body jsonb not null)`.execute(
      handle.db,
    );
    let next = 0;
    const started = performance.now();
    const loop = sampleTimerLag(TICK_MS);
    const writer = async (w: number): Promise<void> => {
      for (let seq = 0; next < BATCHES; seq++) {
        next++;
        const session = `ses_${w}`;
        await handle.db.transaction().execute(async (trx) => {
          const values = Array.from(
            { length: ROWS_PER_BATCH },
            (_, i) => sql`(${session}, ${seq * ROWS_PER_BATCH + i}, ${PAYLOAD}::jsonb)`,
          );
          await sql`insert into bench_events (session, seq, body) values ${sql.join(values)}`.execute(
            trx,
          );
        });
        await sql`select seq, body from bench_events where session = ${session} order by id desc limit 20`.execute(
          handle.db,
        );
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    const lag = loop.stop();
    const seconds = (performance.now() - started) / 1000;
    return { batchesPerSecond: BATCHES / seconds, lagP99Ms: lag.p99Ms, stallMaxMs: lag.maxMs };
  } finally {
    if (target.kind === 'postgres' && target.schema !== undefined) {
      await sql`drop schema ${sql.id(target.schema)} cascade`.execute(handle.db);
    }
    await handle.close();
  }
}

function line(label: string, f: LagFigures): void {
  console.log(
    `${label.padEnd(34)} ${f.batchesPerSecond.toFixed(0).padStart(8)} batches/s   event-loop lag p99 ${f.lagP99Ms.toFixed(1).padStart(7)} ms   longest stall ${f.stallMaxMs.toFixed(1).padStart(7)} ms`,
  );
}

/** Prints the event loop's lag under an event-log-shaped write load per database. */
export async function benchLoopLag(): Promise<void> {
  console.log(
    `event-log write load: ${WRITERS} writers, ${BATCHES} transactions of ${ROWS_PER_BATCH} JSON rows + a tail read each; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  line('pglite in a worker thread', await measure({ kind: 'pglite', dataDir: 'memory' }));
  line(
    'pglite on this thread (before)',
    await measure({ kind: 'pglite', dataDir: 'memory', thread: 'main' }),
  );
  const url = process.env['DATABASE_URL'];
  if (url === undefined || url === '') {
    console.log('postgresql: skipped (set DATABASE_URL)');
    return;
  }
  const schema = `prx_bench_${randomBytes(5).toString('hex')}`;
  line('postgresql', await measure({ kind: 'postgres', url, schema }));
}
