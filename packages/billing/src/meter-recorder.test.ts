import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { openTestDatabase, testSession } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import type { Repositories } from '@prx-voice/storage';
import type { SessionId, TenantId } from '@prx-voice/types';
import { durableMonthlyUsage, loggedUsage } from './durable-usage.js';
import { createMeterRecorder } from './meter-recorder.js';
import type { UsageEvent } from './meter-recorder.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
}, 60_000);
afterAll(() => db.close());

const AT = Date.UTC(2026, 11, 6, 12);

async function tenant(slug: string): Promise<TenantId> {
  return (await db.repos.tenants.create({ slug, name: slug, tier: 'starter' })).id as TenantId;
}

function usage(tenantId: TenantId, key: string, over: Partial<UsageEvent> = {}): UsageEvent {
  return {
    tenantId,
    sessionId: 'sess_01m9500000e000000000000001' as SessionId,
    meter: 'tts_characters',
    quantity: 10,
    provider: 'mock',
    idempotencyKey: key,
    occurredAt: AT,
    ...over,
  };
}

const refused = (): Promise<never> =>
  Promise.reject(Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }));

type Billing = ReturnType<Repositories['forTenant']>['billing'];

/** The test database's repositories with each tenant's meter writes replaced by `writes`. */
function withMeterWrites(
  writes: (t: Billing, tenantId: TenantId) => Pick<Billing, 'recordUsage' | 'recordUsageMany'>,
): Pick<Repositories, 'forTenant'> {
  return {
    forTenant: (id) => {
      const t = db.repos.forTenant(id);
      return { ...t, billing: { ...t.billing, ...writes(t.billing, id) } };
    },
  };
}

/** Repositories whose meter writes fail while `down.value` is set, as a restarting database's do. */
function flaky(down: { value: boolean }): Pick<Repositories, 'forTenant'> {
  return withMeterWrites((t) => ({
    recordUsage: (e) => (down.value ? refused() : t.recordUsage(e)),
    recordUsageMany: (e) => (down.value ? refused() : t.recordUsageMany(e)),
  }));
}

