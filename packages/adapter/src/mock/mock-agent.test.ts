import { SimulatedClock } from '@prx-voice/core/testing';
import { describe, expect, it } from 'vitest';
import type { AgentEvent, ConversationMessage } from '../interfaces.js';
import { drainOnClock, settle } from '../testing/drive.js';
import { createMockAgent, mockAgentReply, mockAgentToolCall } from './mock-agent.js';

const user = (content: string): ConversationMessage => ({ role: 'user', content });

describe('mock agent', () => {
  it('answers "You said: …" one word per token, token_delay_ms apart, then usage and done', async () => {
    const clock = new SimulatedClock();
    const start = clock.now();
    const agent = createMockAgent({ clock });
    const times: number[] = [];
    const conversation: ConversationMessage[] = [
      { role: 'system', content: 'Be brief.' },
      user('book a table'),
    ];
    const events = await drainOnClock(
      agent.run({
        conversation,
        tools: [],
        options: { token_delay_ms: 50 },
        signal: new AbortController().signal,
      }),
      clock,
      { onItem: () => times.push(clock.now() - start) },
    );
    expect(events).toEqual([
      { type: 'token', text: 'You ' },
      { type: 'token', text: 'said: ' },
      { type: 'token', text: 'book ' },
      { type: 'token', text: 'a ' },
      { type: 'token', text: 'table' },
      { type: 'usage', promptTokens: 5, completionTokens: 5 },
      { type: 'done', finishReason: 'stop' },
    ]);
    expect(times).toEqual([50, 100, 150, 200, 250, 250, 250]);
    const text = events.map((e) => (e.type === 'token' ? e.text : '')).join('');
    expect(text).toBe('You said: book a table');
  });

  it('waits 20 ms per token by default and answers the last user message', async () => {
    const clock = new SimulatedClock();
    const start = clock.now();
    const agent = createMockAgent({ clock });
    const events = await drainOnClock(
      agent.run({
        conversation: [user('first'), { role: 'assistant', content: 'ok' }, user('second')],
        tools: [],
        signal: new AbortController().signal,
      }),
      clock,
    );
    expect(events.filter((e) => e.type === 'token').map((e) => e.text)).toEqual([
      'You ',
      'said: ',
      'second',
    ]);
    expect(clock.now() - start).toBe(60);
  });

  it('calls a tool for `call <tool> <JSON object>`, then says its result', async () => {
    const clock = new SimulatedClock();
    const agent = createMockAgent({ clock });
    const conversation = [user('call get_time {"zone": "Europe/Paris"}')];
    const events = await drainOnClock(
      agent.run({ conversation, tools: [], signal: new AbortController().signal }),
      clock,
    );
    expect(events).toEqual([
      {
        type: 'tool_call',
        call: { id: 'call_mock_1', name: 'get_time', arguments: { zone: 'Europe/Paris' } },
      },
      { type: 'usage', promptTokens: 4, completionTokens: 0 },
      { type: 'done', finishReason: 'tool_calls' },
    ]);
    // Not a call: a bad name, arguments that are not a JSON object, or not the last message.
    for (const text of ['call get time {}', 'call x [1]', 'call x {oops}', 'please call x {}'])
      expect(mockAgentToolCall([user(text)]), text).toBeUndefined();
    expect(
      mockAgentToolCall([user('call x {}'), { role: 'assistant', content: 'ok' }]),
    ).toBeUndefined();
  });

  it('chains `call A {…} then call B {…}`: B once A has answered, its `{{field}}` from A’s result', () => {
    const text =
      'call lookup_order {"order_id": "A1"} then call track_parcel {"carrier": "{{carrier}}", "parcel": "{{parcel}}", "note": "{{missing}}"}';
    const c: ConversationMessage[] = [user(text)];
    expect(mockAgentToolCall(c)).toEqual({
      id: 'call_mock_1',
      name: 'lookup_order',
      arguments: { order_id: 'A1' },
    });
    const first = '{"carrier":"fjord","parcel":"P9"}';
    c.push(
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'c1', name: 'lookup_order', arguments: {} }],
      },
      { role: 'tool', toolCallId: 'c1', name: 'lookup_order', content: first },
    );
    // A field the result has not got stays as written.
    expect(mockAgentToolCall(c)).toEqual({
      id: 'call_mock_3',
      name: 'track_parcel',
      arguments: { carrier: 'fjord', parcel: 'P9', note: '{{missing}}' },
    });
    expect(mockAgentReply(c)).toBe(`The lookup_order tool returned: ${first}`);
    c.push(
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'c2', name: 'track_parcel', arguments: {} }],
      },
      { role: 'tool', toolCallId: 'c2', name: 'track_parcel', content: 'in Oslo' },
    );
    // Every step has answered: no more calls, and the answer says both results.
    expect(mockAgentToolCall(c)).toBeUndefined();
    expect(mockAgentReply(c)).toBe(
      `The lookup_order tool returned: ${first} The track_parcel tool returned: in Oslo`,
    );
    // A failed step ends the chain: the answer says what came back.
    const failed: ConversationMessage[] = [
      user(text),
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'c1', name: 'lookup_order', arguments: {} }],
      },
      {
        role: 'tool',
        toolCallId: 'c1',
        name: 'lookup_order',
        content: '{"error":{"code":"TOOL_FAILED"}}',
      },
    ];
    expect(mockAgentToolCall(failed)).toBeUndefined();
    expect(mockAgentReply(failed)).toBe(
      'The lookup_order tool returned: {"error":{"code":"TOOL_FAILED"}}',
    );
    // A chain with a step that is not a call is no call at all.
    expect(mockAgentToolCall([user('call a {} then call b [1]')])).toBeUndefined();
  });

  it('answers a tool result with a sentence that mentions it', () => {
    expect(
      mockAgentReply([
        user('weather?'),
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'c1', name: 'weather', arguments: {} }],
        },
        { role: 'tool', toolCallId: 'c1', name: 'weather', content: 'sunny, 21 °C' },
      ]),
    ).toBe('The weather tool returned: sunny, 21 °C');
    expect(mockAgentReply([])).toBe('You said:');
  });

  it('stops at once on abort: no event after it, no error, no timer left', async () => {
    const clock = new SimulatedClock();
    const agent = createMockAgent({ clock });
    const controller = new AbortController();
    const events: AgentEvent[] = [];
    let finished = false;
    void (async () => {
      for await (const event of agent.run({
        conversation: [user('one two three four')],
        tools: [],
        signal: controller.signal,
      })) {
        events.push(event);
      }
      finished = true;
    })();
    clock.advance(20);
    await settle();
    clock.advance(20);
    await settle();
    expect(events).toEqual([
      { type: 'token', text: 'You ' },
      { type: 'token', text: 'said: ' },
    ]);
    controller.abort();
    await settle();
    expect(finished).toBe(true);
    expect(clock.pendingCount).toBe(0);
    clock.advance(1000);
    await settle();
    expect(events).toHaveLength(2);
  });

  it('yields nothing when the signal is already aborted', async () => {
    const clock = new SimulatedClock();
    const events = await drainOnClock(
      createMockAgent({ clock }).run({
        conversation: [user('hi')],
        tools: [],
        signal: AbortSignal.abort(),
      }),
      clock,
    );
    expect(events).toEqual([]);
  });

  it('streams without timers when token_delay_ms is 0, and rejects a negative delay', async () => {
    const clock = new SimulatedClock();
    const agent = createMockAgent({ clock });
    const events: AgentEvent[] = [];
    for await (const event of agent.run({
      conversation: [user('hi')],
      tools: [],
      options: { token_delay_ms: 0 },
      signal: new AbortController().signal,
    })) {
      events.push(event);
    }
    expect(events).toHaveLength(5);
    const run = agent.run({
      conversation: [user('hi')],
      tools: [],
      options: { token_delay_ms: -1 },
      signal: new AbortController().signal,
    });
    await expect(drainOnClock(run, clock)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { provider: 'mock' },
    });
  });
});
