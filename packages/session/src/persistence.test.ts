import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import { SimulatedClock } from '@prx-voice/core/testing';
import type { TenantRepositories } from '@prx-voice/storage';
import type { SessionId, TenantId, TurnId } from '@prx-voice/types';
import { repositoryPersistence } from './persistence.js';
import { createSessionStateQueue } from './state-queue.js';
import { createScenario } from './testing/scenario.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
}, 60_000);
afterAll(() => db.close());

describe('repository persistence', () => {
  it('records the session state and each turn with its texts and latency breakdown', async () => {
    const tenant = await db.repos.tenants.create({ slug: 'persist', name: 'P', tier: 'starter' });
    const repos = db.repos.forTenant(tenant.id as TenantId);
    let idle: () => Promise<void> = () => Promise.resolve();
    const s = await createScenario({
      tenantId: tenant.id as TenantId,
      persistence: async ({ sessionId }, clock) => {
        await repos.sessions.create({
          id: sessionId,
          state: 'Idle',
          channel: 'websocket',
          direction: 'inbound',
          language: 'en-US',
        });
        const p = repositoryPersistence(repos, sessionId, { clock });
        idle = () => p.idle();
        return p;
      },
    });
    await s.speak(600);
    await s.silence(3000);
    s.actor.dispatch({ type: 'end' });
    await idle();
    const session = await repos.sessions.require(s.sessionId as never);
    expect(session).toMatchObject({
      state: 'Closed',
      outcome: 'completed',
      close_reason: 'client_end',
      turn_count: 1,
    });
    expect(session.ended_at).toBeInstanceOf(Date);
    const turns = (await repos.turns.listBySession(s.sessionId as never)).items;
    expect(turns).toHaveLength(1);
    expect(turns[0]).toMatchObject({
      seq: 1,
      status: 'completed',
      input_kind: 'voice',
      user_text: 'hello',
      assistant_text: 'You said: hello',
      interrupted: false,
    });
    const event = s.events.find((e) => e.type === 'prx.voice.turn.completed')?.data as {
      latency: Record<string, number>;
    };
    expect(turns[0]?.latency_voice_to_voice_ms).toBe(
      Math.round(event.latency.voice_to_voice_ms ?? -1),
    );
    expect(turns[0]?.latency_agent_first_token_ms).toBe(20);
  }, 60_000);

  /** A session row and repositories whose writes fail while `down` is set, as a restarting database's do. */
  async function flaky(slug: string) {
    const tenant = await db.repos.tenants.create({ slug, name: slug, tier: 'starter' });
    const repos = db.repos.forTenant(tenant.id as TenantId);
    const row = await repos.sessions.create({
      state: 'Listening',
      channel: 'websocket',
      direction: 'inbound',
      language: 'en-US',
    });
    const state = { down: false, tries: 0 };
    const guard =
      <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
      async (...a: A): Promise<R> => {
        state.tries++;
        if (state.down)
          throw Object.assign(new Error('terminating connection due to administrator command'), {
            code: '57P01',
          });
        return f(...a);
      };
    const wrapped = {
      ...repos,
      sessions: {
        ...repos.sessions,
        advance: guard((id: SessionId, p: Parameters<typeof repos.sessions.advance>[1]) =>
          repos.sessions.advance(id, p),
        ),
      },
      turns: {
        ...repos.turns,
        create: guard((t: Parameters<typeof repos.turns.create>[0]) => repos.turns.create(t)),
        complete: guard((id: TurnId, c: Parameters<typeof repos.turns.complete>[1]) =>
          repos.turns.complete(id, c),
        ),
      },
    } as TenantRepositories;
    return { repos, wrapped, id: row.id as SessionId, state };
  }

  /** Lets the persistence chain run its pending database calls (PGlite, off the simulated clock). */
  async function until(done: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 500 && !(await done()); i++)
      await new Promise<void>((r) => setImmediate(r));
  }

  it('retries through a database outage, in order, and loses no write', async () => {
    const { repos, wrapped, id, state } = await flaky('persist-outage');
    const clock = new SimulatedClock();
    const retries: number[] = [];
    const p = repositoryPersistence(wrapped, id, {
      clock,
      onRetry: (_err, _attempt, inMs) => retries.push(inMs),
    });
    state.down = true;
    const turnId = 'turn_01m94z0000e000000000000001' as TurnId;
    void p.turnStarted({
      type: 'persist_turn_started',
      turnId,
      seq: 1,
      input: 'text',
      userText: 'hi',
    });
    void p.turnCompleted({
      type: 'persist_turn_completed',
      turnId,
      status: 'completed',
      userText: 'hi',
      assistantText: 'hello',
      assistantTextGenerated: 'hello',
      interrupted: false,
      latency: {
        asr_ms: null,
        agent_first_token_ms: 12,
        tts_first_audio_ms: null,
        first_audio_sent_ms: null,
        voice_to_voice_ms: null,
      },
    } as never);
    void p.sessionState({
      type: 'persist_session',
      state: 'Closed',
      outcome: 'completed',
      closeReason: 'client_end',
    } as never);
    for (const [n, wait] of [
      [1, 100],
      [2, 200],
      [3, 0],
    ] as const) {
      await until(() => Promise.resolve(retries.length >= n));
      clock.advance(wait);
    }
    expect(retries).toEqual([100, 200, 400]);
    state.down = false;
    clock.advance(400);
    await p.idle();
    expect(await repos.sessions.require(id)).toMatchObject({
      state: 'Closed',
      turn_count: 1,
    });
    expect((await repos.sessions.require(id)).ended_at).toBeInstanceOf(Date);
    const turns = (await repos.turns.listBySession(id)).items;
    expect(turns).toMatchObject([{ status: 'completed', assistant_text: 'hello' }]);
    expect(p.fenced).toBe(false);
  }, 60_000);

  it.each([
    ['on its own', false],
    ['through the instance state queue', true],
  ] as const)(
    'is fenced once the row has ended elsewhere (%s): nothing more is written',
    async (_, viaQueue) => {
      const { repos, id, state } = await flaky(`persist-fenced-${String(viaQueue)}`);
      let fencedCalls = 0;
      const p = repositoryPersistence(repos, id, {
        clock: new SimulatedClock(),
        onFenced: () => fencedCalls++,
        ...(viaQueue
          ? { states: createSessionStateQueue({ writer: db.repos.sessionStateWriter }) }
          : {}),
      });
      // A live session's state is written.
      await p.sessionState({ type: 'persist_session', state: 'Speaking' } as never);
      expect((await repos.sessions.require(id)).state).toBe('Speaking');
      // Recovered as lost by another instance while this one was frozen.
      await repos.sessions.update(id, {
        state: 'Failed',
        outcome: 'error',
        closeReason: 'instance_lost',
        endedAt: new Date(0),
      });
      await p.sessionState({ type: 'persist_session', state: 'Thinking' } as never);
      await p.sessionState({
        type: 'persist_session',
        state: 'Closed',
        outcome: 'completed',
      } as never);
      expect(p.fenced).toBe(true);
      expect(fencedCalls).toBe(1);
      expect(await repos.sessions.require(id)).toMatchObject({
        state: 'Failed',
        close_reason: 'instance_lost',
      });
      expect(state.tries).toBe(0);
    },
    60_000,
  );

  it("through a holding queue: a turn's writes never wait for a state's hold, a retry gives way to a later state, idle() writes what is held", async () => {
    const { repos, id, state } = await flaky('persist-held');
    const clock = new SimulatedClock();
    const writer = db.repos.sessionStateWriter;
    let retries = 0;
    const p = repositoryPersistence(repos, id, {
      clock,
      onRetry: () => retries++,
      states: createSessionStateQueue({
        holdMs: 100,
        clock,
        writer: {
          advanceMany: async (updates) => {
            state.tries++;
            if (state.down)
              throw Object.assign(new Error('the database system is shutting down'), {
                code: '57P01',
              });
            return writer.advanceMany(updates);
          },
        },
      }),
    });
    const thinking = p.sessionState({ type: 'persist_session', state: 'Thinking' } as never);
    const turnId = 'turn_01m94z0000e000000000000003' as TurnId;
    await p.turnStarted({
      type: 'persist_turn_started',
      turnId,
      seq: 1,
      input: 'text',
      userText: 'a',
    } as never);
    // The turn is stored while the state waits for its hold.
    expect((await repos.turns.listBySession(id)).items).toHaveLength(1);
    expect((await repos.sessions.require(id)).state).toBe('Listening');
    // The hold ends in an outage: the change is retried in 100 ms...
    state.down = true;
    clock.advance(100);
    await until(() => Promise.resolve(retries === 1));
    // ...and a later change comes first once the database is back: the retry gives way.
    const speaking = p.sessionState({ type: 'persist_session', state: 'Speaking' } as never);
    state.down = false;
    clock.advance(100);
    await Promise.all([thinking, speaking]);
    expect((await repos.sessions.require(id)).state).toBe('Speaking');
    expect(state.tries).toBe(2);
    // idle() does not wait for a hold.
    const listening = p.sessionState({ type: 'persist_session', state: 'Listening' } as never);
    await p.idle();
    await listening;
    expect((await repos.sessions.require(id)).state).toBe('Listening');
  }, 60_000);

  it('stop() gives up a state change and a turn write retrying at once, and idle() then resolves', async () => {
    const { wrapped, id, state } = await flaky('persist-stop-both');
    const clock = new SimulatedClock();
    let retries = 0;
    const p = repositoryPersistence(wrapped, id, {
      clock,
      onRetry: () => retries++,
      states: createSessionStateQueue({
        writer: {
          advanceMany: () =>
            Promise.reject(
              Object.assign(new Error('terminating connection due to administrator command'), {
                code: '57P01',
              }),
            ),
        },
      }),
    });
    state.down = true;
    const writes = [
      p.sessionState({ type: 'persist_session', state: 'Thinking' } as never),
      p.turnStarted({
        type: 'persist_turn_started',
        turnId: 'turn_01m94z0000e000000000000004' as TurnId,
        seq: 1,
        input: 'text',
        userText: 'a',
      } as never),
    ];
    await until(() => Promise.resolve(retries === 2));
    // Both wait out a backoff on the (simulated, unmoving) clock; stop wakes both.
    p.stop();
    await Promise.all(writes);
    await p.idle();
    expect(retries).toBe(2);
  }, 60_000);

  it('gives up a write no retry can cure, and goes on with the next', async () => {
    const { repos, id } = await flaky('persist-permanent');
    const p = repositoryPersistence(repos, id, { clock: new SimulatedClock() });
    const turnId = 'turn_01m94z0000e000000000000002' as TurnId;
    const started = {
      type: 'persist_turn_started',
      turnId,
      seq: 1,
      input: 'text',
      userText: 'a',
    } as const;
    await p.turnStarted(started);
    await expect(p.turnStarted(started)).rejects.toMatchObject({ code: 'CONFLICT' });
    await p.sessionState({ type: 'persist_session', state: 'Thinking' } as never);
    expect((await repos.sessions.require(id)).state).toBe('Thinking');
  }, 60_000);
});
