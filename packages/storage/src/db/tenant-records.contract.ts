import { describe, expect, it } from 'vitest';
import type { SessionId } from '@prx-voice/types';
import { chainHash, rejectsWith } from './database-fixture.contract.js';
import type { ContractDatabase } from './database-fixture.contract.js';

/**
 * The database contract's cases of a tenant's other records: idempotency keys, the audit
 * chain, usage and ledger entries, recordings and incidents.
 */
export function describeTenantRecordCases(ctx: ContractDatabase): void {
  const { now, advance, newTenant, newSession } = ctx;

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
      advance(60_001);
      expect(await t.idempotency.begin({ ...ref, requestHash: 'h2', ttlMs: 60_000 })).toEqual({
        kind: 'started',
      });
      await t.idempotency.abandon(ref);
      expect(await t.idempotency.begin({ ...ref, requestHash: 'h3', ttlMs: 1 })).toEqual({
        kind: 'started',
      });
      advance(10);
      expect(await ctx.repos.purgeExpiredIdempotency()).toBeGreaterThanOrEqual(1);
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
      expect(first).toEqual({ kind: 'started', lockedUntil: new Date(now() + 60_000) });
      advance(59_999);
      expect(await begin()).toEqual({ kind: 'in_progress' });
      advance(1);
      expect(await begin('h2')).toEqual({ kind: 'conflict' });
      const second = await begin();
      expect(second).toEqual({ kind: 'started', lockedUntil: new Date(now() + 60_000) });
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
      advance(120_000);
      expect(await begin()).toEqual({
        kind: 'replay',
        statusCode: 201,
        response: { id: 'sess_y' },
      });
      // Without a lease (lockMs absent) a request holds its key until the record expires.
      const held = { scope: 'POST /sessions', key: 'k-held' };
      await t.idempotency.begin({ ...held, requestHash: 'h', ttlMs: 600_000 });
      advance(599_999);
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
      const platform = await ctx.repos.platformIncidents.open({
        severity: 'critical',
        title: 'lag',
        trigger: 'event_loop_lag',
      });
      expect(await ctx.repos.platformIncidents.get(mine.id as never)).toBeUndefined();
      expect(await t.incidents.get(platform.id as never)).toBeUndefined();
      expect(await t.incidents.resolve(platform.id as never)).toBe(false);
      expect(await t.incidents.update(platform.id as never, { severity: 'warn' })).toBeUndefined();
      const escalated = await ctx.repos.platformIncidents.update(platform.id as never, {
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
        (await ctx.repos.platformIncidents.list({ status: 'open' })).items.map((i) => i.id),
      ).toContain(platform.id);
    });
  });
}
