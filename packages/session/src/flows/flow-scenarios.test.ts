/**
 * Conversation flows on the simulated clock: the node decides each request's messages
 * and tools, a function's result moves the flow in one step, pre- and post-actions,
 * global functions and context strategies.
 */
import { describe, expect, it } from 'vitest';
import { fakeAnswer } from '@prx-voice/adapter/testing';
import { assertGapFree } from '@prx-voice/event/testing';
import type { Scenario } from '../testing/scenario.js';
import { BOOKING_LINE, callStep, createFlowScenario } from '../testing/flow-fixtures.js';

const dataOf = (s: Scenario, type: string): Record<string, unknown>[] =>
  s.events.filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);

describe('flows: a two-node flow end to end', () => {
  it('enters the initial node at start, moves on a function result in one step, speaks the pre-action, asks again', async () => {
    const { s, agent } = await createFlowScenario({
      runs: [callStep('c1', 'set_party_size', { size: 4 }), fakeAnswer('What time?')],
      systemPrompt: 'Be brief.',
    });
    expect(dataOf(s, 'prx.voice.flow.node_entered')).toEqual([
      { node: 'greeting', from: null, reason: 'start' },
    ]);
    s.actor.dispatch({ type: 'text_input', text: 'a table for four' });
    await s.advance(3000);
    // The first request: the greeting node's messages and tools (its own, then the global ones).
    const [first, second] = agent.requests;
    expect(first?.conversation).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'system', content: 'You are the host of Chez Flow.' },
      { role: 'system', content: 'Ask how many people are coming.' },
      { role: 'user', content: 'a table for four' },
    ]);
    expect(first?.tools.map((t) => t.name)).toEqual([
      'set_party_size',
      'get_hours',
      'start_over',
      'talk_to_person',
    ]);
    // The result moved the flow: exited, entered, the line said — all in the result's step.
    const types = s.types();
    const at = (t: string) => types.indexOf(t);
    expect(at('prx.voice.agent.tool_result')).toBeLessThan(at('prx.voice.flow.node_exited'));
    expect(dataOf(s, 'prx.voice.flow.node_exited')).toEqual([
      { node: 'greeting', to: 'booking', reason: 'transition_to', function: 'set_party_size' },
    ]);
    expect(dataOf(s, 'prx.voice.flow.node_entered')[1]).toEqual({
      node: 'booking',
      from: 'greeting',
      reason: 'transition_to',
      function: 'set_party_size',
    });
    const transition = s.steps.find((r) =>
      r.commands.some((c) => c.type === 'emit' && c.event === 'prx.voice.flow.node_exited'),
    );
    const emitted = (transition?.commands ?? []).flatMap((c) =>
      c.type === 'emit' ? [c.event] : [],
    );
    expect(emitted).toEqual(
      expect.arrayContaining([
        'prx.voice.agent.tool_result',
        'prx.voice.flow.node_exited',
        'prx.voice.flow.node_entered',
        'prx.voice.tts.segment_queued',
        'prx.voice.agent.thinking_started',
      ]),
    );
    expect(dataOf(s, 'prx.voice.tts.segment_queued').map((d) => d.text)).toEqual([
      BOOKING_LINE,
      'What time?',
    ]);
    // The second request: the booking node's tools, and its context (reset with a summary).
    expect(second?.tools.map((t) => t.name)).toEqual([
      'check_time',
      'get_hours',
      'start_over',
      'talk_to_person',
    ]);
    expect(second?.conversation[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(second?.conversation.at(-1)).toEqual({ role: 'system', content: 'Ask for the time.' });
    // The own function's result is its arguments, kept in the flow state.
    expect(dataOf(s, 'prx.voice.agent.tool_result')).toMatchObject([
      { name: 'set_party_size', ok: true },
    ]);
    const flow = s.actor.model.flow;
    expect(flow?.node).toBe('booking');
    expect(flow?.collected).toEqual({ set_party_size: { size: 4 } });
    expect(flow?.history.map((h) => h.node)).toEqual(['greeting', 'booking']);
    expect(dataOf(s, 'prx.voice.turn.completed')).toMatchObject([
      { assistant_text: `${BOOKING_LINE} What time?`, interrupted: false },
    ]);
    expect(s.actor.model.conversation.at(-1)).toEqual({
      role: 'assistant',
      content: `${BOOKING_LINE} What time?`,
    });
    assertGapFree(s.events);
  });

  it('a tool-backed function chooses the node by its result, and a post-action ends the call', async () => {
    const { s, agent, signals } = await createFlowScenario({
      runs: [
        callStep('c1', 'set_party_size', { size: 2 }),
        fakeAnswer('What time?'),
        callStep('c2', 'check_time', { time: '19:00' }),
        fakeAnswer('Booked for seven. Goodbye!'),
      ],
    });
    s.actor.dispatch({ type: 'text_input', text: 'two people' });
    await s.advance(3000);
    s.actor.dispatch({ type: 'text_input', text: 'seven pm' });
    await s.advance(5000);
    expect(signals).toHaveLength(1);
    expect(dataOf(s, 'prx.voice.agent.tool_call').map((d) => d.name)).toEqual([
      'set_party_size',
      'check_time',
    ]);
    // The call ran the `availability` tool but is named by the function the agent called.
    expect(dataOf(s, 'prx.voice.agent.tool_result')[1]).toMatchObject({
      name: 'check_time',
      ok: true,
    });
    expect(dataOf(s, 'prx.voice.flow.node_exited').at(-1)).toEqual({
      node: 'booking',
      to: 'confirm',
      reason: 'transition_on',
      function: 'check_time',
    });
    // confirm resets the context: the prompt-less session sees only the node's message.
    expect(agent.requests[3]?.conversation).toEqual([
      { role: 'system', content: 'Confirm the booking and say goodbye.' },
    ]);
    expect(agent.requests[3]?.tools.map((t) => t.name)).toEqual([
      'get_hours',
      'start_over',
      'talk_to_person',
    ]);
    expect(s.actor.model.flow?.collected.check_time).toEqual({ available: true, time: '19:00' });
    // The answer was heard to the end, then the post-action closed the session.
    const turns = dataOf(s, 'prx.voice.turn.completed');
    expect(turns.at(-1)).toMatchObject({ assistant_text: 'Booked for seven. Goodbye!' });
    expect(dataOf(s, 'prx.voice.session.closed')).toMatchObject([
      { outcome: 'completed', reason: 'booked', turn_count: 2 },
    ]);
    assertGapFree(s.events);
  });

  it('pre-actions with end_call: the line is spoken in the run, the agent is not asked, the call ends', async () => {
    const { s, agent } = await createFlowScenario({
      runs: [
        callStep('c1', 'set_party_size', { size: 2 }),
        fakeAnswer('What time?'),
        callStep('c2', 'check_time', {}),
      ],
      available: false,
    });
    s.actor.dispatch({ type: 'text_input', text: 'two' });
    await s.advance(3000);
    s.actor.dispatch({ type: 'text_input', text: 'now' });
    await s.advance(5000);
    expect(agent.requests).toHaveLength(3);
    expect(s.actor.model.flow?.node).toBe('full');
    expect(dataOf(s, 'prx.voice.turn.completed').at(-1)).toMatchObject({
      assistant_text: 'Sorry, we are full.',
      interrupted: false,
    });
    expect(dataOf(s, 'prx.voice.session.closed')).toMatchObject([
      { outcome: 'completed', reason: 'flow_end_call' },
    ]);
    assertGapFree(s.events);
  });

  it('a transfer action asks for the handoff (HandoffPending)', async () => {
    const asked: unknown[] = [];
    const { s } = await createFlowScenario({
      runs: [callStep('c1', 'talk_to_person', {})],
      // A transfer that has not answered yet.
      handoff: { perform: (request) => (asked.push(request), new Promise<void>(() => undefined)) },
    });
    s.actor.dispatch({ type: 'text_input', text: 'a person please' });
    await s.advance(2000);
    expect(s.actor.model.flow?.node).toBe('transfer_desk');
    expect(s.actor.model.machine.value).toBe('HandoffPending');
    expect(s.states().at(-1)).toBe('HandoffPending');
    expect(asked).toEqual([{ target: { type: 'phone', number: '+15550100' }, trigger: 'flow' }]);
  });
});

