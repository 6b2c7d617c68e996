/**
 * The public contract's way to exercise tool paths without a model, where a user meets
 * it: a text turn `call <tool> <JSON arguments>` to a session on the `mock` agent makes
 * it call the tool (`agent.tool_call`), the session answers with the tool's result — here
 * a clean error, as the session has no such tool — and the agent says it; the call is
 * metered.
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

describe('mock agent tool calls', () => {
  it('calls the tool named in `call <tool> <JSON>`, then says its result', async () => {
    const tenant = await h.tenant('growth');
    const token = await h.key(tenant.id, 'tenant_admin');
    const created = await h.request(
      '/api/v1/sessions',
      { method: 'POST', token, body: { channel: 'websocket' } },
      voice.control,
    );
    const id = ((await created.json()) as { data: { id: string } }).data.id;
    await settle();
    const events: AnyVoiceEvent[] = [];
    voice.manager
      .live(tenant.id as TenantId, id as SessionId)
      ?.emitter.addSink((e) => events.push(e));
    const turn = await h.request(
      `/api/v1/sessions/${id}/turns`,
      { method: 'POST', token, body: { text: 'call get_time {"zone": "UTC"}' } },
      voice.control,
    );
    expect(turn.status).toBe(202);
    // The answer is spoken (the mock TTS: 50 ms a character) before the turn completes.
    for (let i = 0; i < 200; i++) {
      h.clock.advance(100);
      await settle();
    }
    const data = (type: string) => events.filter((e) => e.type === type).map((e) => e.data);
    expect(data('prx.voice.agent.tool_call')).toMatchObject([
      { name: 'get_time', arguments: { zone: 'UTC' } },
    ]);
    expect(data('prx.voice.agent.tool_result')).toMatchObject([{ name: 'get_time', ok: false }]);
    const completed = data('prx.voice.turn.completed')[0] as { assistant_text: string };
    expect(completed.assistant_text).toMatch(/^The get_time tool returned: .*get_time/);
    expect(data('prx.voice.governance.usage_recorded')).toContainEqual(
      expect.objectContaining({ meter: 'tool_calls', provider: 'get_time', quantity: 1 }),
    );
  });
});
