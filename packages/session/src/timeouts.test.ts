import { describe, expect, it } from 'vitest';
import { createFakeAsr } from '@prx-voice/adapter/testing';
import { initialModel, step } from './reducer/step.js';
import { createScenario, scenarioSettings } from './testing/scenario.js';

type Data = Record<string, unknown>;

describe('per-state timeouts', () => {
  it('connecting: adapters that never become ready fail the session', () => {
    let m = initialModel({ sessionId: 'sess_x', tenantId: 'ten_x', settings: scenarioSettings() });
    const ctx = { now: 0, newId: () => 'x' };
    m = step(m, { type: 'start' }, ctx).model;
    const token = m.timers['state_timeout'];
    expect(token).toBeTypeOf('number');
    const r = step(
      m,
      { type: 'timer', name: 'state_timeout', token: token ?? -1 },
      { ...ctx, now: 10_000 },
    );
    expect(r.model.machine.value).toBe('Failed');
    expect(
      r.commands.find((c) => c.type === 'emit' && c.event === 'prx.voice.session.failed'),
    ).toMatchObject({ data: { code: 'PROVIDER_TIMEOUT' } });
  });

  it('ASR: no final in time → an asr.error and back to listening', async () => {
    const s = await createScenario({
      providers: (clock) => ({ asr: createFakeAsr({ clock, steps: [] }) }),
    });
    await s.speak(600);
    await s.silence(1000);
    expect(s.actor.model.machine.value).toBe('AsrProcessing');
    await s.advance(10_000);
    expect(s.actor.model.machine.value).toBe('Listening');
    expect(
      s.events.filter((e) => e.type === 'prx.voice.asr.error').map((e) => (e.data as Data).code),
    ).toEqual(['PROVIDER_TIMEOUT']);
  });

  it('speaking: an answer longer than the speaking timeout is cut and the session listens again', async () => {
    const s = await createScenario({
      settings: { stateTimeoutsMs: { ...scenarioSettings().stateTimeoutsMs, Speaking: 500 } },
    });
    s.actor.dispatch({ type: 'text_input', text: 'please say something rather long for a change' });
    await s.advance(1500);
    expect(s.actor.model.machine.value).toBe('Listening');
    expect(s.events.some((e) => e.type === 'prx.voice.playback.flushed')).toBe(true);
    expect(
      s.events
        .filter((e) => e.type === 'prx.voice.turn.completed')
        .map((e) => (e.data as Data).interrupted),
    ).toEqual([false]);
  });

  it('sustained speech over the bot without a word interrupts after sustained_speech_ms', async () => {
    const s = await createScenario({ providerOptions: { asr: { transcript: '' } } });
    s.actor.dispatch({ type: 'text_input', text: 'tell me a story about a very long road' });
    for (let i = 0; i < 100 && s.actor.model.machine.value !== 'Speaking'; i++) await s.advance(20);
    await s.advance(300); // the caller has heard the bot
    await s.speak(6000); // long speech the ASR cannot make out
    expect(s.events.map((e) => e.type)).toContain('prx.voice.interrupt.issued');
    // Interrupted is only passed through: the caller speaks, the bot listens.
    expect(s.actor.model.machine.value).toBe('UserSpeaking');
    expect(s.actor.model.interruption).toBeNull();
  });

  it('paused: a session left paused closes', async () => {
    const s = await createScenario({
      settings: { stateTimeoutsMs: { ...scenarioSettings().stateTimeoutsMs, Paused: 60_000 } },
    });
    s.actor.dispatch({ type: 'pause' });
    await s.advance(60_010);
    expect(
      s.events.filter((e) => e.type === 'prx.voice.session.closed').map((e) => e.data),
    ).toMatchObject([{ outcome: 'idle_timeout', reason: 'paused_timeout' }]);
  });
});
