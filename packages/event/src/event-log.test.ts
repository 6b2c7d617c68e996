import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import type { TenantRepositories } from '@prx-voice/storage';
import { openTestDatabase } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import { VoiceError, createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId } from '@prx-voice/types';
import { createEventLog } from './event-log.js';
import type { EventLog, EventLogFailure, EventLogOptions } from './event-log.js';
import { createSessionEmitter } from './session-emitter.js';
import type { EventSink, SessionEmitter } from './session-emitter.js';
import { assertGapFree } from './testing/assert-gap-free.js';
import { failingEventRepos } from './testing/failing-event-repos.js';
import type { FailingEventRepos } from './testing/failing-event-repos.js';
import { createMemorySink } from './testing/memory-sink.js';

const ids = createSequentialIdGenerator(Date.UTC(2026, 0, 1));
let db: TestDatabase;
let tenantA: TenantRepositories;
let tenantB: TenantRepositories;

beforeAll(async () => {
  db = await openTestDatabase({ ids });
  const a = await db.repos.tenants.create({ slug: 'tenant-a', name: 'A', tier: 'free' });
  const b = await db.repos.tenants.create({ slug: 'tenant-b', name: 'B', tier: 'free' });
  tenantA = db.repos.forTenant(a.id as TenantRepositories['tenantId']);
  tenantB = db.repos.forTenant(b.id as TenantRepositories['tenantId']);
});

afterAll(async () => {
  await db.close();
});

async function newSession(t: TenantRepositories = tenantA): Promise<SessionId> {
  const row = await t.sessions.create({
    state: 'Idle',
    channel: 'websocket',
    direction: 'inbound',
    language: 'en-US',
  });
  return row.id as SessionId;
}

interface Setup {
  readonly clock: SimulatedClock;
  readonly repos: FailingEventRepos;
  readonly log: EventLog;
  readonly failures: EventLogFailure[];
  readonly emitterFor: (
    sessionId: SessionId,
    opts?: { lastSeq?: number; t?: TenantRepositories },
  ) => SessionEmitter;
}

function setup(
  over: Partial<EventLogOptions> & { failures?: number; afterCommit?: boolean } = {},
): Setup {
  const clock = new SimulatedClock();
  const repos = failingEventRepos(db.repos, {
    failures: over.failures ?? 0,
    afterCommit: over.afterCommit ?? false,
  });
  const failures: EventLogFailure[] = [];
  const log = createEventLog({
    repos,
    clock,
    batchSize: 4,
    flushIntervalMs: 50,
    onError: (_err, failure) => {
      failures.push(failure);
      // Let simulated time reach the retry once the log has armed its timer.
      queueMicrotask(() => clock.advance(failure.retryInMs));
    },
    ...over,
  });
  const emitterFor: Setup['emitterFor'] = (sessionId, opts = {}) =>
    createSessionEmitter({
      tenantId: (opts.t ?? tenantA).tenantId,
      sessionId,
      instanceId: 'node-1',
      clock,
      ids,
      sink: log.append,
      ...(opts.lastSeq === undefined ? {} : { lastSeq: opts.lastSeq }),
    });
  return { clock, repos, log, failures, emitterFor };
}

function emitTurns(emitter: SessionEmitter, n: number): void {
  for (let i = 0; i < n; i++) emitter.emit('prx.voice.agent.token_stream', { text: `w${i} ` });
}

