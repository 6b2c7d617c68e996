/**
 * The log's one writer per instance: many sessions of several tenants in one statement
 * per tick, the per-session batch size and the per-write row limit, one session fenced
 * or refused while the others write on, a failed statement retried for every session,
 * order within a session under retries, and the codec per session batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import type { NewSessionEvent, SessionEventWriter, TenantRepositories } from '@prx-voice/storage';
import { openTestDatabase } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import { VoiceError, createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createEventLog } from './event-log.js';
import type { EventLogCodec, EventLogFailure, EventLogOptions } from './event-log.js';
import { createSessionEmitter } from './session-emitter.js';
import type { SessionEmitter } from './session-emitter.js';
import { assertGapFree } from './testing/assert-gap-free.js';
import { failingEventRepos } from './testing/failing-event-repos.js';

const ids = createSequentialIdGenerator(Date.UTC(2026, 11, 7));
let db: TestDatabase;
let tenantA: TenantRepositories;
let tenantB: TenantRepositories;

beforeAll(async () => {
  db = await openTestDatabase({ ids });
  const a = await db.repos.tenants.create({ slug: 'batch-a', name: 'A', tier: 'free' });
  const b = await db.repos.tenants.create({ slug: 'batch-b', name: 'B', tier: 'free' });
  tenantA = db.repos.forTenant(a.id as TenantId);
  tenantB = db.repos.forTenant(b.id as TenantId);
});

afterAll(async () => {
  await db.close();
});

async function newSession(t: TenantRepositories): Promise<SessionId> {
  const row = await t.sessions.create({
    state: 'Idle',
    channel: 'websocket',
    direction: 'inbound',
    language: 'en-US',
  });
  return row.id as SessionId;
}

function setup(over: Partial<EventLogOptions> & { failures?: number } = {}) {
  const clock = new SimulatedClock();
  const repos = failingEventRepos(db.repos, { failures: over.failures ?? 0 });
  const failures: { code: string; failure: EventLogFailure }[] = [];
  const fenced: SessionId[] = [];
  const log = createEventLog({
    repos,
    clock,
    batchSize: 4,
    flushIntervalMs: 25,
    onError: (err, failure) => {
      failures.push({ code: err.code, failure });
      queueMicrotask(() => clock.advance(failure.retryInMs));
    },
    onFenced: (_t, id) => fenced.push(id),
    ...over,
  });
  const emitter = (
    t: TenantRepositories,
    sessionId: SessionId,
    lastSeq?: number,
    sink = log.append,
  ): SessionEmitter =>
    createSessionEmitter({
      tenantId: t.tenantId,
      sessionId,
      instanceId: 'node-1',
      clock,
      ids,
      sink,
      ...(lastSeq === undefined ? {} : { lastSeq }),
    });
  return { clock, repos, log, failures, fenced, emitter };
}

function emitTokens(e: SessionEmitter, n: number): void {
  for (let i = 0; i < n; i++) e.emit('prx.voice.agent.token_stream', { text: `w${i} ` });
}

/** Per session, the seqs of each statement: never two batches of one session in one. */
function seqsBySession(batches: readonly (readonly NewSessionEvent[])[]) {
  const out = new Map<string, number[][]>();
  for (const rows of batches) {
    const here = new Map<string, number[]>();
    for (const r of rows) here.set(r.sessionId, [...(here.get(r.sessionId) ?? []), r.seq]);
    for (const [s, seqs] of here) out.set(s, [...(out.get(s) ?? []), seqs]);
  }
  return out;
}