describe('flows: functions', () => {
  it('a global function is offered in every node; without a transition the node stays', async () => {
    const { s, agent } = await createFlowScenario({
      runs: [callStep('c1', 'get_hours', {}), fakeAnswer('We open at noon.')],
    });
    s.actor.dispatch({ type: 'text_input', text: 'when are you open' });
    await s.advance(3000);
    expect(dataOf(s, 'prx.voice.agent.tool_result')).toMatchObject([
      { name: 'get_hours', ok: true },
    ]);
    expect(s.types()).not.toContain('prx.voice.flow.node_exited');
    expect(s.actor.model.flow?.node).toBe('greeting');
    expect(s.actor.model.flow?.collected).toEqual({ get_hours: '12:00 to 23:00' });
    expect(agent.requests[1]?.conversation.at(-1)).toEqual({
      role: 'tool',
      toolCallId: 'c1',
      name: 'get_hours',
      content: '12:00 to 23:00',
    });
  });

  it('invalid arguments and functions of another node are errors the agent sees; no transition', async () => {
    const { s } = await createFlowScenario({
      runs: [
        [
          {
            type: 'tool_call',
            call: { id: 'c1', name: 'set_party_size', arguments: { size: 40 } },
          },
          { type: 'tool_call', call: { id: 'c2', name: 'check_time', arguments: {} } },
          { type: 'done', finishReason: 'tool_calls' },
        ],
        fakeAnswer('How many?'),
      ],
    });
    s.actor.dispatch({ type: 'text_input', text: 'forty' });
    await s.advance(3000);
    const results = dataOf(s, 'prx.voice.agent.tool_result');
    expect(results).toMatchObject([
      { name: 'set_party_size', ok: false, error: { code: 'VALIDATION_FAILED' } },
      { name: 'check_time', ok: false, error: { code: 'VALIDATION_FAILED' } },
    ]);
    expect((results[1]?.error as { message: string }).message).toMatch(
      /No function "check_time" in node "greeting"/,
    );
    expect(s.actor.model.flow?.node).toBe('greeting');
    expect(s.actor.model.flow?.collected).toEqual({});
  });
});

