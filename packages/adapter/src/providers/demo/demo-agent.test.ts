import { SimulatedClock } from '@prx-voice/core/testing';
import { describe, expect, it } from 'vitest';
import type { ConversationMessage, ToolDefinition } from '../../interfaces.js';
import { drainOnClock } from '../../testing/drive.js';
import { DEMO_FLOW, DEMO_TOOL_PARAMETERS, DEMO_TOOLS } from './demo-contract.js';
import { createDemoAgent } from './demo-agent.js';

const user = (content: string): ConversationMessage => ({ role: 'user', content });
const TOOLS: ToolDefinition[] = Object.values(DEMO_TOOLS).map((name) => ({
  name,
  description: name,
  parameters: DEMO_TOOL_PARAMETERS[name],
}));

describe('the demo agent', () => {
  it('says its answer one word per token, token_delay_ms apart', async () => {
    const clock = new SimulatedClock();
    const start = clock.now();
    const events = await drainOnClock(
      createDemoAgent({ clock }).run({
        conversation: [user('when are you open')],
        tools: TOOLS,
        options: { token_delay_ms: 10 },
        signal: new AbortController().signal,
      }),
      clock,
    );
    const tokens = events.flatMap((e) => (e.type === 'token' ? [e.text] : []));
    expect(tokens.join('')).toBe('We are open from noon to 10 pm, every day except Monday.');
    expect(events.slice(-2)).toEqual([
      { type: 'usage', promptTokens: 4, completionTokens: tokens.length },
      { type: 'done', finishReason: 'stop' },
    ]);
    expect(clock.now() - start).toBe(10 * tokens.length);
  });

  it('calls a tool of the run with a stable id, and ends the round with tool_calls', async () => {
    const clock = new SimulatedClock();
    const conversation = [user('is there a table for 2 on Sunday at 1pm')];
    const run = () =>
      drainOnClock(
        createDemoAgent({ clock }).run({
          conversation,
          tools: TOOLS,
          signal: new AbortController().signal,
        }),
        clock,
      );
    const events = await run();
    expect(events).toEqual([
      {
        type: 'tool_call',
        call: {
          id: 'demo_call_1',
          name: 'check_availability',
          arguments: { party_size: 2, day: 'sunday', time: '13:00' },
        },
      },
      { type: 'usage', promptTokens: 10, completionTokens: 0 },
      { type: 'done', finishReason: 'tool_calls' },
    ]);
    expect(await run()).toEqual(events);
  });

  it('calls the flow node’s function it is offered: start_booking in info', async () => {
    const clock = new SimulatedClock();
    const tools: ToolDefinition[] = [
      ...DEMO_FLOW.nodes.info.functions,
      ...DEMO_FLOW.global_functions,
    ].map((f) => ({ name: f.name, description: f.description, parameters: {} }));
    const events = await drainOnClock(
      createDemoAgent({ clock }).run({
        conversation: [user('is there a table for 2 on Sunday at 1pm')],
        tools,
        signal: new AbortController().signal,
      }),
      clock,
    );
    expect(events[0]).toEqual({
      type: 'tool_call',
      call: {
        id: 'demo_call_1',
        name: 'start_booking',
        arguments: { party_size: 2, day: 'sunday', time: '13:00' },
      },
    });
  });

  it('says it cannot reach the booking system when the session has not got the tool', async () => {
    const clock = new SimulatedClock();
    const events = await drainOnClock(
      createDemoAgent({ clock }).run({
        conversation: [user('is there a table for 2 on Sunday at 1pm')],
        tools: [],
        signal: new AbortController().signal,
      }),
      clock,
    );
    expect(events.map((e) => (e.type === 'token' ? e.text : '')).join('')).toBe(
      'Sorry, I cannot reach the booking system here: this session has no check_availability tool.',
    );
  });

  it('stops at once when aborted, and refuses invalid options', async () => {
    const clock = new SimulatedClock();
    const controller = new AbortController();
    controller.abort();
    const agent = createDemoAgent({ clock });
    const events = await drainOnClock(
      agent.run({ conversation: [user('hello')], tools: [], signal: controller.signal }),
      clock,
    );
    expect(events).toEqual([]);
    expect(() => agent.validateOptions?.({ token_delay_ms: -1 })).toThrow(/token_delay_ms/);
    await expect(agent.healthCheck?.({ signal: controller.signal })).resolves.toMatchObject({
      healthy: true,
    });
  });
});
