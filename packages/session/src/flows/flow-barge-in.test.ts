/**
 * Barge-in around a flow's transition, and replay of a flow session, on the simulated clock.
 */
import { describe, expect, it } from 'vitest';
import { fakeAnswer } from '@prx-voice/adapter/testing';
import { replay } from '@prx-voice/event';
import { assertGapFree } from '@prx-voice/event/testing';
import type { StepRecord } from '../actor-types.js';
import type { SessionModel } from '../model.js';
import { initialModel, step } from '../reducer/step.js';
import type { Scenario } from '../testing/scenario.js';
import { BOOKING_LINE, callStep, createFlowScenario } from '../testing/flow-fixtures.js';

const dataOf = (s: Scenario, type: string): Record<string, unknown>[] =>
  s.events.filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);

async function until(s: Scenario, state: string, ms = 10_000): Promise<void> {
  for (let t = 0; t < ms && s.actor.model.machine.value !== state; t += 20) await s.advance(20);
}

describe('flows: barge-in around a transition', () => {
  it('before the tool result: the call is cancelled and the node does not change', async () => {
    const { s, signals } = await createFlowScenario({
      runs: [
        callStep('c1', 'set_party_size', { size: 2 }),
        fakeAnswer('What time?'),
        callStep('c2', 'check_time', { time: '19:00' }),
        fakeAnswer('Sure, what else?'),
      ],
      hold: true,
    });
    s.actor.dispatch({ type: 'text_input', text: 'two' });
    await s.advance(3000);
    s.actor.dispatch({ type: 'text_input', text: 'seven' });
    await s.advance(200);
    expect(signals).toHaveLength(1);
    expect(s.actor.model.run?.awaitingTools).toBe(true);
    s.actor.dispatch({ type: 'text_input', text: 'wait, actually' });
    await s.advance(3000);
    expect(signals[0]?.aborted).toBe(true);
    expect(dataOf(s, 'prx.voice.flow.node_exited')).toHaveLength(1); // greeting → booking only
    expect(s.actor.model.flow?.node).toBe('booking');
    expect(dataOf(s, 'prx.voice.interrupt.issued')).toHaveLength(1);
    expect(dataOf(s, 'prx.voice.turn.completed').at(-1)).toMatchObject({
      user_text: 'wait, actually',
      assistant_text: 'Sure, what else?',
    });
  });

  it('during the new node’s pre-action speech: the speech stops, the node stays entered', async () => {
    const { s, agent } = await createFlowScenario({
      runs: [
        callStep('c1', 'set_party_size', { size: 2 }),
        [...fakeAnswer('What time would you like?', 3000)],
        fakeAnswer('Go on.'),
      ],
    });
    s.actor.dispatch({ type: 'text_input', text: 'two' });
    await until(s, 'Speaking');
    expect(s.actor.model.flow?.node).toBe('booking');
    await s.advance(100); // a little of the line is heard
    await s.speak(600); // the caller talks over it
    await s.silence(4000);
    expect(dataOf(s, 'prx.voice.interrupt.issued')).toHaveLength(1);
    const [interrupted] = dataOf(s, 'prx.voice.turn.completed');
    expect(interrupted).toMatchObject({ interrupted: true });
    // Only part of the line was heard before the caller cut it off.
    const heard = String(interrupted?.assistant_text);
    expect(BOOKING_LINE.startsWith(heard)).toBe(true);
    expect(heard.length).toBeLessThan(BOOKING_LINE.length);
    expect(dataOf(s, 'prx.voice.interrupt.issued')).toEqual([
      { reason: 'barge_in', heard_text: heard },
    ]);
    expect(s.actor.model.flow?.node).toBe('booking');
    expect(dataOf(s, 'prx.voice.flow.node_entered').map((d) => d.node)).toEqual([
      'greeting',
      'booking',
    ]);
    // The next request is made in the booking node.
    expect(agent.requests[2]?.tools.map((t) => t.name)[0]).toBe('check_time');
    assertGapFree(s.events);
  });
});

describe('flows: replay', () => {
  it('reproduces the flow state, states and commands of a flow session exactly', async () => {
    const { s } = await createFlowScenario({
      runs: [
        callStep('c1', 'set_party_size', { size: 2 }),
        fakeAnswer('What time would you like?', 200),
        callStep('c2', 'check_time', { time: '19:00' }),
        fakeAnswer('Booked. Goodbye!'),
      ],
    });
    s.actor.dispatch({ type: 'text_input', text: 'two' });
    await until(s, 'Speaking');
    await s.advance(300);
    await s.speak(600); // a barge-in during the pre-action line
    await s.silence(3000);
    s.actor.dispatch({ type: 'text_input', text: 'seven' });
    await s.advance(5000);
    expect(s.actor.model.machine.value).toBe('Closed');
    const reducer = (model: SessionModel, record: StepRecord) => {
      const ids = [...record.ids];
      const r = step(model, record.input, { now: record.at, newId: () => ids.shift() ?? 'x' });
      return { state: r.model, commands: r.commands };
    };
    const steps = replay(
      reducer,
      initialModel({ sessionId: s.sessionId, tenantId: s.tenantId, settings: s.settings }),
      s.steps,
    );
    expect(steps.map((x) => x.commands)).toEqual(s.steps.map((r) => r.commands));
    expect(steps.at(-1)?.state).toEqual(s.actor.model);
    expect(steps.at(-1)?.state.flow?.history.map((h) => h.node)).toEqual([
      'greeting',
      'booking',
      'confirm',
    ]);
    // JSON-safe: the model survives a round trip through JSON unchanged.
    expect(JSON.parse(JSON.stringify(s.actor.model.flow))).toEqual(s.actor.model.flow);
  });
});
