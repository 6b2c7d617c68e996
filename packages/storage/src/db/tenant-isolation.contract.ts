import { describe, expect, it } from 'vitest';
import type { SessionId } from '@prx-voice/types';
import { chainHash, rejectsWith } from './database-fixture.contract.js';
import type { ContractDatabase } from './database-fixture.contract.js';

/**
 * The database contract's tenant-isolation cases: no tenant-scoped repository reads,
 * changes or references another tenant's rows.
 */
export function describeTenantIsolationCases(ctx: ContractDatabase): void {
  const { now, unique, newTenant, newSession } = ctx;

  describe('tenant isolation', () => {
    it('no repository of one tenant reads, changes or references another tenant’s data', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const s = await newSession(a);
      const sid = s.id as SessionId;
      const n = unique();
      const key = await a.apiKeys.create({
        lookupId: `lk${n}`,
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
          id: `evt_iso${n}`,
          type: 't',
          time: new Date(now()),
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
        occurredAt: new Date(now()),
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
        objectKey: `iso-${n}`,
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
      expect(await b.billing.sumUsage('m', { from: new Date(0), to: new Date(now() + 1) })).toBe(0);
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
            id: `evt_x${n}`,
            type: 't',
            time: new Date(now()),
            severity: 'info',
            event: {},
          },
        ]),
        'SESSION_NOT_FOUND',
      );
      await rejectsWith(
        b.recordings.create({
          sessionId: sid,
          objectKey: `iso-b-${n}`,
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
      const n = unique();
      const key = await a.apiKeys.create({
        lookupId: `auth${n}`,
        name: 'k',
        role: 'tenant_admin',
        salt: 's',
        hash: 'h',
      });
      const found = await ctx.repos.apiKeyLookup.find(`auth${n}`);
      expect(found?.tenant_id).toBe(a.tenantId);
      expect(found?.last_used_at).toBeNull();
      await ctx.repos.apiKeyLookup.touch(key.id as never);
      expect((await a.apiKeys.get(key.id as never))?.last_used_at?.getTime()).toBe(now());
      expect(await a.apiKeys.revoke(key.id as never)).toBe(true);
      expect(await a.apiKeys.revoke(key.id as never)).toBe(false);
      expect(await ctx.repos.apiKeyLookup.find('nope')).toBeUndefined();
    });
  });
}