describe('createEventLog', () => {
  it('writes a session in order, in batches of batchSize while a write is in flight', async () => {
    const { log, repos } = setup();
    const sessionId = await newSession();
    const mem = createMemorySink();
    const emitter = createSessionEmitter({
      tenantId: tenantA.tenantId,
      sessionId,
      instanceId: 'node-1',
      clock: new SimulatedClock(),
      ids,
      sink: [mem.sink, log.append],
    });
    emitTurns(emitter, 10);
    expect(repos.calls).toBe(1); // the 4th event started a write at once
    expect(log.pendingCount).toBe(10);
    await log.flush();
    expect(log.pendingCount).toBe(0);
    expect(repos.batches.map((b) => b.map((e) => e.seq))).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10],
    ]);
    const stored = await log.readAfter(tenantA.tenantId, sessionId, 0, 100);
    expect(stored).toEqual(mem.events);
    assertGapFree(stored);
  });

  it('writes a partial batch when the flush interval passes on the clock', async () => {
    const { clock, log, repos, emitterFor } = setup({ batchSize: 64 });
    const sessionId = await newSession();
    emitTurns(emitterFor(sessionId), 3);
    clock.advance(49);
    expect(repos.calls).toBe(0);
    clock.advance(1);
    expect(repos.calls).toBe(1);
    await log.flush();
    expect(repos.batches[0]?.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(await tenantA.events.lastSeq(sessionId)).toBe(3);
  });

  it('tells a reader when an event is stored, without hurrying the batch', async () => {
    const { clock, log, repos, emitterFor } = setup({ batchSize: 64 });
    const sessionId = await newSession();
    emitTurns(emitterFor(sessionId), 2);
    const stored: number[] = [];
    void log.whenStored(tenantA.tenantId, sessionId, 2).then((ok) => ok && stored.push(2));
    await Promise.resolve();
    expect(repos.calls).toBe(0);
    expect(stored).toEqual([]);
    clock.advance(50);
    await log.flush();
    await Promise.resolve();
    expect(stored).toEqual([2]);
    // Stored already, or a session with nothing here: at once.
    expect(await log.whenStored(tenantA.tenantId, sessionId, 1)).toBe(true);
    expect(await log.whenStored(tenantA.tenantId, await newSession(), 7)).toBe(true);
  });

  it('reads after a seq, with a limit, optionally with what is still pending', async () => {
    const { log, emitterFor } = setup({ batchSize: 64 });
    const sessionId = await newSession();
    const emitter = emitterFor(sessionId);
    emitTurns(emitter, 6);
    await log.flush();
    const tail = await log.readAfter(tenantA.tenantId, sessionId, 2, 3);
    expect(tail.map((e) => e.prxseq)).toEqual([3, 4, 5]);
    emitTurns(emitter, 2);
    const stored = await log.readAfter(tenantA.tenantId, sessionId, 4);
    expect(stored.map((e) => e.prxseq)).toEqual([5, 6]);
    const all = await log.readAfter(tenantA.tenantId, sessionId, 4, 500, { includePending: true });
    expect(all.map((e) => e.prxseq)).toEqual([5, 6, 7, 8]);
    expect(await log.lastSeq(tenantA.tenantId, sessionId)).toBe(8);
    await log.flush();
  });

  it('reads with what is pending, a write landing during the read included', async () => {
    let release = (): void => undefined;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const reader = { read: false };
    // The rows are read, then the reader is held while the write lands and leaves pending.
    const repos = {
      ...db.repos,
      forTenant: (t: Parameters<typeof db.repos.forTenant>[0]) => {
        const r = db.repos.forTenant(t);
        return {
          ...r,
          events: {
            ...r.events,
            readAfter: async (...args: Parameters<typeof r.events.readAfter>) => {
              const rows = await r.events.readAfter(...args);
              reader.read = true;
              await hold;
              return rows;
            },
          },
        };
      },
    };
    const { log, emitterFor } = setup({ repos, batchSize: 64 });
    const sessionId = await newSession();
    emitTurns(emitterFor(sessionId), 5);
    const reading = log.readAfter(tenantA.tenantId, sessionId, 0, 500, { includePending: true });
    for (let i = 0; i < 500 && !reader.read; i++) await new Promise<void>((r) => setImmediate(r));
    expect(reader.read).toBe(true);
    await log.flush();
    expect(await tenantA.events.lastSeq(sessionId)).toBe(5);
    release();
    expect((await reading).map((e) => e.prxseq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('reports a failed write and retries the batch until it is stored', async () => {
    const { log, repos, failures, emitterFor } = setup({ failures: 2, retryDelayMs: 100 });
    const sessionId = await newSession();
    emitTurns(emitterFor(sessionId), 5);
    await log.flush();
    expect(failures).toEqual([
      { tenantId: tenantA.tenantId, sessionId, fromSeq: 1, toSeq: 4, attempt: 1, retryInMs: 100 },
      { tenantId: tenantA.tenantId, sessionId, fromSeq: 1, toSeq: 4, attempt: 2, retryInMs: 200 },
    ]);
    expect(repos.failed).toBe(2);
    const stored = await log.readAfter(tenantA.tenantId, sessionId, 0);
    expect(stored.map((e) => e.prxseq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('gives onError a VoiceError and keeps retrying when the reporter throws', async () => {
    const clock = new SimulatedClock();
    const repos = failingEventRepos(db.repos, {
      failures: 1,
      error: () => new Error('socket hang up'),
    });
    const errors: VoiceError[] = [];
    const log = createEventLog({
      repos,
      clock,
      retryDelayMs: 10,
      onError: (err, failure) => {
        errors.push(err);
        queueMicrotask(() => clock.advance(failure.retryInMs));
        throw new Error('reporter failed');
      },
    });
    const sessionId = await newSession();
    createSessionEmitter({
      tenantId: tenantA.tenantId,
      sessionId,
      instanceId: 'n',
      clock,
      ids,
      sink: log.append,
    }).emit('prx.voice.session.pong', {});
    await log.flush();
    expect(errors[0]?.code).toBe('STORAGE_UNAVAILABLE');
    expect(await tenantA.events.lastSeq(sessionId)).toBe(1);
  });

  it('treats a retry that meets its own committed write as written', async () => {
    const { log, repos, failures, emitterFor } = setup({ failures: 1, afterCommit: true });
    const sessionId = await newSession();
    emitTurns(emitterFor(sessionId), 6);
    await log.flush();
    expect(failures).toHaveLength(1);
    expect(repos.calls).toBe(3); // failed-but-committed [1-4], conflicting retry, then [5, 6]
    const stored = await log.readAfter(tenantA.tenantId, sessionId, 0);
    assertGapFree(stored);
    expect(stored).toHaveLength(6);
  });

  it('fences a session whose log another instance continued: drops, never overwrites', async () => {
    const fenced: SessionId[] = [];
    const owner = setup({ onFenced: (_t, id) => fenced.push(id) });
    const sessionId = await newSession();
    const ownerEmitter = owner.emitterFor(sessionId);
    emitTurns(ownerEmitter, 2);
    await owner.log.flush();
    // The owner is frozen; another instance recovers the session after seq 2.
    const recoverer = setup();
    const recovered = recoverer.emitterFor(sessionId, { lastSeq: 2 });
    recovered.emit('prx.voice.session.failed', {
      code: 'INTERNAL',
      message: 'the instance running the session stopped',
      from: 'Listening',
      duration_ms: 1000,
    });
    await recoverer.log.flush();
    // The owner wakes up and goes on writing at 3, 4, …
    emitTurns(ownerEmitter, 3);
    const stored = owner.log.whenStored(tenantA.tenantId, sessionId, 5);
    await owner.log.flush();
    // It never will be: the recoverer wrote the session's end.
    expect(await stored).toBe(false);
    expect(fenced).toEqual([sessionId]);
    expect(owner.log.pendingCount).toBe(0);
    emitTurns(ownerEmitter, 1);
    expect(owner.log.pendingCount).toBe(0);
    const log = await owner.log.readAfter(tenantA.tenantId, sessionId, 0);
    assertGapFree(log);
    expect(log.map((e) => e.type)).toEqual([
      'prx.voice.agent.token_stream',
      'prx.voice.agent.token_stream',
      'prx.voice.session.failed',
    ]);
    expect(owner.failures).toEqual([]);
  });

  it('keeps tenants apart', async () => {
    const { log, emitterFor } = setup();
    const sessionId = await newSession(tenantA);
    emitTurns(emitterFor(sessionId), 3);
    await log.flush();
    expect(await log.readAfter(tenantA.tenantId, sessionId, 0)).toHaveLength(3);
    expect(await log.readAfter(tenantB.tenantId, sessionId, 0)).toEqual([]);
    expect(await log.lastSeq(tenantB.tenantId, sessionId)).toBe(0);
    expect(await tenantB.events.lastSeq(sessionId)).toBe(0);
  });

  it('resumes a session after a restart without a gap', async () => {
    const first = setup();
    const sessionId = await newSession();
    emitTurns(first.emitterFor(sessionId), 5);
    await first.log.close();
    expect(() => {
      emitTurns(first.emitterFor(sessionId, { lastSeq: 5 }), 1);
    }).toThrow(VoiceError);

    const second = setup();
    const lastSeq = await second.log.lastSeq(tenantA.tenantId, sessionId);
    expect(lastSeq).toBe(5);
    const emitter = second.emitterFor(sessionId, { lastSeq });
    emitTurns(emitter, 3);
    emitter.emit('prx.voice.session.closed', {
      outcome: 'completed',
      reason: 'client_end',
      duration_ms: 1000,
      turn_count: 1,
    });
    await second.log.flush();
    const stored = await second.log.readAfter(tenantA.tenantId, sessionId, 0);
    assertGapFree(stored);
    expect(stored).toHaveLength(9);
  });

  it('refuses events out of order for a session', async () => {
    const { log } = setup();
    const sessionId = await newSession();
    const events: Parameters<EventSink>[0][] = [];
    const emitter = createSessionEmitter({
      tenantId: tenantA.tenantId,
      sessionId,
      instanceId: 'n',
      clock: new SimulatedClock(),
      ids,
      sink: (e) => void events.push(e),
    });
    emitTurns(emitter, 3);
    const [e1, e2, e3] = events;
    log.append(e1!);
    expect(() => {
      log.append(e3!);
    }).toThrow(/prxseq 3, expected 2/);
    log.append(e2!);
    log.append(e3!);
    await log.flush();
    expect(await tenantA.events.lastSeq(sessionId)).toBe(3);
  });

  it('validates its options', () => {
    const base = { repos: db.repos, clock: new SimulatedClock(), onError: () => undefined };
    expect(() => createEventLog({ ...base, batchSize: 0 })).toThrow(/batchSize/);
    expect(() => createEventLog({ ...base, flushIntervalMs: -1 })).toThrow(/flushIntervalMs/);
  });
});
