/**
 * `transcript:read` through the app: the recorded turns need it; the session's events reach
 * a caller without it in full sequence, with their transcript fields redacted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProviders } from '@prx-voice/adapter';
import { createEventBus, createEventLog } from '@prx-voice/event';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { createAdmissionService } from '@prx-voice/policy';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { createSessionManager } from './session-manager.js';
import { sessionRoutes } from './session-routes.js';
import { REDACTED } from './transcript-redaction.js';

let h: ControlHarness;
let viewer: string;
let developer: string;
let sid: string;

async function settle(ms = 0): Promise<void> {
  for (let t = 0; t <= ms; t += 10) {
    if (t > 0) h.clock.advance(10);
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
  }
}

async function sse(token: string): Promise<AnyVoiceEvent[]> {
  const res = await h.request(`/api/v1/sessions/${sid}/events`, { token });
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => JSON.parse(l.slice('data:'.length)) as AnyVoiceEvent);
}

beforeAll(async () => {
  h = await createControlHarness();
  const bus = createEventBus();
  const log = createEventLog({ repos: h.db.repos, clock: h.clock, onError: () => undefined });
  const manager = createSessionManager({
    config: h.config,
    clock: h.clock,
    ids: h.ids,
    repos: h.db.repos,
    admission: createAdmissionService({ coordinator: h.coordinator, clock: h.clock }),
    providers: defaultProviders({ clock: h.clock }),
    bus,
    log,
    instanceId: 'transcript-test',
  });
  h.control.mount(
    sessionRoutes({
      manager,
      repos: h.db.repos,
      bus,
      log,
      socket: { authenticator: h.control.authenticator, clock: h.clock, maxFrameBytes: 65_536 },
    }),
  );
  // One session with a completed text turn, then ended, so its events are all in the log.
  const tenant = await h.tenant('enterprise');
  viewer = await h.key(tenant.id, 'workspace_viewer');
  developer = await h.key(tenant.id, 'workspace_developer');
  const created = await h.request('/api/v1/sessions', { method: 'POST', token: developer });
  sid = ((await created.json()) as { data: { id: string } }).data.id;
  await settle();
  const turn = await h.request(`/api/v1/sessions/${sid}/turns`, {
    method: 'POST',
    token: developer,
    body: { text: 'my secret words' },
  });
  expect(turn.status).toBe(202);
  await settle(3000);
  await h.request(`/api/v1/sessions/${sid}/end`, { method: 'POST', token: developer });
  await settle(100);
});
afterAll(() => h.close());

describe('transcript:read', () => {
  it('GET /sessions/{id}/turns: 403 FORBIDDEN for a viewer, the transcripts for a developer', async () => {
    const denied = await h.request(`/api/v1/sessions/${sid}/turns`, { token: viewer });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    const allowed = await h.request(`/api/v1/sessions/${sid}/turns`, { token: developer });
    expect(allowed.status).toBe(200);
    expect(((await allowed.json()) as { data: { items: unknown[] } }).data.items).toMatchObject([
      { user_text: 'my secret words', assistant_text: 'You said: my secret words' },
    ]);
    const doc = (await (await h.request('/api/v1/openapi.json')).json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    expect(doc.paths['/sessions/{session_id}/turns']?.['get']?.['x-permission']).toBe(
      'transcript:read',
    );
  });

  it('GET /sessions/{id}/events: every event for a viewer, transcripts redacted; in full for a developer', async () => {
    const full = await sse(developer);
    const redacted = await sse(viewer);
    expect(redacted.map((e) => [e.prxseq, e.type])).toEqual(full.map((e) => [e.prxseq, e.type]));
    expect(full.map((e) => e.prxseq)).toEqual(full.map((_, i) => i + 1));
    const spoken = (events: AnyVoiceEvent[]) =>
      events.flatMap((e) => {
        switch (e.type) {
          case 'prx.voice.agent.token_stream':
          case 'prx.voice.agent.response_complete':
          case 'prx.voice.tts.segment_queued':
            return [e.data.text];
          case 'prx.voice.turn.completed':
            return [e.data.user_text, e.data.assistant_text];
          default:
            return [];
        }
      });
    expect(spoken(full)).toContain('my secret words');
    expect(spoken(full)).toContain('You said: my secret words');
    const hidden = spoken(redacted);
    expect(hidden.length).toBe(spoken(full).length);
    expect(hidden.every((t) => t === REDACTED)).toBe(true);
    expect(JSON.stringify(redacted)).not.toContain('secret');
  });
});
