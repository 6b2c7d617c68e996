import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import type { AgentEvent, ConversationMessage } from '../interfaces.js';
import { drainOnClock, settle } from './drive.js';
import { createFakeAgent, fakeAnswer, fakeTokens } from './fake-agent.js';

const signal = (): AbortSignal => new AbortController().signal;

describe('createFakeAgent', () => {
  it('plays each run’s steps at their delays and records every request', async () => {
    const clock = new SimulatedClock();
    const start = clock.now();
    const call = { id: 'c1', name: 'weather', arguments: { city: 'Oslo' } };
    const agent = createFakeAgent({
      clock,
      runs: [
        [
          { type: 'tool_call', call, delayMs: 100 },
          { type: 'done', finishReason: 'tool_calls' },
        ],
        fakeAnswer('It is cold.', 30),
      ],
    });
    const conversation: ConversationMessage[] = [{ role: 'user', content: 'Weather in Oslo?' }];
    const times: number[] = [];
    const first = await drainOnClock(
      agent.run({ conversation, tools: [], signal: signal() }),
      clock,
      {
        onItem: () => times.push(clock.now() - start),
      },
    );
    expect(first).toEqual([
      { type: 'tool_call', call },
      { type: 'done', finishReason: 'tool_calls' },
    ]);
    conversation.push(
      { role: 'assistant', content: '', toolCalls: [call] },
      { role: 'tool', toolCallId: 'c1', name: 'weather', content: '-5 °C' },
    );
    const second = await drainOnClock(
      agent.run({ conversation, tools: [], signal: signal() }),
      clock,
      {
        onItem: () => times.push(clock.now() - start),
      },
    );
    expect(second).toEqual([
      { type: 'token', text: 'It ' },
      { type: 'token', text: 'is ' },
      { type: 'token', text: 'cold.' },
      { type: 'usage', promptTokens: 0, completionTokens: 3 },
      { type: 'done', finishReason: 'stop' },
    ]);
    expect(times).toEqual([100, 100, 130, 160, 190, 190, 190]);
    // The recorded conversations are snapshots taken at each call.
    expect(agent.requests.map((r) => r.conversation.length)).toEqual([1, 3]);
    expect(agent.requests[1]?.conversation.at(-1)).toMatchObject({
      role: 'tool',
      content: '-5 °C',
    });
    expect(agent.runs.map((r) => [r.finished, r.aborted])).toEqual([
      [true, false],
      [true, false],
    ]);
  });

  it('throws the error step after the events before it', async () => {
    const clock = new SimulatedClock();
    const failure = new VoiceError('PROVIDER_ERROR', { message: 'model overloaded' });
    const agent = createFakeAgent({
      clock,
      runs: [
        [
          ...fakeTokens('one two', 10),
          { type: 'error', error: failure, delayMs: 5 },
          ...fakeTokens('three'),
        ],
      ],
    });
    const seen: AgentEvent[] = [];
    await expect(
      drainOnClock(agent.run({ conversation: [], tools: [], signal: signal() }), clock, {
        onItem: (event) => seen.push(event),
      }),
    ).rejects.toBe(failure);
    expect(seen).toEqual([
      { type: 'token', text: 'one ' },
      { type: 'token', text: 'two' },
    ]);
  });

  it('stops on abort without throwing, with no token after it', async () => {
    const clock = new SimulatedClock();
    const agent = createFakeAgent({ clock, runs: [fakeAnswer('a b c d', 20)] });
    const controller = new AbortController();
    const seen: AgentEvent[] = [];
    let finished = false;
    void (async () => {
      for await (const event of agent.run({
        conversation: [],
        tools: [],
        signal: controller.signal,
      })) {
        seen.push(event);
      }
      finished = true;
    })();
    clock.advance(20);
    await settle();
    controller.abort();
    await settle();
    clock.advance(1000);
    await settle();
    expect(finished).toBe(true);
    expect(seen).toEqual([{ type: 'token', text: 'a ' }]);
    expect(agent.runs[0]).toMatchObject({ aborted: true, finished: false });
  });

  it('fails a run beyond its scripts with INTERNAL', async () => {
    const clock = new SimulatedClock();
    const agent = createFakeAgent({ clock, runs: [] });
    await expect(
      drainOnClock(agent.run({ conversation: [], tools: [], signal: signal() }), clock),
    ).rejects.toMatchObject({ code: 'INTERNAL', details: { run: 1, scripted: 0 } });
  });
});
