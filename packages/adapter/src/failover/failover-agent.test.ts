import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { providerError } from '../interfaces.js';
import type { AgentEvent } from '../interfaces.js';
import { createFakeAgent, drainOnClock, fakeAnswer, fakeTokens } from '../testing/index.js';
import { createCircuitBreaker } from './circuit-breaker.js';
import { createFailoverAgent } from './failover-agent.js';
import type { FallbackNotice } from './failover-agent.js';

const down = (provider: string) =>
  providerError('PROVIDER_UNAVAILABLE', {
    provider,
    message: `${provider} is down`,
    fallback: true,
  });

function chain(
  clock: SimulatedClock,
  primary: ReturnType<typeof createFakeAgent>,
  secondary: ReturnType<typeof createFakeAgent>,
) {
  const notices: FallbackNotice[] = [];
  const agent = createFailoverAgent({
    clock,
    members: [
      { provider: primary, breaker: createCircuitBreaker({ clock, failureThreshold: 2 }) },
      { provider: secondary, breaker: createCircuitBreaker({ clock }) },
    ],
    onFallback: (n) => notices.push(n),
  });
  return { agent, notices };
}

async function collect(
  clock: SimulatedClock,
  events: AsyncIterable<AgentEvent>,
): Promise<AgentEvent[]> {
  return drainOnClock(events, clock);
}

const request = {
  conversation: [{ role: 'user' as const, content: 'hi' }],
  tools: [],
  signal: new AbortController().signal,
};

describe('agent failover', () => {
  it('withdraws text not yet committed to speech and restarts when none was committed', async () => {
    const clock = new SimulatedClock();
    const primary = createFakeAgent({
      clock,
      id: 'primary',
      runs: [[...fakeTokens('Let me see', 10), { type: 'error', error: down('primary') }]],
    });
    const secondary = createFakeAgent({ clock, id: 'secondary', runs: [fakeAnswer('Yes.', 10)] });
    const { agent } = chain(clock, primary, secondary);
    let produced = 0;
    const events = await collect(
      clock,
      (async function* () {
        for await (const e of agent.run({ ...request, uncommittedChars: () => produced })) {
          if (e.type === 'token') produced += e.text.length; // nothing is ever committed
          yield e;
        }
      })(),
    );
    expect(events.filter((e) => e.type === 'rewind')).toEqual([{ type: 'rewind', keep: 0 }]);
    // A restart: the secondary got the original conversation, not a continuation.
    expect(secondary.requests[0]?.conversation).toEqual(request.conversation);
  });

  it('continues from the committed part when some of the text was committed', async () => {
    const clock = new SimulatedClock();
    const primary = createFakeAgent({
      clock,
      id: 'primary',
      runs: [[...fakeTokens('One thing. And', 10), { type: 'error', error: down('primary') }]],
    });
    const secondary = createFakeAgent({ clock, id: 'secondary', runs: [fakeAnswer('two.', 10)] });
    const { agent } = chain(clock, primary, secondary);
    const events = await collect(
      clock,
      agent.run({ ...request, uncommittedChars: () => ' And'.length }),
    );
    expect(events.filter((e) => e.type === 'rewind')).toEqual([
      { type: 'rewind', keep: 'One thing.'.length },
    ]);
    const conversation = secondary.requests[0]?.conversation ?? [];
    expect(conversation[1]).toEqual({ role: 'assistant', content: 'One thing.' });
  });

  it('restarts on the next provider when the first fails before any token', async () => {
    const clock = new SimulatedClock();
    const primary = createFakeAgent({
      clock,
      id: 'primary',
      runs: [[{ type: 'error', error: down('primary') }]],
    });
    const secondary = createFakeAgent({
      clock,
      id: 'secondary',
      runs: [fakeAnswer('Hello there.', 10)],
    });
    const { agent, notices } = chain(clock, primary, secondary);
    const events = await collect(clock, agent.run(request));
    expect(
      events
        .filter((e) => e.type === 'token')
        .map((e) => (e as { text: string }).text)
        .join(''),
    ).toBe('Hello there.');
    expect(notices).toEqual([
      {
        kind: 'agent',
        from: 'primary',
        to: 'secondary',
        reason: 'error',
        code: 'PROVIDER_UNAVAILABLE',
      },
    ]);
    expect(secondary.runs[0]?.request.conversation).toEqual(request.conversation);
  });

  it('continues mid-answer on the next provider without repeating what was said', async () => {
    const clock = new SimulatedClock();
    const primary = createFakeAgent({
      clock,
      id: 'primary',
      runs: [[...fakeTokens('It is', 10), { type: 'error', error: down('primary') }]],
    });
    const secondary = createFakeAgent({
      clock,
      id: 'secondary',
      runs: [fakeAnswer(' sunny today.', 10)],
    });
    const { agent, notices } = chain(clock, primary, secondary);
    const events = await collect(clock, agent.run(request));
    expect(
      events
        .filter((e) => e.type === 'token')
        .map((e) => (e as { text: string }).text)
        .join(''),
    ).toBe('It is sunny today.');
    expect(notices).toHaveLength(1);
    const conv = secondary.runs[0]?.request.conversation ?? [];
    expect(conv.slice(0, 2)).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'It is' },
    ]);
    expect(conv[2]?.role).toBe('system');
  });

  it('does not fall back on errors a fallback cannot fix, or after tool calls ran', async () => {
    const clock = new SimulatedClock();
    const bad = providerError('PROVIDER_ERROR', {
      provider: 'primary',
      message: 'bad request',
      fallback: false,
    });
    const primary = createFakeAgent({
      clock,
      id: 'primary',
      runs: [
        [{ type: 'error', error: bad }],
        [
          { type: 'tool_call', call: { id: 'c', name: 't', arguments: {} } },
          { type: 'error', error: down('primary') },
        ],
      ],
    });
    const secondary = createFakeAgent({ clock, id: 'secondary', runs: [fakeAnswer('never', 0)] });
    const { agent, notices } = chain(clock, primary, secondary);
    await expect(collect(clock, agent.run(request))).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
    });
    await expect(collect(clock, agent.run(request))).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
    });
    expect(notices).toEqual([]);
    expect(secondary.runs).toHaveLength(0);
  });

  it('skips a provider whose circuit is open and reports it', async () => {
    const clock = new SimulatedClock();
    const primary = createFakeAgent({
      clock,
      id: 'primary',
      runs: [
        [{ type: 'error', error: down('primary') }],
        [{ type: 'error', error: down('primary') }],
      ],
    });
    const secondary = createFakeAgent({
      clock,
      id: 'secondary',
      runs: [fakeAnswer('one', 0), fakeAnswer('two', 0), fakeAnswer('three', 0)],
    });
    const { agent, notices } = chain(clock, primary, secondary);
    await collect(clock, agent.run(request));
    await collect(clock, agent.run(request));
    await collect(clock, agent.run(request)); // the primary's breaker is open now
    expect(primary.runs).toHaveLength(2);
    expect(notices.map((n) => n.reason)).toEqual(['error', 'error', 'circuit_open']);
  });
});
