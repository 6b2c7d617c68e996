import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '@prx-voice/core';
import { createVoiceMetrics } from '@prx-voice/observe';
import type { TenantId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { startUsageExport } from './usage-export.js';

let h: ControlHarness;
beforeAll(async () => {
  h = await createControlHarness();
}, 60_000);
afterAll(() => h.close());

async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await new Promise<void>((r) => setImmediate(r));
}

describe('the usage export of a deployment', () => {
  it('delivers from one instance at a time, and shows what the endpoint never took', async () => {
    const batches: { subject: string; ids: string[] }[] = [];
    let status = 200;
    const got: (() => void)[] = [];
    const endpoint = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const events = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          id: string;
          subject: string;
        }[];
        batches.push({ subject: events[0]?.subject ?? '', ids: events.map((e) => e.id) });
        res.writeHead(status).end('{}');
        for (const g of got.splice(0)) g();
      });
    });
    await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${String((endpoint.address() as AddressInfo).port)}/events`;
    const config = parseConfig(
      {
        billing: {
          export: { endpoint: url, interval_ms: 1_000, max_attempts: 2, backoff_ms: 100 },
        },
      },
      { runtime: { hostname: 'test', pid: 1 } },
    );
    const tenant = await h.tenant();
    const t = h.db.repos.forTenant(tenant.id as TenantId);
    for (let i = 0; i < 3; i++)
      await t.billing.recordUsage({
        meter: 'tts_characters',
        quantity: 10 + i,
        unit: 'character',
        idempotencyKey: `k${String(i)}`,
        occurredAt: new Date(h.clock.now()),
      });
    const metrics = ['a', 'b'].map(() => createVoiceMetrics({ defaultMetrics: false }));
    const loops = ['a', 'b'].map((instanceId, i) =>
      startUsageExport({
        config,
        clock: h.clock,
        repos: h.db.repos,
        coordinator: h.coordinator,
        instanceId,
        metrics: metrics[i] ?? h.metrics,
        logger: h.log,
      }),
    );
    // Past the exporter's settle time: both loops run a pass; one holds the lease.
    const delivered = new Promise<void>((r) => got.push(r));
    for (let i = 0; i < 8 && batches.length === 0; i++) {
      h.clock.advance(1_000);
      await settle();
    }
    await delivered;
    for (let i = 0; i < 5; i++) {
      h.clock.advance(1_000);
      await settle();
    }
    const ours = batches.filter((b) => b.subject === tenant.id);
    expect(ours).toHaveLength(1);
    expect(ours[0]?.ids).toHaveLength(3);
    expect(loops.map((l) => l?.exporter.stats.delivered).sort()).toEqual([0, 3]);

    // The endpoint refuses from now on: after two attempts the next event is a dead letter.
    status = 500;
    await t.billing.recordUsage({
      meter: 'tts_characters',
      quantity: 99,
      unit: 'character',
      idempotencyKey: 'refused',
      occurredAt: new Date(h.clock.now()),
    });
    for (let i = 0; i < 20; i++) {
      h.clock.advance(1_000);
      await settle();
    }
    const platform = await h.key(tenant.id, 'platform_admin');
    const res = await h.request(`/api/v1/billing/export/dead-letters?tenant_id=${tenant.id}`, {
      token: platform,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      data: { items: { tenant_id: string; attempts: number }[]; total: number };
    };
    expect(body.data.items).toMatchObject([{ tenant_id: tenant.id, attempts: 2 }]);
    expect(body.data.total).toBe(1);
    const viewer = await h.key(tenant.id, 'billing_viewer');
    expect((await h.request('/api/v1/billing/export/dead-letters', { token: viewer })).status).toBe(
      403,
    );
    const holder = loops.findIndex((l) => l?.exporter.stats.delivered === 3);
    expect(await metrics[holder]?.render()).toMatch(
      /^prx_voice_usage_export_dead_lettered_events 1$/m,
    );
    const stopping = Promise.all(loops.map((l) => l?.stop() ?? Promise.resolve()));
    h.clock.advance(60_000);
    await stopping;
    endpoint.closeAllConnections();
    endpoint.close();
  });
});
