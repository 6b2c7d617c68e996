import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';
import type { SessionId, SessionState, TenantId } from '@prx-voice/types';
import type { SessionStateUpdate, SessionStateWriter } from '@prx-voice/storage';
import { createSessionStateQueue } from './state-queue.js';

const T = 'ten_01kdvdna01e008000000000001' as TenantId;

/** A writer whose statements the test settles: each call waits until answered. */
function controlledWriter() {
  const calls: {
    updates: readonly SessionStateUpdate[];
    answer: (ended?: readonly string[]) => void;
    fail: (error: unknown) => void;
  }[] = [];
  let waiting: (() => void) | undefined;
  const writer: SessionStateWriter = {
    advanceMany: (updates) =>
      new Promise((resolve, reject) => {
        calls.push({
          updates,
          answer: (ended = []) =>
            resolve(new Set(updates.map((u) => u.sessionId).filter((id) => !ended.includes(id)))),
          fail: reject,
        });
        waiting?.();
      }),
  };
  /** Resolves once the writer has been called `n` times in all. */
  const called = (n: number): Promise<void> =>
    calls.length >= n
      ? Promise.resolve()
      : new Promise((resolve) => {
          waiting = () => {
            if (calls.length >= n) resolve();
          };
        });
  return { writer, calls, called };
}

const change = (id: string, state: SessionState = 'Thinking'): SessionStateUpdate => ({
  tenantId: T,
  sessionId: id as SessionId,
  state,
});

