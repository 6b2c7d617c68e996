/**
 * What the event log's writes cost an instance with many live sessions: N sessions
 * appending at a voice session's event rate, written by the log's one writer (every
 * session's pending batch in one statement per tick) beside one log per session (each
 * session written by a writer of its own: a statement per session per tick, the shape of
 * the log before the shared writer) — statements per second, events per statement, the
 * mean time of a write, and this thread's event-loop lag p99 and longest stall over the
 * load (a 1 ms timer's lateness), on PGlite in a worker thread and on PostgreSQL when
 * `DATABASE_URL` is set.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { systemClock } from '@prx-voice/core';
import { sampleTimerLag } from '@prx-voice/core/testing';
import { createRepositories, migrateToLatest, openDatabase } from '@prx-voice/storage';
import type { DatabaseTarget, Repositories } from '@prx-voice/storage';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createEventLog } from '../src/event-log.js';
import type { EventLog, EventLogRepositories } from '../src/event-log.js';
import { createSessionEmitter } from '../src/session-emitter.js';

/** A speaking voice session: agent tokens, TTS segments, marks, VAD — about 25 events a second. */
const EVENT_EVERY_MS = 40;
const SECONDS = 6;
const SESSIONS = [20, 80] as const;
const TICK_MS = 1;

interface WriteFigures {
  readonly statementsPerSecond: number;
  readonly eventsPerStatement: number;
  /** Mean time of a write, from the log's `onWritten`. */
  readonly writeMs: number;
  readonly lagP99Ms: number;
  readonly stallMaxMs: number;
}

/** Repositories whose event writes are counted: one statement per call. */
function counting(repos: Repositories): { repos: EventLogRepositories; statements(): number } {
  let statements = 0;
  return {
    repos: {
      forTenant: (tenantId) => {
        const events = repos.forTenant(tenantId).events;
        return {
          events: {
            ...events,
            append: (rows) => {
              statements++;
              return events.append(rows);
            },
          },
        };
      },
      sessionEventWriter: {
        appendMany: (rows) => {
          statements++;
          return repos.sessionEventWriter.appendMany(rows);
        },
      },
    },
    statements: () => statements,
  };
}

async function measure(
  target: DatabaseTarget,
  sessions: number,
  writer: 'instance' | 'per-session',
): Promise<WriteFigures> {
  const handle = await openDatabase(target);
  try {
    await migrateToLatest(handle.db);
    const ids = createSequentialIdGenerator();
    const repos = createRepositories({ db: handle.db, clock: systemClock, ids });
    const tenant = await repos.tenants.create({ slug: 'bench', name: 'Bench', tier: 'free' });
    const t = repos.forTenant(tenant.id as TenantId);
    const sessionIds: SessionId[] = [];
    for (let i = 0; i < sessions; i++) {
      const row = await t.sessions.create({
        state: 'Speaking',
        channel: 'websocket',
        direction: 'inbound',
        language: 'en-US',
      });
      sessionIds.push(row.id as SessionId);
    }
    const count = counting(repos);
    const writes: number[] = [];
    const newLog = (): EventLog =>
      createEventLog({
        repos: count.repos,
        clock: systemClock,
        onError: () => undefined,
        onWritten: (_events, ms) => writes.push(ms),
      });
    const shared = writer === 'instance' ? newLog() : undefined;
    const logs = sessionIds.map(() => shared ?? newLog());
    const emitters = sessionIds.map((sessionId, i) =>
      createSessionEmitter({
        tenantId: t.tenantId,
        sessionId,
        instanceId: 'bench',
        clock: systemClock,
        ids,
        sink: logs[i]?.append ?? (() => undefined),
      }),
    );
    let events = 0;
    const loop = sampleTimerLag(TICK_MS);
    const started = performance.now();
    // Sessions start spread over one event interval, as live calls are.
    const timers = emitters.map((emitter, i) =>
      setTimeout(
        () => {
          timers[i] = setInterval(() => {
            events++;
            emitter.emit('prx.voice.agent.token_stream', { text: `word${events % 97} ` });
          }, EVENT_EVERY_MS);
        },
        (i * EVENT_EVERY_MS) / sessions,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    for (const timer of timers) clearInterval(timer);
    const lag = loop.stop();
    const seconds = (performance.now() - started) / 1000;
    const statements = count.statements();
    await Promise.all(logs.map((log) => log.flush()));
    const stored = await t.events.lastSeq(sessionIds[0] as SessionId);
    if (stored < 1) throw new Error('nothing was stored');
    return {
      statementsPerSecond: statements / seconds,
      eventsPerStatement: events / Math.max(1, statements),
      writeMs: writes.reduce((a, b) => a + b, 0) / Math.max(1, writes.length),
      lagP99Ms: lag.p99Ms,
      stallMaxMs: lag.maxMs,
    };
  } finally {
    if (target.kind === 'postgres' && target.schema !== undefined) {
      await handle.db.schema.dropSchema(target.schema).cascade().execute();
    }
    await handle.close();
  }
}

function line(label: string, f: WriteFigures): void {
  console.log(
    `${label.padEnd(46)} ${f.statementsPerSecond.toFixed(0).padStart(5)} statements/s ${f.eventsPerStatement.toFixed(1).padStart(6)} events each ${f.writeMs.toFixed(1).padStart(6)} ms a write   event-loop lag p99 ${f.lagP99Ms.toFixed(1).padStart(6)} ms   longest stall ${f.stallMaxMs.toFixed(1).padStart(6)} ms`,
  );
}

/** Prints statements per second and event-loop lag of the log's writes, per database and N. */
export async function benchEventLogWrites(): Promise<void> {
  console.log(
    `event log writes: sessions appending an event every ${EVENT_EVERY_MS} ms for ${SECONDS} s; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const url = process.env['DATABASE_URL'];
  const targets: [string, () => DatabaseTarget][] = [
    ['pglite (worker thread)', () => ({ kind: 'pglite', dataDir: 'memory' })],
  ];
  if (url !== undefined && url !== '') {
    targets.push([
      'postgresql',
      () => ({ kind: 'postgres', url, schema: `prx_bench_${randomBytes(5).toString('hex')}` }),
    ]);
  }
  for (const [name, target] of targets) {
    for (const n of SESSIONS) {
      line(`${name}, ${n} sessions, one writer`, await measure(target(), n, 'instance'));
      line(
        `${name}, ${n} sessions, a writer per session`,
        await measure(target(), n, 'per-session'),
      );
    }
  }
  if (targets.length === 1) console.log('postgresql: skipped (set DATABASE_URL)');
}
