import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProviders } from '@prx-voice/adapter';
import { defaultConfig, parseConfig } from '@prx-voice/core';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createEventBus, createEventLog } from '@prx-voice/event';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { assertGapFree } from '@prx-voice/event/testing';
import { createAdmissionService, createTenant } from '@prx-voice/policy';
import { createMemoryCoordinator } from '@prx-voice/storage';
import { openTestDatabase } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import { VoiceError, createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { STATE_WRITE_HOLD_MS, createSessionManager } from './session-manager.js';
import type { SessionManager } from './session-manager.js';

let db: TestDatabase;
const clock = new SimulatedClock({ start: Date.UTC(2026, 10, 21) });
const ids = createSequentialIdGenerator(Date.UTC(2026, 10, 21));
const coordinator = createMemoryCoordinator({ clock });
const admission = createAdmissionService({ coordinator, clock });
const bus = createEventBus();
const events: AnyVoiceEvent[] = [];
bus.listen(
  (e) => {
    if ('type' in e) events.push(e);
  },
  {
    onError: (err) => {
      throw err;
    },
  },
);
let manager: SessionManager;
let n = 0;

async function settle(ms = 0): Promise<void> {
  for (let t = 0; t <= ms; t += 10) {
    if (t > 0) clock.advance(10);
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
  }
}
async function rejectsWith(p: Promise<unknown>, code: string): Promise<VoiceError> {
  try {
    await p;
  } catch (err) {
    expect(VoiceError.is(err), String(err)).toBe(true);
    expect((err as VoiceError).code).toBe(code);
    return err as VoiceError;
  }
  throw new Error(`expected ${code}`);
}
const tenant = async (tier = 'starter') =>
  (await createTenant(db.repos, { slug: `m-${++n}`, name: 'M', tier })).id as TenantId;

/** A manager on the suite's database, clock and bus; `over` replaces what a case changes. */
function testManager(
  instanceId: string,
  over: Partial<Parameters<typeof createSessionManager>[0]> = {},
): SessionManager {
  return createSessionManager({
    config: defaultConfig(),
    clock,
    ids,
    repos: db.repos,
    admission,
    providers: defaultProviders({ clock }),
    bus,
    log: createEventLog({
      repos: db.repos,
      clock,
      onError: (e) => {
        throw e;
      },
    }),
    instanceId,
    ...over,
  });
}

beforeAll(async () => {
  db = await openTestDatabase({ clock, ids });
  manager = testManager('test-1');
});
afterAll(() => db.close());

describe('session manager', () => {
  it('creates an admitted session that runs to Listening, answers a text turn and persists it', async () => {
    const t = await tenant();
    const row = await manager.create(t, { channel: 'websocket' });
    expect(row).toMatchObject({
      state: 'Idle',
      channel: 'websocket',
      language: 'en-US',
      instance_id: 'test-1',
    });
    await settle();
    const sid = row.id as SessionId;
    expect(manager.live(t, sid)?.actor.model.machine.value).toBe('Listening');
    await manager.textTurn(t, sid, 'hello there');
    await settle(3000);
    const turns = (await db.repos.forTenant(t).turns.listBySession(sid)).items;
    expect(turns).toMatchObject([
      {
        seq: 1,
        user_text: 'hello there',
        assistant_text: 'You said: hello there',
        status: 'completed',
      },
    ]);
    assertGapFree(events.filter((e) => e.prxsessionid === sid));
  });

  it("checks its sessions' events unless told not to (the server's observe.check_events)", async () => {
    const t = await tenant();
    const checked = (await manager.create(t, { channel: 'websocket' })).id as SessionId;
    const unchecked = testManager('test-unchecked', { checkEvents: false });
    const plain = (await unchecked.create(t, { channel: 'websocket' })).id as SessionId;
    await settle();
    const of = (sid: SessionId) => events.filter((e) => e.prxsessionid === sid);
    expect(of(checked).length).toBeGreaterThan(1);
    expect(of(plain).map((e) => e.type)).toEqual(of(checked).map((e) => e.type));
    // A checked event's data is frozen once checked; an unchecked one is left as built.
    expect(of(checked).every((e) => Object.isFrozen(e.data))).toBe(true);
    expect(of(plain).some((e) => !Object.isFrozen(e.data))).toBe(true);
    await unchecked.command(t, plain, 'end');
    await manager.command(t, checked, 'end');
    await settle();
  });

  it('refuses commands the state machine forbids, and unknown or foreign sessions', async () => {
    const t = await tenant();
    const sid = (await manager.create(t, { channel: 'websocket' })).id as SessionId;
    await settle();
    await rejectsWith(manager.command(t, sid, 'resume'), 'SESSION_STATE_CONFLICT');
    await rejectsWith(manager.command(t, sid, 'interrupt'), 'SESSION_STATE_CONFLICT');
    await manager.command(t, sid, 'pause');
    await settle();
    expect(manager.live(t, sid)?.actor.model.machine.value).toBe('Paused');
    const other = await tenant();
    await rejectsWith(manager.command(other, sid, 'end'), 'SESSION_NOT_FOUND');
    await rejectsWith(manager.command(t, ids.next('session'), 'end'), 'SESSION_NOT_FOUND');
    await manager.command(t, sid, 'end');
    await settle();
    await rejectsWith(manager.command(t, sid, 'end'), 'SESSION_STATE_CONFLICT');
    expect((await db.repos.forTenant(t).sessions.require(sid)).state).toBe('Closed');
  });

  it('denies sessions over the tier’s concurrency with QUOTA_EXCEEDED and frees the slot at the end', async () => {
    const t = await tenant('trial');
    const a = (await manager.create(t, { channel: 'websocket' })).id as SessionId;
    await manager.create(t, { channel: 'websocket' });
    const err = await rejectsWith(manager.create(t, { channel: 'websocket' }), 'QUOTA_EXCEEDED');
    expect(err.details).toMatchObject({ reason: 'concurrency' });
    expect(err.status).toBe(429);
    await settle();
    await manager.command(t, a, 'end');
    await settle();
    expect(await admission.liveSessions(t)).toBe(1);
    await expect(manager.create(t, { channel: 'websocket' })).resolves.toMatchObject({
      state: 'Idle',
    });
  });

  it('runs at most limits.max_sessions_per_instance sessions: OVERLOADED with a retry hint, concurrent creations counted', async () => {
    const config = parseConfig({ limits: { max_sessions_per_instance: 2 } });
    const small = testManager('test-small', {
      config,
      log: createEventLog({ repos: db.repos, clock, onError: () => undefined }),
    });
    const t = await tenant('enterprise');
    // Three at once: two are admitted, the third is refused before anything is admitted.
    const results = await Promise.allSettled(
      [0, 1, 2].map(() => small.create(t, { channel: 'websocket' })),
    );
    const admitted = results.filter((r) => r.status === 'fulfilled');
    expect(admitted).toHaveLength(2);
    const refused = results.find((r) => r.status === 'rejected');
    const err = (refused as PromiseRejectedResult).reason as VoiceError;
    expect(err.code).toBe('OVERLOADED');
    expect(err.status).toBe(503);
    expect(err.details).toMatchObject({ max_sessions_per_instance: 2, retry_after_ms: 5_000 });
    expect(await admission.liveSessions(t)).toBe(2);
    await settle();
    const first = (admitted[0] as PromiseFulfilledResult<{ id: string }>).value.id as SessionId;
    await small.command(t, first, 'end');
    await settle();
    await expect(small.create(t, { channel: 'websocket' })).resolves.toMatchObject({
      state: 'Idle',
    });
    const drained = small.drain(0);
    await settle(10);
    await drained;
  });

  it('lets one client attach at a time and rejects unknown providers before admission', async () => {
    const t = await tenant();
    const sid = (await manager.create(t, { channel: 'websocket' })).id as SessionId;
    const out = { sendAudio: () => undefined, clear: () => undefined };
    const s = manager.attach(t, sid, out);
    expect(() => manager.attach(t, sid, out)).toThrow(
      expect.objectContaining({ code: 'SESSION_ALREADY_ATTACHED' }) as Error,
    );
    manager.detach(s);
    expect(() => manager.attach(t, sid, out)).not.toThrow();
    await rejectsWith(
      manager.create(t, { channel: 'websocket', providers: { asr: 'nope' } }),
      'VALIDATION_FAILED',
    );
    expect(await admission.liveSessions(t)).toBe(1);
  });

  it('runs the VAD auto stands for (energy without a probe); a session may name energy, silero or auto', async () => {
    const t = await tenant('enterprise');
    const vadOf = async (vad?: string) =>
      (
        await manager.create(t, {
          channel: 'websocket',
          ...(vad === undefined ? {} : { providers: { vad } }),
        })
      ).providers;
    expect(await vadOf()).toMatchObject({ vad: 'energy' });
    expect(await vadOf('auto')).toMatchObject({ vad: 'energy' });
    expect(await vadOf('silero')).toMatchObject({ vad: 'silero' });
    await rejectsWith(vadOf('webrtc'), 'VALIDATION_FAILED');
  });

  it('drains: stops admitting, ends live sessions with reason shutdown and releases their slots', async () => {
    const t = await tenant();
    const sid = (await manager.create(t, { channel: 'websocket' })).id as SessionId;
    await settle();
    const drained = manager.drain(5000);
    await settle(5100);
    const result = await drained;
    expect(result.forced).toBeGreaterThanOrEqual(1);
    expect(manager.liveCount).toBe(0);
    expect((await db.repos.forTenant(t).sessions.require(sid)).outcome).toBe('shutdown');
    expect(await admission.liveSessions(t)).toBe(0);
    await rejectsWith(manager.create(t, { channel: 'websocket' }), 'NOT_READY');
  });
});

describe('session manager — quotas', () => {
  type Data = Record<string, unknown>;
  const ofSession = (sid: string, type: string): Data[] =>
    events.filter((e) => e.prxsessionid === sid && e.type === type).map((e) => e.data as Data);

  const meteredManager = () => testManager('test-q', { quotaMeterIntervalMs: 1000 });

  it('reports the concurrency slot, session time each interval, tokens and characters against the month’s budgets', async () => {
    const metered = meteredManager();
    const t = await tenant('starter');
    const sid = (await metered.create(t, { channel: 'websocket' })).id as SessionId;
    await settle();
    expect(ofSession(sid, 'prx.voice.governance.quota_consumed')[0]).toEqual({
      quota: 'concurrent_sessions',
      used: 1,
      limit: 20,
      unit: 'sessions',
      window: 'instant',
      consumed: 1,
    });
    await metered.textTurn(t, sid, 'hello there');
    await settle(2500);
    const consumed = ofSession(sid, 'prx.voice.governance.quota_consumed');
    const byQuota = (q: string) => consumed.filter((d) => d.quota === q);
    expect(byQuota('session_seconds').map((d) => [d.consumed, d.used])).toEqual([
      [1, 1],
      [1, 2],
    ]);
    // Mock agent usage: prompt and completion tokens, each metered as reported.
    const tokens = ofSession(sid, 'prx.voice.governance.usage_recorded')
      .filter((u) => String(u.meter).startsWith('agent_'))
      .reduce((n, u) => n + (u.quantity as number), 0);
    expect(byQuota('tokens').reduce((n, d) => n + (d.consumed as number), 0)).toBe(tokens);
    expect(byQuota('characters').map((d) => d.consumed)).toEqual(['You said: hello there'.length]);
    expect(
      byQuota('session_seconds').every((d) => d.window === 'month' && d.unit === 'seconds'),
    ).toBe(true);
    await metered.command(t, sid, 'end');
    await settle();
    const usage = await admission.usage({ id: t, tier: 'starter', status: 'active', limits: {} });
    expect(usage.find((u) => u.kind === 'session_seconds')?.used).toBe(3); // 2.5 s and a bit: a started second counts
    expect(usage.find((u) => u.kind === 'characters')?.used).toBe(21);
  });

  it('ends a session whose tenant runs out of a monthly budget with quota_exceeded', async () => {
    const t = (
      await createTenant(db.repos, {
        slug: `q-${++n}`,
        name: 'Q',
        tier: 'starter',
        limits: { monthly_characters: 10 },
      })
    ).id as TenantId;
    const manager = meteredManager();
    const sid = (await manager.create(t, { channel: 'websocket' })).id as SessionId;
    await settle();
    await manager.textTurn(t, sid, 'hello there');
    await settle(3000);
    expect(ofSession(sid, 'prx.voice.governance.quota_exceeded')).toEqual([
      {
        quota: 'characters',
        used: 21,
        limit: 10,
        unit: 'characters',
        window: 'month',
        action: 'end_session',
      },
    ]);
    expect(ofSession(sid, 'prx.voice.session.closed')).toMatchObject([
      { outcome: 'quota_exceeded', reason: 'the monthly characters budget (10) is used up' },
    ]);
    const types = events.filter((e) => e.prxsessionid === sid).map((e) => e.type);
    expect(types.indexOf('prx.voice.governance.quota_exceeded')).toBeLessThan(
      types.indexOf('prx.voice.session.closed'),
    );
    expect((await db.repos.forTenant(t).sessions.require(sid)).outcome).toBe('quota_exceeded');
    // The next session of the tenant is refused at admission.
    const err = await rejectsWith(manager.create(t, { channel: 'websocket' }), 'QUOTA_EXCEEDED');
    expect(err.details).toMatchObject({ reason: 'characters' });
    assertGapFree(events.filter((e) => e.prxsessionid === sid));
  });
});

describe('session manager — the last writes of an ended session', () => {
  /** A manager whose state writes can be held back or made to fail. */
  function gatedManager() {
    const gate = {
      mode: 'pass' as 'pass' | 'hold' | 'fail',
      calls: 0,
      release: (): void => undefined,
    };
    let held = new Promise<void>((resolve) => (gate.release = resolve));
    const writer = db.repos.sessionStateWriter;
    const m = testManager('test-gated', {
      repos: {
        ...db.repos,
        sessionStateWriter: {
          advanceMany: async (updates) => {
            gate.calls++;
            if (gate.mode === 'fail') throw new VoiceError('STORAGE_UNAVAILABLE');
            if (gate.mode === 'hold') {
              await held;
              held = new Promise<void>((resolve) => (gate.release = resolve));
            }
            return writer.advanceMany(updates);
          },
        },
      },
    });
    return { m, gate };
  }

  it('a read after the end waits for the final state to be stored, not the state before it', async () => {
    const { m, gate } = gatedManager();
    const t = await tenant();
    const sid = (await m.create(t, { channel: 'websocket' })).id as SessionId;
    // A state within the session is written once its hold is over.
    await settle();
    expect((await db.repos.forTenant(t).sessions.require(sid)).state).not.toBe('Listening');
    await settle(STATE_WRITE_HOLD_MS);
    expect((await db.repos.forTenant(t).sessions.require(sid)).state).toBe('Listening');
    gate.mode = 'hold';
    await m.command(t, sid, 'end');
    expect(m.live(t, sid)).toBeUndefined();
    let stored = false;
    const waiting = m.stored(sid).then(() => (stored = true));
    await settle();
    // The row still says what it said; a reader waits rather than read it.
    expect(stored).toBe(false);
    expect((await db.repos.forTenant(t).sessions.require(sid)).state).toBe('Listening');
    gate.mode = 'pass';
    gate.release();
    await waiting;
    expect((await db.repos.forTenant(t).sessions.require(sid)).state).toBe('Closed');
    // Nothing pending: at once.
    await m.stored(sid);
    await m.stored(ids.next('session'));
  });

  it("a list after an end waits for the tenant's ended sessions to be stored, not another tenant's", async () => {
    const { m, gate } = gatedManager();
    const t = await tenant();
    const other = await tenant();
    const sid = (await m.create(t, { channel: 'websocket' })).id as SessionId;
    const otherSid = (await m.create(other, { channel: 'websocket' })).id as SessionId;
    await settle();
    gate.mode = 'hold';
    await m.command(t, sid, 'end');
    let stored = false;
    const waiting = m.storedAll(t).then(() => (stored = true));
    await settle();
    expect(stored).toBe(false);
    // Another tenant has nothing pending here: at once.
    await m.storedAll(other);
    gate.mode = 'pass';
    gate.release();
    await waiting;
    const listed = await db.repos.forTenant(t).sessions.list({ limit: 10 });
    expect(listed.items.find((r) => r.id === sid)?.state).toBe('Closed');
    await m.command(other, otherSid, 'end');
    await settle();
    await m.storedAll(other);
  });

  it('a reader waits for a write that keeps failing only so long', async () => {
    const { m, gate } = gatedManager();
    const t = await tenant();
    const sid = (await m.create(t, { channel: 'websocket' })).id as SessionId;
    await settle();
    gate.mode = 'fail';
    await m.command(t, sid, 'end');
    let stored = false;
    const waiting = m.stored(sid, 1000).then(() => (stored = true));
    await settle(900);
    expect(stored).toBe(false);
    await settle(200);
    await waiting;
    expect(stored).toBe(true);
    gate.mode = 'pass';
    await settle(5000);
    // The retry landed it.
    expect((await db.repos.forTenant(t).sessions.require(sid)).state).toBe('Closed');
  });

  it('drains: waits for the ended sessions’ rows, then gives up what still retries (nothing writes after)', async () => {
    const { m, gate } = gatedManager();
    const t = await tenant();
    const sid = (await m.create(t, { channel: 'websocket' })).id as SessionId;
    await settle(STATE_WRITE_HOLD_MS);
    gate.mode = 'fail';
    const drained = m.drain(1000);
    await settle(2200);
    expect(await drained).toEqual({ ended: 0, forced: 1 });
    const calls = gate.calls;
    expect(calls).toBeGreaterThan(1);
    await settle(30_000);
    expect(gate.calls).toBe(calls);
    expect((await db.repos.forTenant(t).sessions.require(sid)).state).toBe('Listening');
  });
});

describe('session manager — outbound pacing on shared ticks', () => {
  it('session.audio.output_tick_ms paces every session on one grid: frames on its instants, the turn answered in full', async () => {
    const m = testManager('test-ticks', {
      config: parseConfig({ session: { audio: { output_tick_ms: 5 } } }),
    });
    const t = await tenant();
    const sent: number[][] = [[], []];
    const sids: SessionId[] = [];
    for (const out of sent) {
      const sid = (await m.create(t, { channel: 'websocket' })).id as SessionId;
      m.attach(t, sid, { sendAudio: () => out.push(clock.now()), clear: () => undefined });
      sids.push(sid);
    }
    // Time in 1 ms steps, so a timer fires when it is due, on the grid or not.
    const run = async (ms: number): Promise<void> => {
      for (let i = 0; i < ms; i++) {
        clock.advance(1);
        for (let j = 0; j < 4; j++) await new Promise<void>((r) => setImmediate(r));
      }
    };
    await run(3);
    // Two sessions answering at once, their phases apart.
    await m.textTurn(t, sids[0] as SessionId, 'hello there');
    await run(7);
    await m.textTurn(t, sids[1] as SessionId, 'hello again');
    await run(4000);
    for (const [i, out] of sent.entries()) {
      expect(out.length, `session ${String(i)}`).toBeGreaterThan(10);
      // The first lead goes out at once; every later frame on a wake of the 5 ms grid.
      expect(out.slice(10).every((at) => at % 5 === 0)).toBe(true);
      const turns = (await db.repos.forTenant(t).turns.listBySession(sids[i] as SessionId)).items;
      expect(turns).toMatchObject([{ status: 'completed', interrupted: false }]);
    }
  });
});
