/**
 * The retention sweeper on a simulated clock, on each database: it deletes exactly what
 * is past its period — recordings (files, then rows), sessions (with their turns and
 * events), debug events, billing records, audit records up to a signed checkpoint (after
 * which the chain still verifies) — per tenant with its own overrides, and records what it
 * deleted.
 */
import { generateKeyPairSync } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { openTestDatabase, testDatabaseKinds, testSession } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import type { TenantRepositories } from '@prx-voice/storage';
import type { Id, SessionId, TenantId } from '@prx-voice/types';
import { createAuditLog } from './audit-log.js';
import { createCheckpointSigner } from './checkpoint.js';
import { createRetentionSweeper } from './retention.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2029, 5, 15, 12);
const ago = (days: number, ms = 0): Date => new Date(NOW - days * DAY + ms);
const signer = createCheckpointSigner('test-audit', generateKeyPairSync('ed25519').privateKey);

describe.each(testDatabaseKinds())('retention on %s', (kind) => {
  const clock = new SimulatedClock({ start: NOW });
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase({ clock, kind });
  }, 60_000);
  afterAll(() => db.close());

  async function tenant(slug: string, settings: Record<string, unknown> = {}) {
    const row = await db.repos.tenants.create({ slug, name: slug, tier: 'growth', settings });
    return { id: row.id as TenantId, t: db.repos.forTenant(row.id as TenantId) };
  }

  /** A session that ended `days` ago (undefined: still live), with one turn and two events. */
  async function session(t: TenantRepositories, days: number | undefined): Promise<SessionId> {
    const s = await testSession(t, days === undefined ? {} : { end: { at: ago(days) } });
    const id = s.id as SessionId;
    await t.turns.create({
      id: `turn_${id.slice(5)}` as never,
      sessionId: id,
      seq: 1,
      inputKind: 'text',
      userText: 'hi',
    });
    return id;
  }

  /** A recording of `id` made `days` ago, its file in `files`. */
  async function recording(t: TenantRepositories, id: SessionId, days: number, files: Set<string>) {
    const key = `${id}-${String(days)}.wav`;
    const row = await t.recordings.create({
      sessionId: id,
      objectKey: key,
      contentType: 'audio/wav',
      sampleRate: 24_000,
      channels: 2,
      durationMs: 1_000,
      sizeBytes: 96_044,
    });
    await db.handle.db
      .updateTable('recordings')
      .set({ created_at: ago(days) })
      .where('id', '=', row.id)
      .execute();
    files.add(key);
    return row.id as Id<'recording'>;
  }

  async function events(t: TenantRepositories, id: SessionId, list: [string, number][]) {
    await t.events.append(
      list.map(([severity, days], i) => ({
        sessionId: id,
        seq: i + 1,
        id: `evt_${id.slice(5)}${String(i)}`,
        type: severity === 'debug' ? 'prx.voice.agent.token_stream' : 'prx.voice.turn.completed',
        time: ago(days),
        severity,
        event: {},
      })),
    );
  }

  it('deletes exactly what is past each period, per tenant, and records it', async () => {
    const a = await tenant('ret-a');
    const b = await tenant('ret-b', { retention: { sessions_days: 30 } });
    const oldA = await session(a.t, 91);
    const keptA = await session(a.t, 89);
    const liveA = await session(a.t, undefined);
    const oldB = await session(b.t, 31);
    const keptB = await session(b.t, 29);
    // Recordings: 30 days, and never beyond their session's retention.
    const files = new Set<string>();
    const store = { delete: (key: string) => Promise.resolve(files.delete(key)) };
    const oldRecA = await recording(a.t, keptA, 31, files);
    const keptRecA = await recording(a.t, keptA, 29, files);
    const recOfOldB = await recording(b.t, oldB, 20, files);
    // Debug events older than 7 days go; newer ones, and older ones that are not debug, stay.
    await events(a.t, keptA, [
      ['info', 20],
      ['debug', 8],
      ['debug', 6],
    ]);
    // Billing: kept three years.
    for (const [key, days] of [
      ['old', 1_096],
      ['new', 1_094],
    ] as const) {
      await a.t.billing.recordUsage({
        meter: 'tts_characters',
        quantity: 5,
        unit: 'character',
        provider: 'mock',
        sessionId: null,
        idempotencyKey: key,
        occurredAt: ago(days),
      });
    }
    for (const period of ['2026-05', '2026-06']) {
      await a.t.billing.post({
        kind: 'usage',
        amountMicros: 100,
        currency: 'USD',
        period,
        description: 'x',
        idempotencyKey: `l-${period}`,
      });
      await a.t.invoices.create({
        period,
        currency: 'USD',
        totalMicros: 100,
        lines: [],
        details: {},
        closedAt: new Date(Date.parse(`${period}-01`) + 40 * DAY),
      });
    }

    const audit = createAuditLog({ repos: db.repos, clock });
    const sweeper = createRetentionSweeper({ repos: db.repos, clock, audit, store });
    const swept = await sweeper.sweep();
    expect(swept).toEqual([
      {
        tenantId: a.id,
        sessions: 1,
        recordings: 1,
        debugEvents: 1,
        meterEvents: 1,
        ledgerEntries: 1,
        invoices: 1,
        auditRecords: 0,
      },
      {
        tenantId: b.id,
        sessions: 1,
        recordings: 1,
        debugEvents: 0,
        meterEvents: 0,
        ledgerEntries: 0,
        invoices: 0,
        auditRecords: 0,
      },
    ]);
    expect([...files]).toEqual([`${keptA}-29.wav`]);
    expect(await a.t.recordings.get(oldRecA)).toBeUndefined();
    expect(await a.t.recordings.get(keptRecA)).toBeDefined();
    expect(await b.t.recordings.get(recOfOldB)).toBeUndefined();
    expect(await a.t.sessions.get(oldA)).toBeUndefined();
    expect(await a.t.turns.listBySession(oldA)).toMatchObject({ items: [] });
    for (const id of [keptA, liveA]) expect(await a.t.sessions.get(id)).toBeDefined();
    expect(await b.t.sessions.get(oldB)).toBeUndefined();
    expect(await b.t.sessions.get(keptB)).toBeDefined();
    expect((await a.t.events.readAfter(keptA, 0)).map((e) => [e.severity, e.seq])).toEqual([
      ['info', 1],
      ['debug', 3],
    ]);
    expect(
      (await a.t.billing.listUsage({ from: new Date(0), to: new Date(NOW) })).items.map(
        (u) => u.idempotency_key,
      ),
    ).toEqual(['new']);
    expect((await a.t.billing.listLedger()).items.map((e) => e.period)).toEqual(['2026-06']);
    expect((await a.t.invoices.list()).items.map((i) => i.period)).toEqual(['2026-06']);
    // Recorded in each tenant's audit log.
    expect((await a.t.audit.list()).items).toMatchObject([
      {
        actor_type: 'system',
        action: 'retention.sweep',
        details: {
          deleted: {
            sessions: 1,
            recordings: 1,
            debug_events: 1,
            meter_events: 1,
            ledger_entries: 1,
            invoices: 1,
            audit_records: 0,
          },
          periods_days: {
            sessions_days: 90,
            recordings_days: 30,
            debug_events_days: 7,
            billing_days: 1_095,
            audit_days: 730,
          },
        },
      },
    ]);
    expect((await b.t.audit.list()).items[0]?.details).toMatchObject({
      periods_days: { sessions_days: 30 },
    });
    // Nothing more to do: nothing deleted, nothing recorded.
    expect(await sweeper.sweep()).toEqual([]);
    expect((await a.t.audit.list()).items).toHaveLength(1);
    // Two days later, the session that ended 89 days ago has passed its 90 days.
    clock.advance(2 * DAY);
    const later = createRetentionSweeper({ repos: db.repos, clock, audit });
    expect((await later.sweep()).find((s) => s.tenantId === a.id)?.sessions).toBe(1);
    expect(await a.t.sessions.get(keptA)).toBeUndefined();
  });

  it('deletes audit records past two years up to a signed checkpoint, and what is left verifies', async () => {
    const signed = createAuditLog({ repos: db.repos, clock, signer, checkpointEvery: 10 });
    const unsigned = createAuditLog({ repos: db.repos, clock });
    const s = await tenant('ret-audit');
    const o = await tenant('ret-audit-900', { retention: { audit_days: 900 } });
    const start = clock.now();
    const day = (d: number) => new Date(start + d * DAY);
    // Three years: record i on day 10·i (i = 1…110), a signed checkpoint every 10 records.
    for (let i = 1; i <= 110; i++) {
      clock.advance(10 * DAY);
      for (const x of [s, o]) {
        await signed.record(x.id, {
          actorType: 'api_key',
          actorId: 'key_1',
          action: 'session.create',
          resourceType: 'session',
          resourceId: `sess_${String(i)}`,
          outcome: 'success',
          details: { i },
        });
      }
    }
    const seqs = async (t: TenantRepositories) => {
      const all: number[] = [];
      let cursor: string | null = null;
      do {
        const page = await t.audit.list({ limit: 200, cursor });
        all.push(...page.items.map((r) => r.seq));
        cursor = page.nextCursor;
      } while (cursor !== null);
      return all;
    };
    const range = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, k) => from + k);
    const thirtieth = await s.t.audit.at(30);

    // Without signing nothing of the audit log goes: no anchor could be proven.
    expect(await unsigned.expire(s.id, day(1_000))).toEqual({ kind: 'kept', reason: 'unsigned' });
    const unsignedSweep = await createRetentionSweeper({
      repos: db.repos,
      clock,
      audit: unsigned,
    }).sweep();
    expect(unsignedSweep.filter((x) => x.tenantId === s.id || x.tenantId === o.id)).toEqual([]);
    expect(await seqs(s.t)).toEqual(range(1, 110));
    expect(await seqs(o.t)).toEqual(range(1, 110));

    // Signed: 730 days before day 1100 is day 370, so records 1–36 are that old; the newest
    // checkpoint of them is 30. Records 31–36 stay: only checkpoint 40 covers them, with
    // younger ones.
    const sweeper = createRetentionSweeper({ repos: db.repos, clock, audit: signed });
    const swept = await sweeper.sweep();
    expect(swept.find((x) => x.tenantId === s.id)).toEqual({
      tenantId: s.id,
      sessions: 0,
      recordings: 0,
      debugEvents: 0,
      meterEvents: 0,
      ledgerEntries: 0,
      invoices: 0,
      auditRecords: 30,
    });
    // The tenant's own 900 days: before day 200, records 1–19, cut at checkpoint 10.
    expect(swept.find((x) => x.tenantId === o.id)?.auditRecords).toBe(10);
    expect(await seqs(s.t)).toEqual(range(31, 111));
    expect(await seqs(o.t)).toEqual(range(11, 111));
    expect((await s.t.audit.at(36))?.created_at.getTime()).toBeLessThan(day(370).getTime());
    expect((await s.t.audit.checkpoints({ limit: 200 })).items.map((c) => c.tree_size)).toEqual(
      range(3, 11).map((k) => k * 10),
    );
    // The sweep is recorded after the cut, as the chain's newest record.
    const anchor = { tree_size: 30, head: thirtieth?.hash };
    expect(await s.t.audit.last()).toMatchObject({
      seq: 111,
      action: 'retention.sweep',
      details: {
        deleted: { audit_records: 30 },
        audit_anchor: anchor,
        periods_days: { audit_days: 730 },
      },
    });
    // What is left verifies from the anchor.
    const result = await signed.verify(s.id);
    expect(result).toMatchObject({ ok: true, records: 81, anchor, checkpoints: { checked: 9 } });
    expect(result.head).toBe((await s.t.audit.last())?.hash);
    expect(await signed.verify(o.id)).toMatchObject({
      ok: true,
      records: 101,
      anchor: { tree_size: 10 },
    });
    // Nothing more to cut now.
    expect((await sweeper.sweep()).find((x) => x.tenantId === s.id)).toBeUndefined();
    expect(await signed.expire(s.id, day(370))).toEqual({ kind: 'kept', reason: 'no_anchor' });

    // A record altered after the cut is named; retention then keeps it (and what precedes it).
    const exec = (query: ReturnType<typeof sql>) => query.execute(db.handle.db);
    await exec(
      sql`update audit_records set details = ${JSON.stringify({ i: 0 })}::jsonb where tenant_id = ${s.id} and seq = 50`,
    );
    expect(await signed.verify(s.id)).toMatchObject({
      ok: false,
      records: 19,
      anchor,
      first_bad_record: { seq: 50, reason: 'altered' },
    });
    expect(await signed.expire(s.id, day(600))).toEqual({ kind: 'kept', reason: 'unverified' });
    expect((await s.t.audit.first())?.seq).toBe(31);
    // Without its anchor, the chain's first stored record is one that should not be first.
    await exec(sql`delete from audit_checkpoints where tenant_id = ${s.id} and tree_size = 30`);
    const unanchored = await signed.verify(s.id);
    expect(unanchored.anchor).toBeUndefined();
    expect(unanchored.first_bad_record).toEqual({
      seq: 1,
      id: (await s.t.audit.at(31))?.id,
      reason: 'missing_record',
    });
  });
});