describe('the event log writer', () => {
  it('writes every session of every tenant in one statement per tick', async () => {
    const { clock, repos, log, emitter } = setup();
    const sessions = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? tenantA : tenantB)).map(
        async (t) => [t, await newSession(t)] as const,
      ),
    );
    for (const [t, s] of sessions) emitTokens(emitter(t, s), 3);
    expect(repos.calls).toBe(0);
    clock.advance(25);
    expect(repos.calls).toBe(1);
    expect(repos.batches[0]).toHaveLength(90);
    await log.flush();
    expect(repos.calls).toBe(1);
    expect(log.pendingCount).toBe(0);
    for (const [t, s] of sessions) {
      const stored = await log.readAfter(t.tenantId, s, 0);
      expect(stored.map((e) => e.prxseq)).toEqual([1, 2, 3]);
      // Reads stay per tenant.
      const other = t === tenantA ? tenantB : tenantA;
      expect(await log.readAfter(other.tenantId, s, 0)).toEqual([]);
    }
  });

  it('keeps the per-session batch size and the row limit, serving every session', async () => {
    const { repos, log, emitter } = setup({ batchSize: 4, maxRowsPerWrite: 10 });
    const sessions = await Promise.all([1, 2, 3, 4, 5].map(() => newSession(tenantA)));
    for (const s of sessions) emitTokens(emitter(tenantA, s), 9);
    await log.flush();
    for (const rows of repos.batches) expect(rows.length).toBeLessThanOrEqual(10);
    const bySession = seqsBySession(repos.batches);
    for (const s of sessions) {
      const writes = bySession.get(s) ?? [];
      for (const seqs of writes) expect(seqs.length).toBeLessThanOrEqual(4);
      expect(writes.flat()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assertGapFree(await log.readAfter(tenantA.tenantId, s, 0));
    }
    // 45 rows, at most 10 a statement and 4 of a session: no session waits for the others.
    expect(repos.calls).toBeLessThanOrEqual(8);
    expect(() => createEventLog({ ...setupBase(), maxRowsPerWrite: 6001 })).toThrow(
      /maxRowsPerWrite/,
    );
  });

  it('fences one session another instance continued while the others write on', async () => {
    const owner = setup();
    const [taken, s2, s3] = await Promise.all([1, 2, 3].map(() => newSession(tenantA)));
    const ownerEmitters = [taken!, s2!, s3!].map((s) => owner.emitter(tenantA, s));
    for (const e of ownerEmitters) emitTokens(e, 2);
    await owner.log.flush();
    // Another instance recovers `taken` after seq 2 and writes its end at 3.
    const recoverer = setup();
    recoverer.emitter(tenantA, taken!, 2).emit('prx.voice.session.failed', {
      code: 'INTERNAL',
      message: 'the instance running the session stopped',
      from: 'Listening',
      duration_ms: 1000,
    });
    await recoverer.log.flush();
    const statements = owner.repos.calls;
    for (const e of ownerEmitters) emitTokens(e, 3);
    await owner.log.flush();
    expect(owner.repos.calls).toBe(statements + 1);
    expect(owner.fenced).toEqual([taken]);
    expect(owner.failures).toEqual([]);
    expect(owner.log.pendingCount).toBe(0);
    const log = await owner.log.readAfter(tenantA.tenantId, taken!, 0);
    expect(log.map((e) => e.type)).toEqual([
      'prx.voice.agent.token_stream',
      'prx.voice.agent.token_stream',
      'prx.voice.session.failed',
    ]);
    for (const s of [s2!, s3!]) {
      expect((await owner.log.readAfter(tenantA.tenantId, s, 0)).map((e) => e.prxseq)).toEqual([
        1, 2, 3, 4, 5,
      ]);
    }
    // What the fenced session appends later is dropped; the others go on.
    emitTokens(ownerEmitters[0]!, 1);
    emitTokens(ownerEmitters[1]!, 1);
    expect(owner.log.pendingCount).toBe(1);
    await owner.log.flush();
    expect(await tenantA.events.lastSeq(s2!)).toBe(6);
  });

  it('retries a failed statement for every session, each reported, each with its backoff', async () => {
    const { clock, repos, log, failures, emitter } = setup({ failures: 1, retryDelayMs: 100 });
    const a = await newSession(tenantA);
    const b = await newSession(tenantB);
    emitTokens(emitter(tenantA, a), 2);
    emitTokens(emitter(tenantB, b), 3);
    clock.advance(25);
    await log.flush();
    expect(failures).toEqual([
      {
        code: 'STORAGE_UNAVAILABLE',
        failure: {
          tenantId: tenantA.tenantId,
          sessionId: a,
          fromSeq: 1,
          toSeq: 2,
          attempt: 1,
          retryInMs: 100,
        },
      },
      {
        code: 'STORAGE_UNAVAILABLE',
        failure: {
          tenantId: tenantB.tenantId,
          sessionId: b,
          fromSeq: 1,
          toSeq: 3,
          attempt: 1,
          retryInMs: 100,
        },
      },
    ]);
    expect(repos.calls).toBe(2); // the failed statement, then one retry for both
    expect(repos.batches[1]).toHaveLength(5);
    expect(await tenantA.events.lastSeq(a)).toBe(2);
    expect(await tenantB.events.lastSeq(b)).toBe(3);
  });

  it('keeps each session in order across retries, one batch of it in flight', async () => {
    const { clock, repos, log, failures, emitter } = setup({ failures: 3, retryDelayMs: 10 });
    const sessions = await Promise.all([1, 2, 3].map(() => newSession(tenantA)));
    const emitters = sessions.map((s) => emitter(tenantA, s));
    for (let round = 0; round < 5; round++) {
      for (const e of emitters) emitTokens(e, 3);
      clock.advance(25);
    }
    await log.flush();
    expect(failures.map((f) => f.failure.attempt)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
    const bySession = seqsBySession(repos.batches.slice(3));
    for (const s of sessions) {
      expect(bySession.get(s)?.flat()).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      assertGapFree(await log.readAfter(tenantA.tenantId, s, 0));
    }
  });

  it('encodes each session batch with the codec; a failed encode fails its session only', async () => {
    const encoded: string[] = [];
    let failOnce = true;
    const codec: EventLogCodec = {
      encode(_t, sessionId, events) {
        encoded.push(`${sessionId}:${events.length}`);
        if (failOnce && sessionId === sessions[0]) {
          failOnce = false;
          return Promise.reject(new Error('key store unavailable'));
        }
        return Promise.resolve(events.map((e) => ({ ...e, sealed: true })));
      },
      decode: (_t, _s, stored) =>
        Promise.resolve(stored.map(({ sealed: _sealed, ...rest }) => rest)),
    };
    const { clock, repos, log, failures, emitter } = setup({ codec, retryDelayMs: 10 });
    const sessions = await Promise.all([1, 2, 3].map(() => newSession(tenantA)));
    for (const s of sessions) emitTokens(emitter(tenantA, s), 2);
    clock.advance(25);
    await log.flush();
    expect(encoded.slice(0, 3)).toEqual(sessions.map((s) => `${s}:2`));
    expect(failures.map((f) => f.failure.sessionId)).toEqual([sessions[0]]);
    expect(repos.batches.map((rows) => rows.length)).toEqual([4, 2]);
    for (const s of sessions) {
      const raw = await tenantA.events.readAfter(s, 0);
      expect(raw.map((r) => r.event['sealed'])).toEqual([true, true]);
      expect((await log.readAfter(tenantA.tenantId, s, 0)).map((e) => e.prxseq)).toEqual([1, 2]);
    }
  });

  it('writes sessions apart when the statement refuses a row, so only its session fails', async () => {
    const failures: { code: string; sessionId: SessionId }[] = [];
    let reported: () => void = () => undefined;
    const failed = new Promise<void>((resolve) => (reported = resolve));
    const { clock, log, emitter } = setup({
      // The refused session waits out its retry delay: simulated time stays put.
      onError: (err, f) => {
        failures.push({ code: err.code, sessionId: f.sessionId });
        reported();
      },
    });
    const good = await newSession(tenantA);
    const missing = ids.next('session'); // no such session in the database
    emitTokens(emitter(tenantA, good), 2);
    emitTokens(emitter(tenantA, missing), 1);
    clock.advance(25);
    await Promise.all([log.whenStored(tenantA.tenantId, good, 2), failed]);
    expect(await tenantA.events.lastSeq(good)).toBe(2);
    expect(failures).toEqual([{ code: 'SESSION_NOT_FOUND', sessionId: missing }]);
    expect(log.pendingCount).toBe(1);
  });
});

function setupBase() {
  const writer: SessionEventWriter = {
    appendMany: () => Promise.reject(new VoiceError('STORAGE_UNAVAILABLE')),
  };
  return {
    repos: { forTenant: (t: TenantId) => db.repos.forTenant(t), sessionEventWriter: writer },
    clock: new SimulatedClock(),
    onError: () => undefined,
  };
}
