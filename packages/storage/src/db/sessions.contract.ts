import { describe, expect, it } from 'vitest';
import type { SessionId, TurnId } from '@prx-voice/types';
import { rejectsWith } from './database-fixture.contract.js';
import type { ContractDatabase } from './database-fixture.contract.js';

/**
 * The database contract's session cases: sessions, their recovery after an instance is
 * lost, their turns and their event log.
 */
export function describeSessionCases(ctx: ContractDatabase): void {
  const { now, advance, newTenant, newSession } = ctx;

  describe('sessions', () => {
    it('creates, reads, updates and counts live sessions', async () => {
      const t = await newTenant();
      const s = await newSession(t, 'Listening');
      expect(s.id).toMatch(/^sess_/);
      expect(s.turn_count).toBe(0);
      expect((await t.sessions.require(s.id as SessionId)).state).toBe('Listening');
      advance(1000);
      const u = await t.sessions.update(s.id as SessionId, {
        state: 'Closed',
        outcome: 'completed',
        closeReason: 'caller',
        endedAt: new Date(now()),
      });
      expect(u?.state).toBe('Closed');
      expect(u?.updated_at.getTime()).toBe(now());
      expect(await t.sessions.incrementTurnCount(s.id as SessionId)).toBe(1);
      expect(await t.sessions.incrementTurnCount(s.id as SessionId)).toBe(2);
      await newSession(t, 'Listening');
      expect(await t.sessions.countLive()).toBe(1);
    });

    it('advances a session that has not ended, never one that has', async () => {
      const tenant = await newTenant();
      const id = (await newSession(tenant, 'Listening')).id as SessionId;
      expect((await tenant.sessions.advance(id, { state: 'Thinking' }))?.state).toBe('Thinking');
      await tenant.sessions.update(id, {
        state: 'Failed',
        outcome: 'error',
        closeReason: 'instance_lost',
        endedAt: new Date(now()),
      });
      // A late write of the instance that ran it: refused, the row stays as it ended.
      expect(await tenant.sessions.advance(id, { state: 'Listening' })).toBeUndefined();
      expect(
        await tenant.sessions.advance(id, { state: 'Closed', endedAt: new Date(now()) }),
      ).toBeUndefined();
      expect(await tenant.sessions.require(id)).toMatchObject({
        state: 'Failed',
        close_reason: 'instance_lost',
      });
      expect(
        await tenant.sessions.advance('sess_missing' as SessionId, { state: 'Idle' }),
      ).toBeUndefined();
    });

    it('advances the states of many sessions of several tenants in one write, never an ended one', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const a1 = (await newSession(a, 'Listening')).id as SessionId;
      const a2 = (await newSession(a, 'Listening')).id as SessionId;
      const b1 = (await newSession(b, 'Listening')).id as SessionId;
      const ended = (await newSession(b, 'Closed')).id as SessionId;
      await b.sessions.update(ended, { endedAt: new Date(now()), outcome: 'completed' });
      advance(1000);
      const at = new Date(now());
      const writer = ctx.repos.sessionStateWriter;
      const advanced = await writer.advanceMany([
        { tenantId: a.tenantId, sessionId: a1, state: 'Thinking' },
        {
          tenantId: a.tenantId,
          sessionId: a2,
          state: 'Closed',
          outcome: 'completed',
          closeReason: 'caller',
          endedAt: at,
        },
        { tenantId: b.tenantId, sessionId: b1, state: 'Speaking' },
        { tenantId: b.tenantId, sessionId: ended, state: 'Listening' },
        // Named in the wrong tenant: not found there, left alone.
        { tenantId: b.tenantId, sessionId: a1, state: 'Idle' },
      ]);
      expect([...advanced].sort()).toEqual([a1, a2, b1].sort());
      expect(await a.sessions.require(a1)).toMatchObject({
        state: 'Thinking',
        outcome: null,
        ended_at: null,
      });
      expect((await a.sessions.require(a1)).updated_at.getTime()).toBe(now());
      expect(await a.sessions.require(a2)).toMatchObject({
        state: 'Closed',
        outcome: 'completed',
        close_reason: 'caller',
        ended_at: at,
      });
      expect((await b.sessions.require(b1)).state).toBe('Speaking');
      expect((await b.sessions.require(ended)).state).toBe('Closed');
      // Ended now: a later write leaves it as it ended.
      expect(
        await writer.advanceMany([{ tenantId: a.tenantId, sessionId: a2, state: 'Listening' }]),
      ).toEqual(new Set());
      expect((await a.sessions.require(a2)).state).toBe('Closed');
      expect(await writer.advanceMany([])).toEqual(new Set());
      await rejectsWith(
        writer.advanceMany([
          { tenantId: a.tenantId, sessionId: a1, state: 'Speaking' },
          { tenantId: a.tenantId, sessionId: a1, state: 'Listening' },
        ]),
        'VALIDATION_FAILED',
      );
    });

    it('pages newest first with a cursor and filters by state', async () => {
      const t = await newTenant();
      const made: string[] = [];
      for (let i = 0; i < 7; i++)
        made.push((await newSession(t, i % 2 === 0 ? 'Idle' : 'Closed')).id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<typeof t.sessions.list>> = await t.sessions.list({
          limit: 3,
          cursor,
        });
        seen.push(...page.items.map((r) => r.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null);
      expect(pages).toBe(3);
      expect(seen).toEqual([...made].reverse());
      const idle = await t.sessions.list({ state: 'Idle', limit: 10 });
      expect(idle.items.map((r) => r.state)).toEqual(['Idle', 'Idle', 'Idle', 'Idle']);
      expect(idle.nextCursor).toBeNull();
    });

    it('rejects a tampered cursor and an out-of-range limit', async () => {
      const t = await newTenant();
      await rejectsWith(t.sessions.list({ cursor: 'not-a-cursor' }), 'VALIDATION_FAILED');
      await rejectsWith(
        t.sessions.list({ cursor: Buffer.from('v1:n5').toString('base64url') }),
        'VALIDATION_FAILED',
      );
      await rejectsWith(t.sessions.list({ limit: 0 }), 'VALIDATION_FAILED');
      await rejectsWith(t.sessions.list({ limit: 201 }), 'VALIDATION_FAILED');
      await rejectsWith(
        t.sessions.require('sess_01m7yzmhg1e008000000000000' as SessionId),
        'SESSION_NOT_FOUND',
      );
    });
  });

  describe('session recovery', () => {
    it('finds the owners of unended sessions and ends an abandoned one once, with its open turns', async () => {
      const t = await newTenant();
      const owned = async (instanceId: string, state: 'Idle' | 'Listening' | 'Closed') =>
        t.sessions.create({
          state,
          channel: 'websocket',
          direction: 'inbound',
          language: 'en-US',
          instanceId,
        });
      const a1 = await owned('rec-a', 'Listening');
      advance(1);
      const a2 = await owned('rec-a', 'Idle');
      await owned('rec-a', 'Closed');
      const b1 = await owned('rec-b', 'Listening');
      const owners = (await ctx.repos.sessionRecovery.ownersOfUnended()).filter((o) =>
        o.instanceId.startsWith('rec-'),
      );
      expect(owners).toEqual([
        { instanceId: 'rec-a', sessions: 2 },
        { instanceId: 'rec-b', sessions: 1 },
      ]);
      expect((await ctx.repos.sessionRecovery.unendedOf('rec-a', 10)).map((r) => r.id)).toEqual([
        a1.id,
        a2.id,
      ]);
      // Who holds a session, whatever its tenant: only while it has not ended.
      expect(await ctx.repos.sessionRecovery.holderOf(b1.id)).toBe('rec-b');
      const closed = await owned('rec-a', 'Closed');
      expect(await ctx.repos.sessionRecovery.holderOf(closed.id)).toBeUndefined();
      expect(await ctx.repos.sessionRecovery.holderOf('ses_00000000000000000000000000')).toBe(
        undefined,
      );
      const open = await t.turns.create({
        sessionId: a1.id as SessionId,
        seq: 1,
        inputKind: 'voice',
      });
      advance(5_000);
      const end = { outcome: 'error', closeReason: 'instance_lost' };
      const ended = await ctx.repos.sessionRecovery.endAbandoned(
        t.tenantId,
        a1.id as SessionId,
        end,
      );
      expect(ended?.before.state).toBe('Listening');
      expect(ended?.after).toMatchObject({
        state: 'Failed',
        outcome: 'error',
        close_reason: 'instance_lost',
      });
      expect(ended?.after.ended_at?.getTime()).toBe(now());
      expect(ended?.failedTurns).toBe(1);
      expect((await t.turns.get(open.id as TurnId))?.status).toBe('failed');
      // A second recoverer finds it ended.
      expect(
        await ctx.repos.sessionRecovery.endAbandoned(t.tenantId, a1.id as SessionId, end),
      ).toBeUndefined();
      expect(
        await ctx.repos.sessionRecovery.endAbandoned(t.tenantId, b1.id as SessionId, end),
      ).toBeDefined();
      expect((await ctx.repos.sessionRecovery.unendedOf('rec-a', 10)).map((r) => r.id)).toEqual([
        a2.id,
      ]);
    });

    it('commits the end with its events, or nothing when the log moved on', async () => {
      const t = await newTenant();
      const s = await t.sessions.create({
        state: 'Listening',
        channel: 'websocket',
        direction: 'inbound',
        language: 'en-US',
        instanceId: 'rec-c',
      });
      const sid = s.id as SessionId;
      const row = (seq: number, type: string) => ({
        sessionId: sid,
        seq,
        id: `evt_rec_${sid}_${String(seq)}_${type}`,
        type,
        time: new Date(now()),
        severity: 'info' as const,
        event: { seq },
      });
      await t.events.append([row(1, 'prx.voice.session.created')]);
      const end = { outcome: 'error', closeReason: 'instance_lost' };
      // The owner wrote seq 2 meanwhile (alive after all): nothing ends.
      const moved = await ctx.repos.sessionRecovery.endAbandoned(t.tenantId, sid, end, () => {
        return [row(1, 'prx.voice.session.failed')];
      });
      expect(moved).toBeUndefined();
      expect((await t.sessions.require(sid)).ended_at).toBeNull();
      const ended = await ctx.repos.sessionRecovery.endAbandoned(
        t.tenantId,
        sid,
        end,
        (_b, last) => [row(last + 1, 'prx.voice.session.failed')],
      );
      expect(ended?.after.state).toBe('Failed');
      expect((await t.events.readAfter(sid, 0)).map((e) => e.type)).toEqual([
        'prx.voice.session.created',
        'prx.voice.session.failed',
      ]);
    });
  });

  describe('turns', () => {
    it('two completions of one turn at once count it once, and both return the completed row', async () => {
      const t = await newTenant();
      const s = await newSession(t);
      const sid = s.id as SessionId;
      const turn = await t.turns.create({ sessionId: sid, seq: 1, inputKind: 'text' });
      const done = {
        status: 'completed' as const,
        assistantText: 'hi',
        assistantTextGenerated: 'hi',
        interrupted: false,
        latency: { voiceToVoiceMs: 400 },
      };
      const both = await Promise.all([
        t.turns.complete(turn.id as never, done),
        t.turns.complete(turn.id as never, done),
      ]);
      for (const row of both) {
        expect(row).toMatchObject({
          id: turn.id,
          status: 'completed',
          latency_voice_to_voice_ms: 400,
        });
        expect(Object.keys(row ?? {}).sort()).toEqual(Object.keys(turn).sort());
      }
      expect((await t.sessions.require(sid)).turn_count).toBe(1);
    });

    it('records a turn with its latency breakdown, in seq order', async () => {
      const t = await newTenant();
      const s = await newSession(t);
      const sid = s.id as SessionId;
      const second = await t.turns.create({ sessionId: sid, seq: 2, inputKind: 'voice' });
      await t.turns.create({ sessionId: sid, seq: 1, inputKind: 'text', userText: 'hi' });
      const done = await t.turns.complete(second.id as never, {
        status: 'interrupted',
        userText: 'what is the weather',
        assistantText: 'It is sunny',
        assistantTextGenerated: 'It is sunny and warm today.',
        interrupted: true,
        latency: {
          asrMs: 120,
          agentFirstTokenMs: 310,
          ttsFirstAudioMs: 90,
          firstAudioSentMs: 5,
          voiceToVoiceMs: 525,
        },
      });
      expect(done).toMatchObject({
        status: 'interrupted',
        interrupted: true,
        latency_voice_to_voice_ms: 525,
        assistant_text: 'It is sunny',
      });
      // The session's count moved with it, once: completing again does not count twice.
      expect((await t.sessions.require(sid)).turn_count).toBe(1);
      const again = await t.turns.complete(second.id as never, {
        status: 'interrupted',
        assistantText: 'It is sunny',
        assistantTextGenerated: 'It is sunny and warm today.',
        interrupted: true,
        latency: {},
      });
      expect(again?.status).toBe('interrupted');
      expect((await t.sessions.require(sid)).turn_count).toBe(1);
      expect(
        await t.turns.complete('turn_01m7yzmhg1e008000000000000' as never, {
          status: 'completed',
          assistantText: '',
          assistantTextGenerated: '',
          interrupted: false,
          latency: {},
        }),
      ).toBeUndefined();
      const page = await t.turns.listBySession(sid, { limit: 1 });
      expect(page.items.map((r) => r.seq)).toEqual([1]);
      const next = await t.turns.listBySession(sid, { limit: 1, cursor: page.nextCursor });
      expect(next.items.map((r) => r.seq)).toEqual([2]);
      await rejectsWith(t.turns.create({ sessionId: sid, seq: 1, inputKind: 'text' }), 'CONFLICT');
      await rejectsWith(
        t.turns.create({
          sessionId: 'sess_01m7yzmhg1e008000000000000' as SessionId,
          seq: 1,
          inputKind: 'text',
        }),
        'SESSION_NOT_FOUND',
      );
    });
  });

  describe('session events', () => {
    const ev = (sessionId: SessionId, seq: number) => ({
      sessionId,
      seq,
      id: `evt_${sessionId.slice(5, 20)}${String(seq).padStart(11, '0')}`,
      type: 'prx.voice.session.state_changed',
      time: new Date(now()),
      severity: 'info',
      event: { prxseq: seq, data: { to: 'Listening' } },
    });

    it('appends batches, reads after a seq and reports the last one', async () => {
      const t = await newTenant();
      const sid = (await newSession(t)).id as SessionId;
      expect(await t.events.lastSeq(sid)).toBe(0);
      await t.events.append([ev(sid, 1), ev(sid, 2), ev(sid, 3)]);
      await t.events.append([ev(sid, 4)]);
      expect(await t.events.lastSeq(sid)).toBe(4);
      const after = await t.events.readAfter(sid, 2);
      expect(after.map((e) => e.seq)).toEqual([3, 4]);
      expect(after[0]?.event).toEqual({ prxseq: 3, data: { to: 'Listening' } });
      expect((await t.events.readAfter(sid, 0, 2)).map((e) => e.seq)).toEqual([1, 2]);
    });

    it('rejects a batch that reuses a seq as a whole', async () => {
      const t = await newTenant();
      const sid = (await newSession(t)).id as SessionId;
      await t.events.append([ev(sid, 1)]);
      const second = { ...ev(sid, 2), id: 'evt_other0000000000000000000' };
      await rejectsWith(
        t.events.append([second, { ...ev(sid, 1), id: 'evt_other1000000000000000000' }]),
        'CONFLICT',
      );
      expect(await t.events.lastSeq(sid)).toBe(1);
    });
  });
}
