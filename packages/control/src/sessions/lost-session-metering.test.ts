/**
 * A lost session whose recovering instance died too, before its meters were written:
 * the started server finds it (ended `instance_lost`, no final time meter) and meters it —
 * the usage its durable log reports and its time — once, however often it looks again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSession } from '@prx-voice/storage/testing';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from '../testing/composed.js';
import type { VoiceControl } from '../voice-control.js';

let h: ControlHarness;
let voice: VoiceControl;

beforeAll(async () => {
  h = await createControlHarness();
  voice = composeVoiceControl(h, { observe: { degradation: { sample_ms: 600_000 } } });
  await voice.start();
}, 60_000);

afterAll(() => shutdownOnClock(h, voice));

describe('lost sessions whose metering did not finish', () => {
  it('are metered by a later pass, once', async () => {
    const tenant = await h.tenant('growth');
    const tenantId = tenant.id as TenantId;
    const t = h.db.repos.forTenant(tenantId);
    const started = h.clock.now();
    const row = await testSession(t, { channel: 'twilio', instanceId: 'gone-1' });
    const id = row.id as SessionId;
    const event = (seq: number, type: string, atMs: number, data: Record<string, unknown>) => ({
      sessionId: id,
      seq,
      id: `evt_lost${String(seq).padStart(22, '0')}`,
      type,
      time: new Date(started + atMs),
      severity: 'info',
      event: { type, data },
    });
    await t.events.append([
      event(1, 'prx.voice.session.state_changed', 0, { from: 'Idle', to: 'Listening' }),
      event(2, 'prx.voice.governance.usage_recorded', 4_200, {
        meter: 'tts_characters',
        quantity: 17,
        unit: 'character',
        provider: 'mock',
        idempotency_key: 'seg_1:tts_characters',
      }),
    ]);
    // Ended by a recovering instance that died before metering it.
    h.clock.advance(30_000);
    const ended = await h.db.repos.sessionRecovery.endAbandoned(
      tenantId,
      id,
      { outcome: 'error', closeReason: 'instance_lost' },
      (_before, lastSeq, endedAt) => [
        {
          ...event(lastSeq + 1, 'prx.voice.session.state_changed', 0, {
            from: 'Listening',
            to: 'Failed',
            trigger: 'instance_lost',
          }),
          time: endedAt,
        },
        { ...event(lastSeq + 2, 'prx.voice.session.failed', 0, {}), time: endedAt },
      ],
    );
    expect(ended).toBeDefined();

    const meters = async () =>
      (await t.billing.listUsage({ from: new Date(0), to: new Date(h.clock.now() + 1) })).items.map(
        (m) => [m.meter, m.quantity, m.provider, m.idempotency_key],
      );
    expect(await meters()).toEqual([]);
    // Two passes (every 5 minutes): metered on the first, nothing more on the second.
    for (let i = 0; i < 2 * 30; i++) {
      h.clock.advance(10_000);
      await settle();
    }
    expect(await meters()).toEqual([
      ['tts_characters', 17, 'mock', `${id}:seg_1:tts_characters`],
      // Up to its last event before the recovery (4.2 s: a started second counts), by channel.
      ['session_seconds', 5, 'twilio', `${id}:session_seconds:final`],
    ]);
    expect(h.logged.some((l) => l.message.startsWith('metered lost sessions'))).toBe(true);
  });
});
