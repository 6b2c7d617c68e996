import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { openTestDatabase, testDatabaseKinds } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import type { MeterEventRow, UsageExportRepository } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import { createUsageExporter } from './usage-exporter.js';
import type { UsageCloudEvent, UsageExporter, UsageExporterOptions } from './usage-exporter.js';

// Every test on each database: PGlite, and PostgreSQL with DATABASE_URL.
describe.each(testDatabaseKinds())('on %s', (kind) => {
  /** One clock for the database (recorded_at) and the exporters; it only moves forward. */
  const clock = new SimulatedClock({ start: Date.UTC(2026, 11, 6, 12) });
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase({ clock, kind });
  }, 60_000);
  afterAll(() => db.close());

  /** What an endpoint answers to its `n`th request (from 0): a status, or never. */
  type Answer = number | 'stall';

  interface Received {
    readonly headers: IncomingHttpHeaders;
    readonly events: UsageCloudEvent[];
    /** Resolves when the request's connection closes (answered, or aborted by the client). */
    readonly closed: Promise<void>;
  }

  /** A usage endpoint on 127.0.0.1, recording what it receives. */
  async function receiver(answer: (n: number, events: UsageCloudEvent[]) => Answer) {
    const received: Received[] = [];
    const waiters: { count: number; resolve: () => void }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const events = JSON.parse(Buffer.concat(chunks).toString('utf8')) as UsageCloudEvent[];
        const closed = new Promise<void>((resolve) => res.on('close', resolve));
        const n = received.length;
        received.push({ headers: req.headers, events, closed });
        for (const w of waiters.filter((x) => x.count <= received.length)) w.resolve();
        const a = answer(n, events);
        if (a === 'stall') return;
        res
          .writeHead(a, { 'content-type': 'application/json' })
          .end(a < 300 ? '{}' : '{"error":"boom"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    servers.push(server);
    return {
      url: `http://127.0.0.1:${String(port)}/api/v1/events`,
      received,
      /** Resolves when `count` requests have arrived. */
      waitFor(count: number): Promise<void> {
        if (received.length >= count) return Promise.resolve();
        return new Promise((resolve) => waiters.push({ count, resolve }));
      },
      /** The event ids of each request, of one tenant. */
      batchesOf(tenantId: string): string[][] {
        return received
          .filter((r) => r.events[0]?.subject === tenantId)
          .map((r) => r.events.map((e) => e.id));
      },
    };
  }
  const servers: ReturnType<typeof createServer>[] = [];
  const exporters: UsageExporter[] = [];
  afterEach(async () => {
    for (const x of exporters.splice(0)) {
      const stopping = x.stop();
      clock.advance(60_000); // ends a request still stalled
      await stopping;
    }
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  });

  /** Values callbacks push, awaited in order. */
  function inbox<T>() {
    const items: T[] = [];
    const waiters = new Map<number, () => void>();
    let taken = 0;
    return {
      items,
      push(v: T): void {
        items.push(v);
        waiters.get(items.length - 1)?.();
      },
      async next(): Promise<T> {
        const i = taken++;
        if (i >= items.length) await new Promise<void>((resolve) => waiters.set(i, resolve));
        return items[i] as T;
      },
    };
  }

  interface Failure {
    readonly error: unknown;
    readonly tenantId: string;
    readonly attempt: number;
    readonly retryInMs: number | null;
  }

  function exporter(endpoint: string, over: Partial<UsageExporterOptions> = {}) {
    const failures = inbox<Failure>();
    const x = createUsageExporter({
      repos: db.repos,
      clock,
      endpoint,
      settleMs: 0,
      onError: (error, c) => failures.push({ error, ...c }),
      ...over,
    });
    exporters.push(x);
    return { x, failures };
  }

  let tenants = 0;
  async function tenant(): Promise<TenantId> {
    const slug = `export-${String(++tenants)}`;
    return (await db.repos.tenants.create({ slug, name: slug, tier: 'starter' })).id as TenantId;
  }

  let keys = 0;
  /** Records a meter event now, then moves the clock on by 1 ms. */
  async function record(tenantId: TenantId, quantity = 1): Promise<MeterEventRow> {
    const { row } = await db.repos.forTenant(tenantId).billing.recordUsage({
      sessionId: null,
      meter: 'tts_characters',
      quantity,
      unit: 'characters',
      provider: 'mock',
      idempotencyKey: `k${String(++keys)}`,
      occurredAt: new Date(clock.now() - 500),
    });
    clock.advance(1);
    return row;
  }
  const ids = (rows: readonly MeterEventRow[]) => rows.map((r) => r.id);

  // Each test starts with nothing pending (earlier tests' leftovers skipped).
  beforeEach(async () => {
    const x: UsageExportRepository = db.repos.usageExport;
    for (const t of await x.tenantsWithPending(1000)) {
      const rows = await x.pending(t as TenantId, 1000);
      const last = rows[rows.length - 1];
      if (last !== undefined)
        await x.advance(t as TenantId, { recordedAt: last.recorded_at, id: last.id });
    }
  });

  describe('usage exporter', () => {
    it('delivers each tenant’s events in order as CloudEvents batches, once', async () => {
      const rx = await receiver(() => 200);
      const [a, b] = [await tenant(), await tenant()];
      const ofA: MeterEventRow[] = [];
      const ofB: MeterEventRow[] = [];
      for (let i = 1; i <= 3; i++) {
        ofA.push(await record(a, i));
        ofB.push(await record(b, 10 * i));
      }
      const delivered = inbox<number>();
      const { x } = exporter(rx.url, {
        batchSize: 2,
        headers: { authorization: 'Bearer s3cret', 'Content-Type': 'text/plain' },
        onDelivered: (n) => delivered.push(n),
      });
      expect(await x.runOnce()).toEqual({ delivered: 6, deadLettered: 0 });
      expect(rx.batchesOf(a)).toEqual([ids(ofA.slice(0, 2)), ids(ofA.slice(2))]);
      expect(rx.batchesOf(b)).toEqual([ids(ofB.slice(0, 2)), ids(ofB.slice(2))]);
      expect(delivered.items.sort()).toEqual([1, 1, 2, 2]);
      const first = rx.received.find((r) => r.events[0]?.id === ofA[0]?.id);
      expect(first?.headers['content-type']).toBe('application/cloudevents-batch+json');
      expect(first?.headers.authorization).toBe('Bearer s3cret');
      const row = ofA[0] as MeterEventRow;
      expect(first?.events[0]).toEqual({
        specversion: '1.0',
        id: row.id,
        source: 'prx-voice',
        type: 'prx.voice.usage',
        subject: a,
        time: row.occurred_at.toISOString(),
        datacontenttype: 'application/json',
        data: {
          meter: 'tts_characters',
          quantity: 1,
          unit: 'characters',
          provider: 'mock',
          session_id: null,
          idempotency_key: row.idempotency_key,
        },
      });
      // The cursors moved: nothing is pending, and nothing goes twice.
      expect(await db.repos.usageExport.pending(a, 10)).toEqual([]);
      expect(await x.runOnce()).toEqual({ delivered: 0, deadLettered: 0 });
      expect(rx.received).toHaveLength(4);
      const later = await record(a);
      expect(await x.runOnce()).toEqual({ delivered: 1, deadLettered: 0 });
      expect(rx.received.map((r) => r.events.map((e) => e.id))[4]).toEqual([later.id]);
      expect(x.stats).toEqual({ delivered: 7, deadLettered: 0, failures: 0 });
    });

    it('exports an event once it is settleMs old', async () => {
      const rx = await receiver(() => 200);
      const t = await tenant();
      const { x } = exporter(rx.url, { settleMs: 5_000 });
      const e = await record(t);
      expect(await x.runOnce()).toEqual({ delivered: 0, deadLettered: 0 });
      clock.advance(4_998); // recorded 4 999 ms ago
      expect(await x.runOnce()).toEqual({ delivered: 0, deadLettered: 0 });
      clock.advance(1);
      expect(await x.runOnce()).toEqual({ delivered: 1, deadLettered: 0 });
      expect(rx.batchesOf(t)).toEqual([[e.id]]);
    });

    it('retries a failing endpoint with exponential backoff on the clock, losing nothing', async () => {
      const rx = await receiver((n) => (n < 2 ? 500 : 202));
      const t = await tenant();
      const events = [await record(t), await record(t), await record(t)];
      const delivered = inbox<number>();
      const { x, failures } = exporter(rx.url, { onDelivered: (n) => delivered.push(n) });
      const t0 = clock.now();
      x.start();
      clock.advance(0); // the first pass
      const first = await failures.next();
      expect(first).toMatchObject({ tenantId: t, attempt: 1, retryInMs: 1_000 });
      expect(first.error).toBeInstanceOf(VoiceError);
      expect((first.error as VoiceError).message).toBe(
        'usage export: the endpoint answered HTTP 500: {"error":"boom"}',
      );
      expect(clock.nextDueAt()).toBe(t0 + 1_000); // the retry, not the idle poll
      clock.advance(1_000);
      expect(await failures.next()).toMatchObject({ tenantId: t, attempt: 2, retryInMs: 2_000 });
      clock.advance(2_000);
      expect(await delivered.next()).toBe(3);
      expect(rx.batchesOf(t)).toEqual([ids(events), ids(events), ids(events)]);
      await x.stop();
      expect(x.stats).toEqual({ delivered: 3, deadLettered: 0, failures: 2 });
      expect(await db.repos.usageExport.pending(t, 10)).toEqual([]);
    });

    it('lets other tenants deliver while one backs off', async () => {
      const [bad, good] = [await tenant(), await tenant()];
      const rx = await receiver((_n, events) => (events[0]?.subject === bad ? 503 : 200));
      await record(bad);
      const g = await record(good);
      const { x, failures } = exporter(rx.url);
      expect(await x.runOnce()).toEqual({ delivered: 1, deadLettered: 0 });
      expect(rx.batchesOf(good)).toEqual([[g.id]]);
      expect(failures.items).toMatchObject([{ tenantId: bad, attempt: 1, retryInMs: 1_000 }]);
      // Until its backoff is over, the failing tenant is not tried again.
      await record(good);
      expect(await x.runOnce()).toEqual({ delivered: 1, deadLettered: 0 });
      expect(rx.batchesOf(bad)).toHaveLength(1);
    });

    it('aborts a stalled request at timeoutMs, counts it and retries', async () => {
      const rx = await receiver((n) => (n === 0 || n === 2 ? 'stall' : 200));
      const t = await tenant();
      const e = await record(t);
      const { x, failures } = exporter(rx.url, { timeoutMs: 3_000, backoffMs: 500 });
      const t0 = clock.now();
      const pass = x.runOnce();
      await rx.waitFor(1);
      expect(clock.nextDueAt()).toBe(t0 + 3_000); // the abort, on the injected clock
      clock.advance(3_000);
      await rx.received[0]?.closed; // the endpoint saw the request go away
      expect(await pass).toEqual({ delivered: 0, deadLettered: 0 });
      expect(x.stats).toEqual({ delivered: 0, deadLettered: 0, failures: 1 });
      const failure = await failures.next();
      expect(failure).toMatchObject({ tenantId: t, attempt: 1, retryInMs: 500 });
      expect(failure.error).toMatchObject({ code: 'PROVIDER_TIMEOUT', retryable: true });

      expect(await x.runOnce()).toEqual({ delivered: 0, deadLettered: 0 }); // backing off
      clock.advance(500);
      expect(await x.runOnce()).toEqual({ delivered: 1, deadLettered: 0 });
      expect(rx.batchesOf(t)).toEqual([[e.id], [e.id]]);

      // stop() waits for the batch in flight (here until its timeout).
      await record(t);
      const inFlight = x.runOnce();
      await rx.waitFor(3);
      const stopping = x.stop();
      clock.advance(3_000);
      await stopping;
      expect(x.stats.failures).toBe(2);
      expect(await inFlight).toEqual({ delivered: 0, deadLettered: 0 });
      expect(await x.runOnce()).toEqual({ delivered: 0, deadLettered: 0 }); // stopped
    });

    it('after a crash between acknowledgement and cursor, sends the batch again with the same ids', async () => {
      const rx = await receiver(() => 200);
      const t = await tenant();
      const events = [await record(t), await record(t), await record(t)];
      // The endpoint takes the first batch; the process dies before its cursor is written.
      const dying: UsageExportRepository = {
        ...db.repos.usageExport,
        advance: () => Promise.reject(new Error('process killed')),
      };
      const crashed = exporter(rx.url, { repos: { usageExport: dying }, batchSize: 2 });
      expect(await crashed.x.runOnce()).toEqual({ delivered: 0, deadLettered: 0 });
      expect(crashed.failures.items).toMatchObject([{ tenantId: t, attempt: 0 }]);
      await crashed.x.stop();

      // A new exporter over the same database starts from the stored cursor.
      const { x } = exporter(rx.url, { batchSize: 2 });
      expect(await x.runOnce()).toEqual({ delivered: 3, deadLettered: 0 });
      const seen = rx.batchesOf(t).flat();
      expect(seen).toEqual(
        ids([events[0], events[1], events[0], events[1], events[2]] as MeterEventRow[]),
      );
      // Deduplicated by id, the receiver has every event once, in order.
      expect([...new Set(seen)]).toEqual(ids(events));

      // A duplicated (late) acknowledgement of the first batch does not move the cursor back.
      const second = events[1] as MeterEventRow;
      await db.repos.usageExport.advance(t, { recordedAt: second.recorded_at, id: second.id });
      expect(await x.runOnce()).toEqual({ delivered: 0, deadLettered: 0 });
      expect(rx.received).toHaveLength(3);
    });

    it('dead-letters a batch after maxAttempts failures and delivers what follows', async () => {
      const rx = await receiver((n) => (n < 3 ? 500 : 200));
      const t = await tenant();
      const events = [await record(t), await record(t), await record(t)];
      const deadLettered = inbox<number>();
      const { x, failures } = exporter(rx.url, {
        batchSize: 2,
        maxAttempts: 3,
        backoffMs: 100,
        onDeadLettered: (n) => deadLettered.push(n),
      });
      expect(await x.runOnce()).toEqual({ delivered: 0, deadLettered: 0 });
      clock.advance(100);
      expect(await x.runOnce()).toEqual({ delivered: 0, deadLettered: 0 });
      clock.advance(200);
      expect(await x.runOnce()).toEqual({ delivered: 1, deadLettered: 2 });
      expect(failures.items.map((f) => [f.attempt, f.retryInMs])).toEqual([
        [1, 100],
        [2, 200],
        [3, null],
      ]);
      expect(deadLettered.items).toEqual([2]);
      expect(x.stats).toEqual({ delivered: 1, deadLettered: 2, failures: 3 });
      const batch = ids(events.slice(0, 2));
      expect(rx.batchesOf(t)).toEqual([batch, batch, batch, ids(events.slice(2))]);

      const letters = await db.repos.usageExport.deadLetters({ tenantId: t });
      expect(letters.map((l) => l.meter_event_id).sort()).toEqual([...batch].sort());
      expect(letters[0]).toMatchObject({
        tenant_id: t,
        attempts: 3,
        last_error: 'usage export: the endpoint answered HTTP 500: {"error":"boom"}',
      });
      expect(await db.repos.usageExport.deadLetterCount()).toBeGreaterThanOrEqual(2);
      // Dead letters are never retried automatically.
      clock.advance(10_000);
      expect(await x.runOnce()).toEqual({ delivered: 0, deadLettered: 0 });
      expect(rx.received).toHaveLength(4);
    });

    it('refuses options that cannot work', () => {
      const make = (over: Partial<UsageExporterOptions>) => () =>
        createUsageExporter({ repos: db.repos, clock, endpoint: 'http://127.0.0.1:1/', ...over });
      expect(make({ endpoint: 'ftp://example.com/' })).toThrow(/http\(s\) URL/);
      expect(make({ endpoint: 'not a url' })).toThrow(/http\(s\) URL/);
      expect(make({ batchSize: 0 })).toThrow(/batchSize/);
      expect(make({ batchSize: 1001 })).toThrow(/batchSize/);
      expect(make({ maxAttempts: 1.5 })).toThrow(/maxAttempts/);
      expect(make({ settleMs: -1 })).toThrow(/settleMs/);
      expect(make({ settleMs: 0 })).not.toThrow();
    });
  });
});