describe('flows: context strategies', () => {
  const runs = () => [callStep('c1', 'set_party_size', { size: 3 }), fakeAnswer('What time?')];

  it('append keeps the conversation and adds the node’s messages', async () => {
    const { s, agent } = await createFlowScenario({ runs: runs(), strategy: 'append' });
    s.actor.dispatch({ type: 'text_input', text: 'three of us' });
    await s.advance(3000);
    const conv = agent.requests[1]?.conversation ?? [];
    expect(conv.map((m) => m.role)).toEqual([
      'system',
      'system',
      'user',
      'assistant',
      'tool',
      'system',
    ]);
    expect(conv.at(-1)).toEqual({ role: 'system', content: 'Ask for the time.' });
  });

  it('reset keeps only the system prompt and the node’s messages', async () => {
    const { s, agent } = await createFlowScenario({
      runs: runs(),
      strategy: 'reset',
      systemPrompt: 'P',
    });
    s.actor.dispatch({ type: 'text_input', text: 'three of us' });
    await s.advance(3000);
    expect(agent.requests[1]?.conversation).toEqual([
      { role: 'system', content: 'P' },
      { role: 'system', content: 'Ask for the time.' },
    ]);
  });

  it('reset_with_summary keeps a deterministic summary of what was said and collected', async () => {
    const { s, agent } = await createFlowScenario({ runs: runs(), strategy: 'reset_with_summary' });
    s.actor.dispatch({ type: 'text_input', text: 'three of us' });
    await s.advance(3000);
    expect(agent.requests[1]?.conversation).toEqual([
      {
        role: 'system',
        content:
          'Summary of the conversation so far:\n- User: three of us\nCollected: {"set_party_size":{"size":3}}',
      },
      { role: 'system', content: 'Ask for the time.' },
    ]);
  });
});
