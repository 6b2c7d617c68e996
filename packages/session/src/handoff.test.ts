/**
 * Handoff to a person in the session engine, on simulated time: the request stops the
 * answer and is announced with its target; the performer's success closes the session
 * (`handoff`); a failure, a timeout or no performer at all announce `handoff_failed` and
 * the conversation carries on with the failure line; the session ending first cancels it.
 */
import { describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import type { HandoffPerformer, HandoffRequest } from './handoff.js';
import { createScenario } from './testing/scenario.js';
import type { Scenario } from './testing/scenario.js';

type Data = Record<string, unknown>;
const dataOf = (s: Scenario, type: string): Data[] =>
  s.events.filter((e) => e.type === type).map((e) => e.data as Data);

/** A performer the test settles by hand. */
function manualPerformer() {
  const calls: { request: HandoffRequest; signal: AbortSignal }[] = [];
  const settlers: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  const performer: HandoffPerformer = {
    perform: (request, signal) => {
      calls.push({ request, signal });
      return new Promise<void>((resolve, reject) => settlers.push({ resolve, reject }));
    },
  };
  return { performer, calls, settlers };
}

const desk = { type: 'phone', number: '+14155550100' } as const;

async function speaking(s: Scenario): Promise<void> {
  s.actor.dispatch({ type: 'text_input', text: 'put me through to a person' });
  for (let i = 0; i < 100 && s.actor.model.machine.value !== 'Speaking'; i++) await s.advance(20);
  expect(s.actor.model.machine.value).toBe('Speaking');
}

describe('handoff', () => {
  it('stops the answer, announces the target, and closes as handed off once it takes', async () => {
    const m = manualPerformer();
    const s = await createScenario({ handoff: m.performer });
    await speaking(s);
    s.actor.dispatch({
      type: 'handoff_request',
      target: desk,
      reason: 'billing question',
      trigger: 'api',
    });
    await s.advance(100);
    expect(s.actor.model.machine.value).toBe('HandoffPending');
    expect(s.output.clears).toBe(1);
    expect(dataOf(s, 'prx.voice.session.handoff_requested')).toEqual([
      { target: desk, reason: 'billing question', trigger: 'api', from: 'Speaking' },
    ]);
    expect(m.calls.map((c) => c.request)).toEqual([
      { target: desk, reason: 'billing question', trigger: 'api' },
    ]);
    // Caller speech and text turns wait: the transfer is under way.
    s.actor.dispatch({ type: 'text_input', text: 'hello?' });
    await s.speak(400);
    expect(s.actor.model.machine.value).toBe('HandoffPending');
    m.settlers[0]?.resolve();
    await s.settle();
    expect(dataOf(s, 'prx.voice.session.handoff_completed')).toEqual([
      { target: desk, duration_ms: expect.any(Number) as number },
    ]);
    expect(dataOf(s, 'prx.voice.session.closed')).toMatchObject([
      { outcome: 'handoff', reason: 'handoff_completed' },
    ]);
    expect(dataOf(s, 'prx.voice.session.state_changed').at(-1)).toMatchObject({
      from: 'HandoffPending',
      to: 'Closed',
      trigger: 'HANDOFF_CONFIRMED',
    });
    expect(await s.actor.closed).toBe('handoff');
  });

  it('on failure says the failure line and carries on listening', async () => {
    const m = manualPerformer();
    const s = await createScenario({
      handoff: m.performer,
      settings: { handoffFailureMessage: 'Sorry, nobody is free.' },
    });
    s.actor.dispatch({ type: 'handoff_request', target: desk, trigger: 'tool' });
    await s.settle();
    m.settlers[0]?.reject(
      new VoiceError('PROVIDER_UNAVAILABLE', { message: 'Twilio answered 503' }),
    );
    await s.advance(3000);
    expect(dataOf(s, 'prx.voice.session.handoff_failed')).toEqual([
      {
        target: desk,
        reason: 'error',
        error: { code: 'PROVIDER_UNAVAILABLE', message: 'Twilio answered 503', retryable: true },
        duration_ms: expect.any(Number) as number,
      },
    ]);
    expect(s.states()).toContain('HandoffPending');
    expect(dataOf(s, 'prx.voice.turn.completed')).toMatchObject([
      { user_text: '', assistant_text: 'Sorry, nobody is free.' },
    ]);
    expect(s.actor.model.machine.value).toBe('Listening');
    s.actor.dispatch({ type: 'text_input', text: 'ok then' });
    await s.advance(3000);
    expect(dataOf(s, 'prx.voice.turn.completed').at(-1)).toMatchObject({
      assistant_text: 'You said: ok then',
    });
  });

  it('gives up after session.timeouts.handoff_s; a late success changes nothing', async () => {
    const m = manualPerformer();
    const s = await createScenario({ handoff: m.performer, settings: {} });
    s.actor.dispatch({ type: 'handoff_request', target: desk, trigger: 'flow' });
    await s.settle();
    const timeout = s.settings.stateTimeoutsMs.HandoffPending ?? 0;
    await s.advance(timeout - 100);
    expect(s.actor.model.machine.value).toBe('HandoffPending');
    await s.advance(200);
    expect(m.calls[0]?.signal.aborted).toBe(true);
    expect(dataOf(s, 'prx.voice.session.handoff_failed')).toMatchObject([
      { reason: 'timeout', error: { code: 'TIMEOUT' } },
    ]);
    expect(dataOf(s, 'prx.voice.session.state_changed')).toContainEqual({
      from: 'HandoffPending',
      to: 'Listening',
      trigger: 'STATE_TIMEOUT',
    });
    m.settlers[0]?.resolve();
    await s.advance(3000);
    expect(dataOf(s, 'prx.voice.session.handoff_completed')).toEqual([]);
    expect(s.actor.model.machine.value).toBe('Listening');
  });

  it('is refused while paused or already pending, and fails without a performer', async () => {
    const s = await createScenario();
    s.actor.dispatch({ type: 'pause' });
    s.actor.dispatch({ type: 'handoff_request', target: desk, trigger: 'api' });
    expect(dataOf(s, 'prx.voice.session.error')).toMatchObject([
      { code: 'SESSION_STATE_CONFLICT' },
    ]);
    s.actor.dispatch({ type: 'resume' });
    s.actor.dispatch({ type: 'handoff_request', target: desk, trigger: 'api' });
    s.actor.dispatch({ type: 'handoff_request', target: desk, trigger: 'api' });
    expect(dataOf(s, 'prx.voice.session.error')).toHaveLength(2);
    await s.advance(100);
    expect(dataOf(s, 'prx.voice.session.handoff_failed')).toMatchObject([
      { reason: 'error', error: { code: 'NOT_IMPLEMENTED' } },
    ]);
    expect(dataOf(s, 'prx.voice.session.handoff_requested')).toHaveLength(1);
  });

  it('is cancelled when the session ends first', async () => {
    const m = manualPerformer();
    const s = await createScenario({ handoff: m.performer });
    s.actor.dispatch({ type: 'handoff_request', target: desk, trigger: 'api' });
    await s.settle();
    s.actor.dispatch({ type: 'transport_closed' });
    await s.settle();
    expect(m.calls[0]?.signal.aborted).toBe(true);
    expect(dataOf(s, 'prx.voice.session.handoff_failed')).toMatchObject([{ reason: 'cancelled' }]);
    expect(dataOf(s, 'prx.voice.session.closed')).toMatchObject([{ outcome: 'caller_hangup' }]);
    expect(s.types().indexOf('prx.voice.session.handoff_failed')).toBeLessThan(
      s.types().indexOf('prx.voice.session.closed'),
    );
  });
});
