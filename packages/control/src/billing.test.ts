/**
 * Billing through the composed control plane, on a simulated clock starting
 * 2026-01-01: a session's usage recorded, listed by `GET /usage`, priced at the
 * price-book versions in force when it happened, and invoiced when the period closes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantId } from '@prx-voice/types';
import { createControlHarness } from './testing/control-harness.js';
import type { ControlHarness } from './testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from './testing/composed.js';
import type { VoiceControl } from './voice-control.js';

let h: ControlHarness;
let voice: VoiceControl;
let tenantId: TenantId;
let admin: string;
let platform: string;
let viewer: string;
let otherViewer: string;

async function advance(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    h.clock.advance(100);
    await settle();
  }
}

type Json = {
  data: Record<string, unknown> & { items?: Record<string, unknown>[] };
  error: { code: string } | null;
};
async function call(
  path: string,
  token: string,
  method = 'GET',
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const res = await h.request(
    `/api/v1${path}`,
    { method, token, ...(body === undefined ? {} : { body }) },
    voice.control,
  );
  return { status: res.status, json: (await res.json()) as Json };
}

beforeAll(async () => {
  h = await createControlHarness();
  voice = composeVoiceControl(h);
  // Not started: no sampler, heartbeat or sweep timers while the clock jumps weeks ahead.
  const tenant = await h.tenant('growth');
  tenantId = tenant.id as TenantId;
  admin = await h.key(tenant.id, 'tenant_admin');
  platform = await h.key(tenant.id, 'platform_admin');
  viewer = await h.key(tenant.id, 'billing_viewer');
  const other = await h.tenant('starter');
  otherViewer = await h.key(other.id, 'billing_viewer');
}, 60_000);

afterAll(() => shutdownOnClock(h, voice));

describe('billing', () => {
  it('records a session, lists its meters, prices them per version in force and closes the period into an invoice', async () => {
    // A tenant override from mid-January: the first half of the month at the tier's list prices.
    const book = await call('/price-books', platform, 'POST', {
      tenant_id: tenantId,
      effective_from: '2026-01-15T00:00:00Z',
      currency: 'USD',
      prices: { tts_characters: { default: { micros: 30_000_000, per: 1_000_000 } } },
      allowances: { session_seconds: 3_600 },
      minimum_monthly_micros: 1_000_000,
    });
    expect(book.status).toBe(201);
    expect(book.json.data).toMatchObject({ version: 1, tenant_id: tenantId });
    // The past is never repriced; unknown meters and bad money are refused, nothing written.
    for (const [input, status] of [
      [{ effective_from: '2026-01-10T00:00:00Z', prices: {} }, 409],
      [
        {
          effective_from: '2026-02-01T00:00:00Z',
          prices: { minutes: { default: { micros: 1, per: 1 } } },
        },
        400,
      ],
      [{ effective_from: '2026-02-01T00:00:00Z', prices: {}, minimum_monthly_micros: 0.5 }, 400],
      [{ effective_from: '2026-02-01T00:00:00Z', prices: {}, currency: 'EUR' }, 400],
    ] as const) {
      const res = await call('/price-books', platform, 'POST', {
        tenant_id: tenantId,
        currency: 'USD',
        ...input,
      });
      expect(res.status, JSON.stringify(input)).toBe(status);
    }
    expect(
      await call('/price-books', admin, 'POST', {
        tier: 'growth',
        effective_from: '2026-03-01T00:00:00Z',
        currency: 'USD',
        prices: {},
      }),
    ).toMatchObject({ status: 403 });

    // A session with a text turn on January 1st, then one on the 20th.
    const usedOn = async (): Promise<string> => {
      const created = await call('/sessions', admin, 'POST', { channel: 'websocket' });
      expect(created.status).toBe(201);
      const id = String(created.json.data['id']);
      await settle();
      expect(
        (await call(`/sessions/${id}/turns`, admin, 'POST', { text: 'hello there' })).status,
      ).toBe(202);
      await advance(3_000);
      expect((await call(`/sessions/${id}/end`, admin, 'POST')).status).toBeLessThan(300);
      await advance(2_000);
      return id;
    };
    const first = await usedOn();
    h.clock.advanceTo(Date.UTC(2026, 0, 20));
    await usedOn();
    await advance(5_000);

    const usage = await call(`/usage?period=2026-01&session_id=${first}`, viewer);
    expect(usage.status).toBe(200);
    const meters = usage.json.data['meters'] as { meter: string; quantity: number }[];
    expect(meters.map((m) => m.meter).sort()).toEqual([
      'agent_completion_tokens',
      'agent_prompt_tokens',
      'session_seconds',
      'tts_audio_ms',
      'tts_characters',
    ]);
    expect(meters.find((m) => m.meter === 'tts_characters')?.quantity).toBe(
      'You said: hello there'.length,
    );

    // Not before the month and its grace are over.
    expect(
      (await call('/invoices/close', platform, 'POST', { period: '2026-01', tenant_id: tenantId }))
        .status,
    ).toBe(409);
    h.clock.advanceTo(Date.UTC(2026, 1, 2, 1));
    expect((await call('/invoices/close', admin, 'POST', { period: '2026-01' })).status).toBe(403);
    const closed = await call('/invoices/close', platform, 'POST', {
      period: '2026-01',
      tenant_id: tenantId,
    });
    expect(closed.status).toBe(200);
    const [invoice] = closed.json.data['invoices'] as {
      id: string;
      total_micros: number;
      lines: { kind: string; amount_micros: number; description: string }[];
    }[];
    // The total is the sum of the lines, and of the period's ledger.
    const sum = invoice?.lines.reduce((a, l) => a + l.amount_micros, 0);
    expect(invoice?.total_micros).toBe(sum);
    expect(await h.db.repos.forTenant(tenantId).billing.balance('USD', '2026-01')).toBe(sum);
    // TTS characters at the list price before the 15th and the override after; time within the allowance.
    const tts = invoice?.lines.filter((l) => l.description.startsWith('tts_characters')) ?? [];
    expect(tts.map((l) => l.amount_micros).sort((a, b) => a - b)).toEqual([
      Math.round(('You said: hello there'.length * 15_000_000) / 1_000_000),
      Math.round(('You said: hello there'.length * 30_000_000) / 1_000_000),
    ]);
    expect(
      invoice?.lines.some(
        (l) => l.kind === 'credit' && l.description.startsWith('session_seconds'),
      ),
    ).toBe(true);
    // The override's minimum fee brings the month up to $1.
    expect(invoice?.total_micros).toBe(1_000_000);

    // Closing again changes nothing: the same invoice.
    const again = await call('/invoices/close', platform, 'POST', {
      period: '2026-01',
      tenant_id: tenantId,
    });
    expect((again.json.data['invoices'] as { id: string }[])[0]?.id).toBe(invoice?.id);
    // Read by the tenant's billing viewer; not by another tenant's.
    const listed = await call('/invoices', viewer);
    expect(listed.json.data.items?.map((i) => i['id'])).toEqual([invoice?.id]);
    expect((await call(`/invoices/${String(invoice?.id)}`, viewer)).json.data['total_micros']).toBe(
      1_000_000,
    );
    expect((await call(`/invoices/${String(invoice?.id)}`, otherViewer)).status).toBe(404);
    expect((await call(`/invoices?tenant_id=${tenantId}`, otherViewer)).status).toBe(403);
  });
});