describe('the session state queue', () => {
  it('writes the changes of one turn together, and what comes meanwhile in the next statement', async () => {
    const { writer, calls, called } = controlledWriter();
    const q = createSessionStateQueue({ writer });
    const first = [q.advance(change('sess_a')), q.advance(change('sess_b'))];
    await called(1);
    expect(calls[0]?.updates.map((u) => u.sessionId)).toEqual(['sess_a', 'sess_b']);
    // While the first statement is in flight: these wait, then share one.
    const second = [q.advance(change('sess_c')), q.advance(change('sess_d', 'Speaking'))];
    expect(q.pending).toBe(4);
    calls[0]?.answer();
    expect(await Promise.all(first)).toEqual([true, true]);
    await called(2);
    expect(calls[1]?.updates.map((u) => [u.sessionId, u.state])).toEqual([
      ['sess_c', 'Thinking'],
      ['sess_d', 'Speaking'],
    ]);
    calls[1]?.answer(['sess_d']);
    // A session missing from what advanced had ended: fenced.
    expect(await Promise.all(second)).toEqual([true, false]);
    expect(q.pending).toBe(0);
  });

  it('never puts two changes of one session in a statement, and keeps their order', async () => {
    const { writer, calls, called } = controlledWriter();
    const q = createSessionStateQueue({ writer, maxPerWrite: 2 });
    const first = [q.advance(change('sess_a', 'Thinking')), q.advance(change('sess_b'))];
    await called(1);
    // sess_a's next change waits for its previous one's statement (and sess_c beside it).
    const later = [q.advance(change('sess_a', 'Speaking')), q.advance(change('sess_c'))];
    expect(calls[0]?.updates.map((u) => `${u.sessionId}:${u.state}`)).toEqual([
      'sess_a:Thinking',
      'sess_b:Thinking',
    ]);
    calls[0]?.answer();
    await called(2);
    expect(calls[1]?.updates.map((u) => `${u.sessionId}:${u.state}`)).toEqual([
      'sess_a:Speaking',
      'sess_c:Thinking',
    ]);
    calls[1]?.answer();
    expect(await Promise.all([...first, ...later])).toEqual([true, true, true, true]);
  });

  it("writes only a session's latest change while its earlier one still waits, and tells both", async () => {
    const { writer, calls, called } = controlledWriter();
    const q = createSessionStateQueue({ writer, maxPerWrite: 2 });
    const inFlight = q.advance(change('sess_x'));
    await called(1);
    const waiting = [
      q.advance(change('sess_a', 'Thinking')),
      q.advance(change('sess_b')),
      q.advance(change('sess_a', 'Speaking')),
    ];
    expect(q.pending).toBe(4);
    calls[0]?.answer();
    await called(2);
    expect(calls[1]?.updates.map((u) => `${u.sessionId}:${u.state}`)).toEqual([
      'sess_a:Speaking',
      'sess_b:Thinking',
    ]);
    calls[1]?.answer(['sess_a']);
    expect(await inFlight).toBe(true);
    // Both of sess_a's changes learn it had ended.
    expect(await Promise.all(waiting)).toEqual([false, true, false]);
    expect(calls).toHaveLength(2);
  });

  it('holds changes within turns for company, writes a session end at once with what waits, and flushes on demand', async () => {
    const clock = new SimulatedClock();
    const { writer, calls, called } = controlledWriter();
    const q = createSessionStateQueue({ writer, holdMs: 100, clock });
    const held = [q.advance(change('sess_a')), q.advance(change('sess_b', 'Speaking'))];
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(0);
    clock.advance(99);
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(0);
    q.advance(change('sess_a', 'Listening')).catch(() => undefined);
    clock.advance(1);
    await called(1);
    // One statement for the hold's changes, sess_a's latest only.
    expect(calls[0]?.updates.map((u) => `${u.sessionId}:${u.state}`)).toEqual([
      'sess_a:Listening',
      'sess_b:Speaking',
    ]);
    calls[0]?.answer();
    expect(await Promise.all(held)).toEqual([true, true]);

    // A session's end does not wait, and takes what was held with it.
    const before = q.advance(change('sess_c', 'Listening'));
    const end = q.advance(change('sess_d', 'Closed'));
    await called(2);
    expect(calls[1]?.updates.map((u) => `${u.sessionId}:${u.state}`)).toEqual([
      'sess_c:Listening',
      'sess_d:Closed',
    ]);
    calls[1]?.answer();
    expect(await Promise.all([before, end])).toEqual([true, true]);

    // A change within a turn superseded by the session's end is written as the end.
    const turn = q.advance(change('sess_e', 'Speaking'));
    const closed = q.advance(change('sess_e', 'Failed'));
    await called(3);
    expect(calls[2]?.updates.map((u) => `${u.sessionId}:${u.state}`)).toEqual(['sess_e:Failed']);
    calls[2]?.answer();
    expect(await Promise.all([turn, closed])).toEqual([true, true]);

    // flush() writes what is held now.
    const flushed = q.advance(change('sess_f'));
    q.flush();
    await called(4);
    expect(calls[3]?.updates.map((u) => u.sessionId)).toEqual(['sess_f']);
    calls[3]?.answer();
    expect(await flushed).toBe(true);
    // Nothing left to fire.
    clock.advance(1_000);
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(4);
    expect(q.pending).toBe(0);
  });

  it('fails only the change the database refuses, and every change of a statement that may succeed later', async () => {
    const { writer, calls, called } = controlledWriter();
    const q = createSessionStateQueue({ writer });
    const refused = [q.advance(change('sess_a')), q.advance(change('sess_bad'))];
    await called(1);
    calls[0]?.fail(new VoiceError('VALIDATION_FAILED', { message: 'bad row' }));
    // Tried again change by change.
    await called(2);
    expect(calls[1]?.updates.map((u) => u.sessionId)).toEqual(['sess_a']);
    calls[1]?.answer();
    await called(3);
    expect(calls[2]?.updates.map((u) => u.sessionId)).toEqual(['sess_bad']);
    calls[2]?.fail(new VoiceError('VALIDATION_FAILED', { message: 'bad row' }));
    const [a, bad] = await Promise.allSettled(refused);
    expect(a).toEqual({ status: 'fulfilled', value: true });
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'VALIDATION_FAILED' } });

    const outage = [q.advance(change('sess_c')), q.advance(change('sess_d'))];
    await called(4);
    calls[3]?.fail(new VoiceError('STORAGE_UNAVAILABLE', { message: 'connection lost' }));
    const settled = await Promise.allSettled(outage);
    expect(settled.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toHaveLength(4);
  });
});
