/**
 * Retention where the server runs it: the composed control plane, started on a
 * simulated clock, sweeps every `audit.retention.sweep_interval_ms`; a session that ended
 * longer ago than `audit.retention.sessions_days` is gone (404) and the sweep is in the
 * tenant's audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlHarness } from './testing/control-harness.js';
import type { ControlHarness } from './testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from './testing/composed.js';
import type { VoiceControl } from './voice-control.js';

const MINUTE = 60_000;

let h: ControlHarness;
let voice: VoiceControl;

beforeAll(async () => {
  h = await createControlHarness();
  voice = composeVoiceControl(h, {
    audit: { retention: { sessions_days: 1, sweep_interval_ms: 10 * MINUTE } },
    observe: { degradation: { sample_ms: 10 * MINUTE } },
  });
  await voice.start();
}, 60_000);

afterAll(() => shutdownOnClock(h, voice));

describe('retention in the server', () => {
  it('deletes a session a day after it ended, and records the sweep', async () => {
    const tenant = await h.tenant('growth');
    const token = await h.key(tenant.id, 'tenant_admin');
    const call = (path: string, method = 'GET', body?: unknown) =>
      h.request(
        `/api/v1${path}`,
        { method, token, ...(body === undefined ? {} : { body }) },
        voice.control,
      );
    const created = await call('/sessions', 'POST', { channel: 'websocket' });
    const id = ((await created.json()) as { data: { id: string } }).data.id;
    await settle();
    expect((await call(`/sessions/${id}/end`, 'POST')).status).toBeLessThan(300);
    await settle();
    // Not yet a day: still there.
    for (let t = 0; t < 23 * 60; t += 10) {
      h.clock.advance(10 * MINUTE);
      await settle();
    }
    expect((await call(`/sessions/${id}`)).status).toBe(200);
    for (let t = 0; t < 2 * 60; t += 10) {
      h.clock.advance(10 * MINUTE);
      await settle();
    }
    expect((await call(`/sessions/${id}`)).status).toBe(404);
    const log = await call('/audit?action=retention.sweep');
    const items = ((await log.json()) as { data: { items: Record<string, unknown>[] } }).data.items;
    expect(items).toMatchObject([
      {
        actor_type: 'system',
        details: { deleted: { sessions: 1 }, periods_days: { sessions_days: 1 } },
      },
    ]);
  });
});
