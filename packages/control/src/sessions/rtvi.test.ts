/**
 * The RTVI start endpoint where the server composes it: `POST /api/v1/rtvi/start` creates
 * an `rtvi` session (from a stored assistant when the body names one) and answers only the
 * connection parameters the Pipecat WebSocket transport accepts; both RTVI routes are in
 * the OpenAPI document. The WebSocket itself is exercised over the wire with Pipecat's
 * client in `apps/integration/src/rtvi.integration.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { composeVoiceControl, shutdownOnClock } from '../testing/composed.js';
import type { VoiceControl } from '../voice-control.js';

let h: ControlHarness;
let voice: VoiceControl;
let tenantId: string;
let admin: string;

beforeAll(async () => {
  h = await createControlHarness();
  const tenant = await h.tenant();
  tenantId = tenant.id;
  admin = await h.key(tenant.id, 'tenant_admin');
  voice = composeVoiceControl(h, {
    adapters: {
      asr: { provider: 'mock' },
      agent: { provider: 'mock' },
      tts: { provider: 'mock' },
      vad: { provider: 'energy' },
    },
    server: { shutdown_timeout_ms: 0, public_url: 'https://voice.example.com' },
  });
}, 60_000);

afterAll(() => shutdownOnClock(h, voice));

const post = (token: string, body: unknown) =>
  h.request('/api/v1/rtvi/start', { method: 'POST', token, body }, voice.control);

describe('POST /api/v1/rtvi/start', () => {
  it('creates an rtvi session and answers { wsUrl, token } only', async () => {
    const res = await post(admin, { provider_options: { asr: { transcript: 'hi' } } });
    expect(res.status).toBe(200);
    const params = (await res.json()) as Record<string, unknown>;
    expect(params).toEqual({
      wsUrl: 'wss://voice.example.com/api/v1/rtvi/ws',
      token: expect.stringMatching(/^sess_[0-9a-z]{26}\.[A-Za-z0-9_-]{43}$/),
    });
    const list = await h.request('/api/v1/sessions', { token: admin }, voice.control);
    const items = ((await list.json()) as { data: { items: Record<string, unknown>[] } }).data
      .items;
    expect(items[0]).toMatchObject({ channel: 'rtvi', tenant_id: tenantId });
  });

  it('refuses a credential that may not create sessions, an unknown assistant and a bad rate', async () => {
    const viewer = await h.key(tenantId, 'workspace_viewer');
    expect((await post(viewer, {})).status).toBe(403);
    const unknown = await post(admin, { assistant_id: 'ast_01m96mdfxje0est5nhy62ez3ce' });
    expect(unknown.status).toBe(404);
    const rate = await post(admin, { audio_out_sample_rate: 11025 });
    expect(rate.status).toBe(400);
    expect(((await rate.json()) as { error: { message: string } }).error.message).toBe(
      'Invalid body.audio_out_sample_rate: expected one of 8000, 16000, 22050, 24000, 44100, 48000',
    );
  });

  it('is documented with the WebSocket in the OpenAPI document', async () => {
    const res = await h.request('/api/v1/openapi.json', { token: admin }, voice.control);
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    expect(doc.paths['/rtvi/start']?.['post']).toBeDefined();
    expect(doc.paths['/rtvi/ws']?.['get']).toBeDefined();
  });
});
