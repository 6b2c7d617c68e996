import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoiceError, createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId, TurnId } from '@prx-voice/types';
import { migrateToLatest } from './connect.js';
import type { DatabaseHandle } from './connect.js';
import { createRepositories } from './repositories/index.js';
import type { Repositories, TenantRepositories } from './repositories/index.js';
import type { AuditChainInput } from './repositories/audit.js';

/** Asserts a promise rejects with a VoiceError of a code. */
export async function rejectsWith(p: Promise<unknown>, code: string): Promise<VoiceError> {
  try {
    await p;
  } catch (err) {
    expect(VoiceError.is(err), String(err)).toBe(true);
    expect((err as VoiceError).code).toBe(code);
    return err as VoiceError;
  }
  throw new Error(`expected a ${code} rejection`);
}

const chainHash = ({ seq, prevHash, record }: AuditChainInput) =>
  createHash('sha256')
    .update(`${prevHash}|${seq}|${record.action}|${record.resourceId ?? ''}`)
    .digest('hex');

/**
 * The database contract: migrations and every repository, including tenant
 * isolation, run identically against each implementation (PGlite, PostgreSQL).
 */
export function describeDatabaseContract(
  name: string,
  setup: () => Promise<{ handle: DatabaseHandle; cleanup(): Promise<void> }>,
): void {
  describe(`database contract: ${name}`, () => {
    let handle: DatabaseHandle;
    let cleanup: () => Promise<void>;
    let repos: Repositories;
    let now = Date.UTC(2026, 10, 21, 12, 0, 0);
    const clock = { now: () => now };
    const ids = createSequentialIdGenerator(Date.UTC(2026, 10, 21));
    let counter = 0;

    async function newTenant(): Promise<TenantRepositories> {
      const row = await repos.tenants.create({
        slug: `t-${++counter}`,
        name: `Tenant ${counter}`,
        tier: 'starter',
      });
      return repos.forTenant(row.id as TenantId);
    }
    async function newSession(
      t: TenantRepositories,
      state: 'Idle' | 'Listening' | 'Closed' = 'Idle',
    ) {
      return t.sessions.create({
        state,
        channel: 'websocket',
        direction: 'inbound',
        language: 'en-US',
      });
    }

    beforeAll(async () => {
      const ready = await setup();
      handle = ready.handle;
      cleanup = () => ready.cleanup();
      await migrateToLatest(handle.db);
      repos = createRepositories({ db: handle.db, clock, ids });
    }, 120_000);
    afterAll(async () => {
      await cleanup();
    });

    describe('migrations', () => {
      it('are recorded in the database and a second run applies nothing', async () => {
        const again = await migrateToLatest(handle.db);
        expect(again.applied).toEqual([]);
        expect(again.current).toContain('0009-phone-number-owner');
        const rows = await sql<{
          name: string;
        }>`select name from kysely_migration order by name`.execute(handle.db);
        expect(rows.rows.map((r) => r.name)).toEqual([
          '0001-initial',
          '0002-idempotency-lease',
          '0003-billing',
          '0004-usage-export',
          '0005-audit-checkpoints',
          '0006-subjects',
          '0007-assistants',
          '0008-assistant-phone-numbers',
          '0009-phone-number-owner',
        ]);
      });

      it('answers ping', async () => {
        await expect(handle.ping()).resolves.toBeUndefined();
      });
    });

    describe('tenants', () => {
      it('creates, finds by id and slug, updates and rejects a duplicate slug', async () => {
        const row = await repos.tenants.create({
          slug: 'acme-corp',
          name: 'Acme',
          tier: 'growth',
          limits: { concurrent_sessions: 7 },
        });
        expect(row.id).toMatch(/^ten_/);
        expect(row.status).toBe('active');
        expect(row.created_at).toBeInstanceOf(Date);
        expect((await repos.tenants.getBySlug('acme-corp'))?.id).toBe(row.id);
        expect((await repos.tenants.get(row.id as TenantId))?.limits).toEqual({
          concurrent_sessions: 7,
        });
        const updated = await repos.tenants.update(row.id as TenantId, {
          tier: 'enterprise',
          status: 'suspended',
        });
        expect(updated?.tier).toBe('enterprise');
        expect(updated?.status).toBe('suspended');
        await rejectsWith(
          repos.tenants.create({ slug: 'acme-corp', name: 'Other', tier: 'trial' }),
          'CONFLICT',
        );
      });

      it('rejects malformed slugs', async () => {
        for (const slug of ['', 'Upper', 'has space', '-lead', 'trail-', 'x'.repeat(64)]) {
          await rejectsWith(
            repos.tenants.create({ slug, name: 'x', tier: 'trial' }),
            'VALIDATION_FAILED',
          );
        }
      });

      it('deleting a tenant removes everything it owns', async () => {
        const t = await newTenant();
        const s = await newSession(t);
        await t.turns.create({ sessionId: s.id as SessionId, seq: 1, inputKind: 'text' });
        expect(await repos.tenants.delete(t.tenantId)).toBe(true);
        expect(await t.sessions.get(s.id as SessionId)).toBeUndefined();
        expect(
          (
            await sql<{
              n: number;
            }>`select count(*)::int as n from turns where tenant_id = ${t.tenantId}`.execute(
              handle.db,
            )
          ).rows[0]?.n,
        ).toBe(0);
        expect(await repos.tenants.delete(t.tenantId)).toBe(false);
      });

      it('forTenant refuses an ID that is not a tenant ID', () => {
        expect(() => repos.forTenant('sess_01m7yzmhg1e008000000000000' as TenantId)).toThrow(
          /is a session ID/,
        );
      });
    });

    describe('sessions', () => {
      it('creates, reads, updates and counts live sessions', async () => {
        const t = await newTenant();
        const s = await newSession(t, 'Listening');
        expect(s.id).toMatch(/^sess_/);
        expect(s.turn_count).toBe(0);
        expect((await t.sessions.require(s.id as SessionId)).state).toBe('Listening');
        now += 1000;
        const u = await t.sessions.update(s.id as SessionId, {
          state: 'Closed',
          outcome: 'completed',
          closeReason: 'caller',
          endedAt: new Date(now),
        });
        expect(u?.state).toBe('Closed');
        expect(u?.updated_at.getTime()).toBe(now);
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
          endedAt: new Date(now),
        });
        // A late write of the instance that ran it: refused, the row stays as it ended.
        expect(await tenant.sessions.advance(id, { state: 'Listening' })).toBeUndefined();
        expect(
          await tenant.sessions.advance(id, { state: 'Closed', endedAt: new Date(now) }),
        ).toBeUndefined();
        expect(await tenant.sessions.require(id)).toMatchObject({
          state: 'Failed',
          close_reason: 'instance_lost',
        });
        expect(
          await tenant.sessions.advance('sess_missing' as SessionId, { state: 'Idle' }),
        ).toBeUndefined();
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
        now += 1;
        const a2 = await owned('rec-a', 'Idle');
        await owned('rec-a', 'Closed');
        const b1 = await owned('rec-b', 'Listening');
        const owners = (await repos.sessionRecovery.ownersOfUnended()).filter((o) =>
          o.instanceId.startsWith('rec-'),
        );
        expect(owners).toEqual([
          { instanceId: 'rec-a', sessions: 2 },
          { instanceId: 'rec-b', sessions: 1 },
        ]);
        expect((await repos.sessionRecovery.unendedOf('rec-a', 10)).map((r) => r.id)).toEqual([
          a1.id,
          a2.id,
        ]);
        const open = await t.turns.create({
          sessionId: a1.id as SessionId,
          seq: 1,
          inputKind: 'voice',
        });
        now += 5_000;
        const end = { outcome: 'error', closeReason: 'instance_lost' };
        const ended = await repos.sessionRecovery.endAbandoned(t.tenantId, a1.id as SessionId, end);
        expect(ended?.before.state).toBe('Listening');
        expect(ended?.after).toMatchObject({
          state: 'Failed',
          outcome: 'error',
          close_reason: 'instance_lost',
        });
        expect(ended?.after.ended_at?.getTime()).toBe(now);
        expect(ended?.failedTurns).toBe(1);
        expect((await t.turns.get(open.id as TurnId))?.status).toBe('failed');
        // A second recoverer finds it ended.
        expect(
          await repos.sessionRecovery.endAbandoned(t.tenantId, a1.id as SessionId, end),
        ).toBeUndefined();
        expect(
          await repos.sessionRecovery.endAbandoned(t.tenantId, b1.id as SessionId, end),
        ).toBeDefined();
        expect((await repos.sessionRecovery.unendedOf('rec-a', 10)).map((r) => r.id)).toEqual([
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
          time: new Date(now),
          severity: 'info' as const,
          event: { seq },
        });
        await t.events.append([row(1, 'prx.voice.session.created')]);
        const end = { outcome: 'error', closeReason: 'instance_lost' };
        // The owner wrote seq 2 meanwhile (alive after all): nothing ends.
        const moved = await repos.sessionRecovery.endAbandoned(t.tenantId, sid, end, () => {
          return [row(1, 'prx.voice.session.failed')];
        });
        expect(moved).toBeUndefined();
        expect((await t.sessions.require(sid)).ended_at).toBeNull();
        const ended = await repos.sessionRecovery.endAbandoned(t.tenantId, sid, end, (_b, last) => [
          row(last + 1, 'prx.voice.session.failed'),
        ]);
        expect(ended?.after.state).toBe('Failed');
        expect((await t.events.readAfter(sid, 0)).map((e) => e.type)).toEqual([
          'prx.voice.session.created',
          'prx.voice.session.failed',
        ]);
      });
    });

    describe('turns', () => {
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
        await rejectsWith(
          t.turns.create({ sessionId: sid, seq: 1, inputKind: 'text' }),
          'CONFLICT',
        );
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
        time: new Date(now),
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

    describe('idempotency', () => {
      it('starts, replays, conflicts, reports in-progress, expires and abandons', async () => {
        const t = await newTenant();
        const ref = { scope: 'POST /sessions', key: 'k-1' };
        expect(await t.idempotency.begin({ ...ref, requestHash: 'h1', ttlMs: 60_000 })).toEqual({
          kind: 'started',
        });
        expect(await t.idempotency.begin({ ...ref, requestHash: 'h1', ttlMs: 60_000 })).toEqual({
          kind: 'in_progress',
        });
        await t.idempotency.complete({
          ...ref,
          statusCode: 201,
          response: { data: { id: 'sess_x' } },
        });
        expect(await t.idempotency.begin({ ...ref, requestHash: 'h1', ttlMs: 60_000 })).toEqual({
          kind: 'replay',
          statusCode: 201,
          response: { data: { id: 'sess_x' } },
        });
        expect(await t.idempotency.begin({ ...ref, requestHash: 'h2', ttlMs: 60_000 })).toEqual({
          kind: 'conflict',
        });
        now += 60_001;
        expect(await t.idempotency.begin({ ...ref, requestHash: 'h2', ttlMs: 60_000 })).toEqual({
          kind: 'started',
        });
        await t.idempotency.abandon(ref);
        expect(await t.idempotency.begin({ ...ref, requestHash: 'h3', ttlMs: 1 })).toEqual({
          kind: 'started',
        });
        now += 10;
        expect(await repos.purgeExpiredIdempotency()).toBeGreaterThanOrEqual(1);
        await rejectsWith(
          t.idempotency.begin({ scope: 's', key: '', requestHash: 'h', ttlMs: 1 }),
          'VALIDATION_FAILED',
        );
      });

      it('lets a retry take over a key whose request outlived its lease, and fences the old attempt off', async () => {
        const t = await newTenant();
        const ref = { scope: 'POST /sessions', key: 'k-lease' };
        const begin = (requestHash = 'h1') =>
          t.idempotency.begin({ ...ref, requestHash, ttlMs: 86_400_000, lockMs: 60_000 });
        const first = await begin();
        expect(first).toEqual({ kind: 'started', lockedUntil: new Date(now + 60_000) });
        now += 59_999;
        expect(await begin()).toEqual({ kind: 'in_progress' });
        now += 1;
        expect(await begin('h2')).toEqual({ kind: 'conflict' });
        const second = await begin();
        expect(second).toEqual({ kind: 'started', lockedUntil: new Date(now + 60_000) });
        expect(await begin()).toEqual({ kind: 'in_progress' });
        // The first attempt, had it lived on, neither stores its response nor frees the key.
        const lockedUntil = (a: typeof first) => (a.kind === 'started' ? a.lockedUntil : undefined);
        await t.idempotency.abandon({ ...ref, lockedUntil: lockedUntil(first) });
        await t.idempotency.complete({
          ...ref,
          lockedUntil: lockedUntil(first),
          statusCode: 500,
          response: { stale: true },
        });
        expect(await begin()).toEqual({ kind: 'in_progress' });
        await t.idempotency.complete({
          ...ref,
          lockedUntil: lockedUntil(second),
          statusCode: 201,
          response: { id: 'sess_y' },
        });
        now += 120_000;
        expect(await begin()).toEqual({
          kind: 'replay',
          statusCode: 201,
          response: { id: 'sess_y' },
        });
        // Without a lease (lockMs absent) a request holds its key until the record expires.
        const held = { scope: 'POST /sessions', key: 'k-held' };
        await t.idempotency.begin({ ...held, requestHash: 'h', ttlMs: 600_000 });
        now += 599_999;
        expect(
          await t.idempotency.begin({ ...held, requestHash: 'h', ttlMs: 600_000, lockMs: 1 }),
        ).toEqual({ kind: 'in_progress' });
      });
    });

    describe('audit', () => {
      it('chains records without forks under concurrent appends', async () => {
        const t = await newTenant();
        await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            t.audit.append(
              {
                actorType: 'api_key',
                action: 'session.create',
                resourceType: 'session',
                resourceId: `r${i}`,
                outcome: 'success',
              },
              chainHash,
            ),
          ),
        );
        const rows = (await t.audit.list({ limit: 100 })).items;
        expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
        let prev = '0'.repeat(64);
        for (const r of rows) {
          expect(r.prev_hash).toBe(prev);
          expect(r.hash).toBe(
            chainHash({
              seq: r.seq,
              prevHash: prev,
              createdAt: r.created_at,
              record: {
                actorType: r.actor_type,
                action: r.action,
                resourceType: r.resource_type,
                resourceId: r.resource_id,
                outcome: 'success',
              },
            }),
          );
          prev = r.hash;
        }
        expect((await t.audit.last())?.seq).toBe(12);
      });
    });

    describe('billing', () => {
      it('records usage and ledger entries idempotently and sums them', async () => {
        const t = await newTenant();
        const at = new Date(Date.UTC(2026, 10, 5));
        const a = await t.billing.recordUsage({
          meter: 'tts_characters',
          quantity: 120,
          unit: 'character',
          idempotencyKey: 'u1',
          occurredAt: at,
        });
        const again = await t.billing.recordUsage({
          meter: 'tts_characters',
          quantity: 999,
          unit: 'character',
          idempotencyKey: 'u1',
          occurredAt: at,
        });
        expect(a.created).toBe(true);
        expect(again).toEqual({ row: a.row, created: false });
        await t.billing.recordUsage({
          meter: 'tts_characters',
          quantity: 30,
          unit: 'character',
          sessionId: 'sess_01m9500000e000000000000009' as SessionId,
          idempotencyKey: 'u2',
          occurredAt: at,
        });
        await t.billing.recordUsage({
          meter: 'tts_characters',
          quantity: 5,
          unit: 'character',
          idempotencyKey: 'u3',
          occurredAt: new Date(Date.UTC(2026, 11, 1)),
        });
        const nov = { from: new Date(Date.UTC(2026, 10, 1)), to: new Date(Date.UTC(2026, 11, 1)) };
        expect(await t.billing.sumUsage('tts_characters', nov)).toBe(150);
        expect(
          await t.billing.sumUsage('tts_characters', nov, {
            sessionId: 'sess_01m9500000e000000000000009' as SessionId,
          }),
        ).toBe(30);
        expect((await t.billing.listUsage(nov)).items).toHaveLength(2);
        const e = await t.billing.post({
          kind: 'usage',
          amountMicros: 4_500,
          currency: 'USD',
          period: '2026-11',
          description: 'tts',
          meterEventId: a.row.id,
          idempotencyKey: 'l1',
        });
        expect(
          (
            await t.billing.post({
              kind: 'usage',
              amountMicros: 1,
              currency: 'USD',
              period: '2026-11',
              description: 'dup',
              idempotencyKey: 'l1',
            })
          ).row.id,
        ).toBe(e.row.id);
        await t.billing.post({
          kind: 'credit',
          amountMicros: -1_000,
          currency: 'USD',
          period: '2026-11',
          description: 'credit',
          idempotencyKey: 'l2',
        });
        expect(await t.billing.balance('USD', '2026-11')).toBe(3_500);
        expect(await t.billing.balance('EUR')).toBe(0);
        await rejectsWith(
          t.billing.recordUsage({
            meter: 'x',
            quantity: 1.5,
            unit: 'u',
            idempotencyKey: 'bad',
            occurredAt: at,
          }),
          'VALIDATION_FAILED',
        );
        await rejectsWith(
          t.billing.post({
            kind: 'usage',
            amountMicros: 1,
            currency: 'USD',
            period: '2026-13',
            description: 'x',
            idempotencyKey: 'bad',
          }),
          'VALIDATION_FAILED',
        );
      });
    });

    describe('recordings and incidents', () => {
      it('stores recording metadata and soft-deletes it', async () => {
        const t = await newTenant();
        const sid = (await newSession(t)).id as SessionId;
        const r = await t.recordings.create({
          sessionId: sid,
          objectKey: `${t.tenantId}/recordings/2026/11/21/${sid}/call.wav`,
          contentType: 'audio/wav',
          sampleRate: 16000,
          channels: 1,
          durationMs: 1500,
          sizeBytes: 48_044,
        });
        expect((await t.recordings.listBySession(sid)).map((x) => x.id)).toEqual([r.id]);
        expect(await t.recordings.markDeleted(r.id as never)).toBe(true);
        expect(await t.recordings.get(r.id as never)).toBeUndefined();
        expect((await t.recordings.list()).items).toEqual([]);
      });

      it('opens and resolves tenant and platform incidents separately', async () => {
        const t = await newTenant();
        const mine = await t.incidents.open({
          severity: 'warn',
          title: 'slow tts',
          trigger: 'provider_latency',
        });
        const platform = await repos.platformIncidents.open({
          severity: 'critical',
          title: 'lag',
          trigger: 'event_loop_lag',
        });
        expect(await repos.platformIncidents.get(mine.id as never)).toBeUndefined();
        expect(await t.incidents.get(platform.id as never)).toBeUndefined();
        expect(await t.incidents.resolve(platform.id as never)).toBe(false);
        expect(
          await t.incidents.update(platform.id as never, { severity: 'warn' }),
        ).toBeUndefined();
        const escalated = await repos.platformIncidents.update(platform.id as never, {
          severity: 'critical',
          details: { timeline: [{ level: 4 }] },
        });
        expect(escalated).toMatchObject({
          severity: 'critical',
          details: { timeline: [{ level: 4 }] },
        });
        expect(await t.incidents.resolve(mine.id as never)).toBe(true);
        expect(await t.incidents.update(mine.id as never, { severity: 'error' })).toBeUndefined();
        expect((await t.incidents.list({ status: 'open' })).items).toEqual([]);
        expect(
          (await repos.platformIncidents.list({ status: 'open' })).items.map((i) => i.id),
        ).toContain(platform.id);
      });
    });

    describe('tenant isolation', () => {
      it('no repository of one tenant reads, changes or references another tenant’s data', async () => {
        const a = await newTenant();
        const b = await newTenant();
        const s = await newSession(a);
        const sid = s.id as SessionId;
        const key = await a.apiKeys.create({
          lookupId: `lk${++counter}`,
          name: 'ci',
          role: 'workspace_developer',
          salt: 's',
          hash: 'h',
        });
        const turn = await a.turns.create({ sessionId: sid, seq: 1, inputKind: 'text' });
        await a.events.append([
          {
            sessionId: sid,
            seq: 1,
            id: `evt_iso${counter}`,
            type: 't',
            time: new Date(now),
            severity: 'info',
            event: {},
          },
        ]);
        await a.idempotency.begin({
          scope: 's',
          key: 'shared-key',
          requestHash: 'ha',
          ttlMs: 60_000,
        });
        await a.audit.append(
          { actorType: 'system', action: 'x', resourceType: 'y', outcome: 'success' },
          chainHash,
        );
        const usage = await a.billing.recordUsage({
          meter: 'm',
          quantity: 3,
          unit: 'u',
          idempotencyKey: 'iso',
          occurredAt: new Date(now),
        });
        await a.billing.post({
          kind: 'usage',
          amountMicros: 10,
          currency: 'USD',
          period: '2026-11',
          description: 'x',
          idempotencyKey: 'iso',
        });
        const rec = await a.recordings.create({
          sessionId: sid,
          objectKey: `iso-${counter}`,
          contentType: 'audio/wav',
          sampleRate: 8000,
          channels: 1,
          durationMs: 1,
          sizeBytes: 1,
        });
        const inc = await a.incidents.open({ severity: 'info', title: 't', trigger: 'x' });

        // Reads
        expect(await b.sessions.get(sid)).toBeUndefined();
        expect((await b.sessions.list()).items).toEqual([]);
        expect(await b.sessions.countLive()).toBe(0);
        expect(await b.apiKeys.get(key.id as never)).toBeUndefined();
        expect((await b.apiKeys.list()).items).toEqual([]);
        expect(await b.turns.get(turn.id as never)).toBeUndefined();
        expect((await b.turns.listBySession(sid)).items).toEqual([]);
        expect(await b.events.readAfter(sid, 0)).toEqual([]);
        expect(await b.events.lastSeq(sid)).toBe(0);
        expect(await b.audit.last()).toBeUndefined();
        expect((await b.audit.list()).items).toEqual([]);
        expect(await b.billing.sumUsage('m', { from: new Date(0), to: new Date(now + 1) })).toBe(0);
        expect((await b.billing.listLedger()).items).toEqual([]);
        expect(await b.billing.balance('USD')).toBe(0);
        expect(await b.recordings.get(rec.id as never)).toBeUndefined();
        expect(await b.recordings.listBySession(sid)).toEqual([]);
        expect(await b.incidents.get(inc.id as never)).toBeUndefined();
        // The same idempotency key is independent per tenant.
        expect(
          await b.idempotency.begin({
            scope: 's',
            key: 'shared-key',
            requestHash: 'hb',
            ttlMs: 60_000,
          }),
        ).toEqual({ kind: 'started' });

        // Changes
        expect(await b.sessions.update(sid, { state: 'Closed' })).toBeUndefined();
        await rejectsWith(b.sessions.incrementTurnCount(sid), 'SESSION_NOT_FOUND');
        expect(await b.apiKeys.revoke(key.id as never)).toBe(false);
        expect(
          await b.turns.complete(turn.id as never, {
            status: 'completed',
            assistantText: '',
            assistantTextGenerated: '',
            interrupted: false,
            latency: {},
          }),
        ).toBeUndefined();
        expect(await b.recordings.markDeleted(rec.id as never)).toBe(false);
        expect(await b.incidents.resolve(inc.id as never)).toBe(false);

        // References into A's data from B's scope
        await rejectsWith(
          b.turns.create({ sessionId: sid, seq: 9, inputKind: 'text' }),
          'SESSION_NOT_FOUND',
        );
        await rejectsWith(
          b.events.append([
            {
              sessionId: sid,
              seq: 9,
              id: `evt_x${counter}`,
              type: 't',
              time: new Date(now),
              severity: 'info',
              event: {},
            },
          ]),
          'SESSION_NOT_FOUND',
        );
        await rejectsWith(
          b.recordings.create({
            sessionId: sid,
            objectKey: `iso-b-${counter}`,
            contentType: 'audio/wav',
            sampleRate: 8000,
            channels: 1,
            durationMs: 1,
            sizeBytes: 1,
          }),
          'SESSION_NOT_FOUND',
        );
        await rejectsWith(
          b.billing.post({
            kind: 'usage',
            amountMicros: 1,
            currency: 'USD',
            period: '2026-11',
            description: 'x',
            meterEventId: usage.row.id,
            idempotencyKey: 'steal',
          }),
          'NOT_FOUND',
        );

        // A's data is untouched.
        expect((await a.sessions.require(sid)).state).toBe('Idle');
        expect((await a.apiKeys.get(key.id as never))?.revoked_at).toBeNull();
        expect(await a.events.lastSeq(sid)).toBe(1);
      });

      it('finds an API key across tenants only through the authentication lookup', async () => {
        const a = await newTenant();
        const key = await a.apiKeys.create({
          lookupId: `auth${++counter}`,
          name: 'k',
          role: 'tenant_admin',
          salt: 's',
          hash: 'h',
        });
        const found = await repos.apiKeyLookup.find(`auth${counter}`);
        expect(found?.tenant_id).toBe(a.tenantId);
        expect(found?.last_used_at).toBeNull();
        await repos.apiKeyLookup.touch(key.id as never);
        expect((await a.apiKeys.get(key.id as never))?.last_used_at?.getTime()).toBe(now);
        expect(await a.apiKeys.revoke(key.id as never)).toBe(true);
        expect(await a.apiKeys.revoke(key.id as never)).toBe(false);
        expect(await repos.apiKeyLookup.find('nope')).toBeUndefined();
      });
    });
  });
}