/** Lets the drain run its database calls (PGlite, off the simulated clock). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise<void>((r) => setImmediate(r));
}

describe('meter recorder', () => {
  it('records in the background, once per key, and sums by budget for the month', async () => {
    const t = await tenant('meter-once');
    const clock = new SimulatedClock();
    const recorder = createMeterRecorder({ repos: db.repos, clock });
    expect(recorder.record(usage(t, 'k1'))).toBe(true);
    expect(recorder.record(usage(t, 'k1'))).toBe(true); // a replay of the same measurement
    recorder.record(usage(t, 'k2', { meter: 'agent_prompt_tokens', quantity: 7 }));
    recorder.record(usage(t, 'k3', { meter: 'agent_completion_tokens', quantity: 5 }));
    // Last month's usage is recorded too (late), and counts in its own month.
    recorder.record(usage(t, 'k4', { occurredAt: Date.UTC(2026, 10, 30, 23, 59) }));
    expect(recorder.stats.queued).toBe(5);
    await recorder.flush();
    expect(recorder.stats).toMatchObject({ queued: 0, recorded: 4, duplicates: 1, dropped: 0 });
    const at = new Date(AT);
    expect(await durableMonthlyUsage(db.repos, t, 'characters', at)).toBe(10);
    expect(await durableMonthlyUsage(db.repos, t, 'tokens', at)).toBe(12);
    expect(await durableMonthlyUsage(db.repos, t, 'session_seconds', at)).toBe(0);
    expect(
      await durableMonthlyUsage(db.repos, t, 'characters', new Date(Date.UTC(2026, 10, 15))),
    ).toBe(10);
  });

  it('waits for the flush interval before writing, never on the caller', async () => {
    const t = await tenant('meter-interval');
    const clock = new SimulatedClock();
    const recorder = createMeterRecorder({ repos: db.repos, clock, flushIntervalMs: 200 });
    recorder.record(usage(t, 'k1'));
    await until(() => false);
    expect(recorder.stats.recorded).toBe(0);
    clock.advance(200);
    await until(() => recorder.stats.recorded === 1);
    expect(recorder.stats.recorded).toBe(1);
  });

  it('rides out a database outage in order, losing nothing', async () => {
    const t = await tenant('meter-outage');
    const clock = new SimulatedClock();
    const down = { value: true };
    const retries: number[] = [];
    const recorder = createMeterRecorder({
      repos: flaky(down),
      clock,
      onError: (_e, c) => {
        if (c.retryInMs !== undefined) retries.push(c.retryInMs);
      },
    });
    for (let i = 0; i < 3; i++) recorder.record(usage(t, `k${String(i)}`, { quantity: i + 1 }));
    const flushed = recorder.flush();
    for (const [n, wait] of [
      [1, 100],
      [2, 200],
      [3, 400],
    ] as const) {
      await until(() => retries.length >= n);
      if (n === 3) down.value = false;
      clock.advance(wait);
    }
    await flushed;
    expect(retries).toEqual([100, 200, 400]);
    expect(recorder.stats).toMatchObject({ recorded: 3, failed: 0, dropped: 0 });
    expect(await durableMonthlyUsage(db.repos, t, 'characters', new Date(AT))).toBe(6);
  });

  it('writes what is queued in one statement per tenant; a row the database refuses fails alone', async () => {
    const [a, b] = [await tenant('meter-batch-a'), await tenant('meter-batch-b')];
    const clock = new SimulatedClock();
    const statements: string[] = [];
    const poison = (e: { idempotencyKey: string }) => e.idempotencyKey === 'poison';
    // The database refuses the row keyed `poison` (a constraint), whichever way it comes.
    const refusing = (): Promise<never> =>
      Promise.reject(Object.assign(new Error('violates a constraint'), { code: '23514' }));
    const repos = withMeterWrites((t, id) => ({
      recordUsage: (e) => (poison(e) ? refusing() : t.recordUsage(e)),
      recordUsageMany: (events) => {
        statements.push(`${id}:${String(events.length)}`);
        return events.some(poison) ? refusing() : t.recordUsageMany(events);
      },
    }));
    const failures: string[] = [];
    const recorder = createMeterRecorder({
      repos,
      clock,
      onError: (_e, c) => failures.push(c.event.idempotencyKey),
    });
    for (let i = 0; i < 30; i++) recorder.record(usage(i % 3 === 0 ? b : a, `k${String(i)}`));
    recorder.record(usage(a, 'k1')); // a replay
    const flushed = recorder.flush();
    clock.advance(200);
    await flushed;
    expect(statements).toEqual([`${b}:10`, `${a}:21`]);
    expect(recorder.stats).toMatchObject({ recorded: 30, duplicates: 1, failed: 0 });
    expect(await durableMonthlyUsage(db.repos, a, 'characters', new Date(AT))).toBe(200);
    expect(await durableMonthlyUsage(db.repos, b, 'characters', new Date(AT))).toBe(100);

    recorder.record(usage(a, 'k100'));
    recorder.record(usage(a, 'poison'));
    recorder.record(usage(a, 'k101'));
    const again = recorder.flush();
    clock.advance(200);
    await again;
    expect(failures).toEqual(['poison']);
    expect(recorder.stats).toMatchObject({ recorded: 32, failed: 1 });
    expect(await durableMonthlyUsage(db.repos, a, 'characters', new Date(AT))).toBe(220);
  });

  it('refuses bad input with a clear error, and a full queue loudly', async () => {
    const t = await tenant('meter-bad');
    const clock = new SimulatedClock();
    const refused: string[] = [];
    const recorder = createMeterRecorder({
      repos: db.repos,
      clock,
      maxQueue: 2,
      onError: (e) => refused.push(e.message),
    });
    expect(() => recorder.record(usage(t, 'x', { meter: 'gold_bars' }))).toThrow(/unknown meter/);
    expect(() => recorder.record(usage(t, 'x', { quantity: -1 }))).toThrow(/non-negative integer/);
    expect(() => recorder.record(usage(t, 'x', { quantity: 1.5 }))).toThrow(/non-negative integer/);
    expect(() => recorder.record(usage(t, ''))).toThrow(/idempotency key/);
    expect(recorder.record(usage(t, 'a'))).toBe(true);
    expect(recorder.record(usage(t, 'b'))).toBe(true);
    expect(recorder.record(usage(t, 'c'))).toBe(false);
    expect(recorder.stats.dropped).toBe(1);
    expect(refused).toEqual(['usage event refused: the queue is full (2)']);
    await recorder.close();
    expect(recorder.record(usage(t, 'd'))).toBe(false);
    expect(await durableMonthlyUsage(db.repos, t, 'characters', new Date(AT))).toBe(20);
  });

  it('finds again the usage a session reported in its durable log, under the keys it was recorded with', async () => {
    const tenantId = await tenant('logged');
    const t = db.repos.forTenant(tenantId);
    const session = await testSession(t);
    const sessionId = session.id as SessionId;
    const report = (
      seq: number,
      data: Record<string, unknown>,
      type = 'prx.voice.governance.usage_recorded',
    ) => ({
      sessionId,
      seq,
      id: `evt_${String(seq)}`,
      type,
      time: new Date(AT + seq * 1000),
      severity: 'info',
      event: { type, data },
    });
    await t.events.append([
      report(1, { from: 'Idle', to: 'Listening' }, 'prx.voice.session.state_changed'),
      report(2, {
        meter: 'tts_characters',
        quantity: 15,
        provider: 'mock',
        idempotency_key: 'seg_1:tts_characters',
      }),
      report(3, { meter: 'no_such_meter', quantity: 1, idempotency_key: 'x' }),
      report(4, {
        meter: 'agent_completion_tokens',
        quantity: 7,
        provider: 'mock',
        idempotency_key: 'run_1:agent_completion_tokens',
      }),
    ]);
    const found = await loggedUsage(db.repos, tenantId, sessionId);
    expect(found).toEqual([
      {
        tenantId,
        sessionId,
        meter: 'tts_characters',
        quantity: 15,
        provider: 'mock',
        idempotencyKey: `${sessionId}:seg_1:tts_characters`,
        occurredAt: AT + 2000,
      },
      {
        tenantId,
        sessionId,
        meter: 'agent_completion_tokens',
        quantity: 7,
        provider: 'mock',
        idempotencyKey: `${sessionId}:run_1:agent_completion_tokens`,
        occurredAt: AT + 4000,
      },
    ]);
    // One was recorded before the process died; recording both again adds only the other.
    const clock = new SimulatedClock({ start: AT });
    const meters = createMeterRecorder({ repos: db.repos, clock });
    meters.record(found[0] as UsageEvent);
    await meters.flush();
    for (const u of found) meters.record(u);
    await meters.close();
    expect(meters.stats).toMatchObject({ recorded: 2, duplicates: 1 });
  });
});
