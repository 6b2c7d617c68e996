/**
 * A session's log lines, through the composed control plane: what goes wrong in a
 * session is logged with the ids an operator searches by — tenant, session, the trace
 * its events carry, and the turn and run when the failure belongs to one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from '../testing/composed.js';
import type { VoiceControl } from '../voice-control.js';

let h: ControlHarness;
let voice: VoiceControl;

beforeAll(async () => {
  h = await createControlHarness();
  voice = composeVoiceControl(h);
}, 60_000);

afterAll(() => shutdownOnClock(h, voice));

describe('session log lines', () => {
  it('carry tenant_id, session_id, trace_id, and turn_id/run_id when the failure has them', async () => {
    const tenant = await h.tenant('enterprise');
    const token = await h.key(tenant.id, 'workspace_developer');
    const created = await h.request(
      '/api/v1/sessions',
      { method: 'POST', token, body: { channel: 'websocket' } },
      voice.control,
    );
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { data: { id: string } }).data.id;
    await settle();
    const session = voice.manager.live(tenant.id as TenantId, id as SessionId);
    const seen: AnyVoiceEvent[] = [];
    session?.emitter.addSink((event) => {
      seen.push(event);
      if (event.type === 'prx.voice.turn.completed') throw new Error('sink broke');
    });

    const turn = await h.request(
      `/api/v1/sessions/${id}/turns`,
      { method: 'POST', token, body: { text: 'hello there' } },
      voice.control,
    );
    expect(turn.status).toBe(202);
    for (let i = 0; i < 30; i++) {
      h.clock.advance(100);
      await settle();
    }
    const completed = seen.find((e) => e.type === 'prx.voice.turn.completed');
    expect(completed).toBeDefined();
    const traceId = completed?.traceparent?.split('-')[1];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    const sinkLine = h.logged.find((l) => l.message.includes('event sink'));
    expect(sinkLine?.fields).toMatchObject({
      tenant_id: tenant.id,
      session_id: id,
      trace_id: traceId,
      turn_id: completed?.prxturnid,
      error: 'sink broke',
    });

    // A failure of the session as a whole: no turn, the same session ids.
    voice.manager.fence(tenant.id as TenantId, id as SessionId);
    const fenced = h.logged.find((l) => l.message.endsWith(': fenced'));
    expect(fenced?.fields).toEqual({
      tenant_id: tenant.id,
      session_id: id,
      trace_id: traceId,
      error: expect.stringContaining('ended on another instance') as unknown,
    });
  });
});
