import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import type { AgentEvent, ConversationMessage } from '../../interfaces.js';
import { drainOnClock, settle } from '../../testing/drive.js';
import { createScriptedAgent } from './scripted-agent.js';
import type { ScriptedAgentScript } from './scripted-script.js';
import { spokenText } from './testing/collect.js';

const script: ScriptedAgentScript = {
  intents: [
    { name: 'greeting', patterns: ['hello', 'good morning'], reply: 'Hello! How can I help?' },
    {
      name: 'weather',
      patterns: ['/weather (?:in|for) (?<city>[a-z]+)/'],
      reply: 'In {city} it is {result.summary}, {result.temperature} degrees.',
      tool: { name: 'get_weather', arguments: { city: '{city}', units: 'celsius' } },
    },
    {
      name: 'time',
      patterns: ['what time'],
      reply: 'It is {result}.',
      tool: { name: 'get_time', arguments: {} },
    },
    { name: 'echo', patterns: ['/^repeat after me: (?<rest>.+)$/'], reply: '{rest}' },
  ],
  fallback: 'Sorry, I did not understand "{text}".',
};

const user = (content: string): ConversationMessage => ({ role: 'user', content });

async function runOnClock(conversation: ConversationMessage[], options?: Record<string, unknown>) {
  const clock = new SimulatedClock();
  const agent = createScriptedAgent({ clock, script });
  const start = clock.now();
  const times: number[] = [];
  const events = await drainOnClock(
    agent.run({
      conversation,
      tools: [],
      signal: new AbortController().signal,
      ...(options === undefined ? {} : { options }),
    }),
    clock,
    { onItem: () => times.push(clock.now() - start) },
  );
  return { events, times, clock };
}

function configError(bad: unknown): VoiceError {
  try {
    createScriptedAgent({ clock: new SimulatedClock(), script: bad as ScriptedAgentScript });
  } catch (error) {
    expect(VoiceError.is(error)).toBe(true);
    return error as VoiceError;
  }
  throw new Error('the script was accepted');
}

describe('scripted agent', () => {
  it('answers a matching intent word by word, token_delay_ms apart, then usage and done', async () => {
    const { events, times } = await runOnClock([user('Well HELLO there')], { token_delay_ms: 40 });
    expect(events).toEqual([
      { type: 'token', text: 'Hello! ' },
      { type: 'token', text: 'How ' },
      { type: 'token', text: 'can ' },
      { type: 'token', text: 'I ' },
      { type: 'token', text: 'help?' },
      { type: 'usage', promptTokens: 3, completionTokens: 5 },
      { type: 'done', finishReason: 'stop' },
    ]);
    expect(times).toEqual([40, 80, 120, 160, 200, 200, 200]);
  });

  it('fills named groups of a /regex/ and falls back with {text} when nothing matches', async () => {
    const echo = await runOnClock([user('Repeat after me: the quick fox')]);
    expect(spokenText(echo.events)).toBe('the quick fox');
    const miss = await runOnClock([user('Play some jazz')]);
    expect(spokenText(miss.events)).toBe('Sorry, I did not understand "Play some jazz".');
    expect(miss.times.at(-1)).toBe(20 * 8);
  });

  it('calls the intent tool first, then speaks the reply filled with the result', async () => {
    const first = await runOnClock([user('What is the weather in Paris?')]);
    expect(first.events).toEqual([
      {
        type: 'tool_call',
        call: {
          id: 'scripted_call_0',
          name: 'get_weather',
          arguments: { city: 'Paris', units: 'celsius' },
        },
      },
      { type: 'usage', promptTokens: 6, completionTokens: 0 },
      { type: 'done', finishReason: 'tool_calls' },
    ]);
    expect(first.times).toEqual([20, 20, 20]);
    const second = await runOnClock([
      user('What is the weather in Paris?'),
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'scripted_call_0', name: 'get_weather', arguments: { city: 'Paris' } }],
      },
      {
        role: 'tool',
        toolCallId: 'scripted_call_0',
        name: 'get_weather',
        content: '{"summary":"sunny","temperature":21}',
      },
    ]);
    expect(spokenText(second.events)).toBe('In Paris it is sunny, 21 degrees.');
    expect(second.events.at(-1)).toEqual({ type: 'done', finishReason: 'stop' });
  });

  it('uses {result} as it came, and finds the calling intent by its tool when the words no longer match', async () => {
    const { events } = await runOnClock([
      user('hmm'),
      { role: 'assistant', content: '', toolCalls: [{ id: 'c', name: 'get_time', arguments: {} }] },
      { role: 'tool', toolCallId: 'c', name: 'get_time', content: 'half past nine' },
    ]);
    expect(spokenText(events)).toBe('It is half past nine.');
  });

  it('numbers tool calls across runs of one agent', async () => {
    const clock = new SimulatedClock();
    const agent = createScriptedAgent({ clock, script });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const events = await drainOnClock(
        agent.run({
          conversation: [user('what time is it')],
          tools: [],
          signal: new AbortController().signal,
        }),
        clock,
      );
      for (const event of events) if (event.type === 'tool_call') ids.push(event.call.id);
    }
    expect(ids).toEqual(['scripted_call_0', 'scripted_call_1']);
  });

  it('stops at once on abort: no event after it, no error, no timer left', async () => {
    const clock = new SimulatedClock();
    const agent = createScriptedAgent({ clock, script });
    const controller = new AbortController();
    const seen: AgentEvent[] = [];
    const done = (async () => {
      for await (const event of agent.run({
        conversation: [user('hello')],
        tools: [],
        signal: controller.signal,
      })) {
        seen.push(event);
      }
    })();
    clock.advance(20);
    await settle();
    clock.advance(20);
    await settle();
    expect(seen).toHaveLength(2);
    controller.abort();
    await done;
    expect(seen).toHaveLength(2);
    expect(clock.pendingCount).toBe(0);
  });

  it('rejects an invalid script with CONFIG_INVALID naming the problem', () => {
    const regex = configError({
      intents: [{ name: 'a', patterns: ['ok', '/(unclosed/'], reply: 'x' }],
      fallback: 'f',
    });
    expect(regex.code).toBe('CONFIG_INVALID');
    expect(regex.message).toContain('intents.0.patterns.1: invalid regular expression /(unclosed/');
    expect(
      configError({ intents: [{ name: 'a', patterns: ['/x/g'], reply: 'x' }], fallback: 'f' })
        .message,
    ).toContain("flags 'g' are not allowed");
    expect(
      configError({
        intents: [{ name: 'a', patterns: ['x'], reply: 'It is {city}' }],
        fallback: 'f',
      }).message,
    ).toContain('intents.0.reply: unknown placeholder {city}');
    expect(
      configError({
        intents: [{ name: 'a', patterns: ['x'], reply: 'Got {result}' }],
        fallback: 'f',
      }).message,
    ).toContain('{result} needs a tool');
    expect(
      configError({
        intents: [
          {
            name: 'a',
            patterns: ['x'],
            reply: 'ok',
            tool: { name: 't', arguments: { q: '{nope}' } },
          },
        ],
        fallback: 'f',
      }).message,
    ).toContain('intents.0.tool.arguments: unknown placeholder {nope}');
    expect(configError({ intents: [] }).message).toContain('fallback');
    expect(
      configError({ intents: [{ name: 'a', patterns: [], reply: 'x' }], fallback: 'f' }).message,
    ).toContain('intents.0.patterns');
    const duplicate = configError({
      intents: [
        { name: 'a', patterns: ['x'], reply: 'x' },
        { name: 'a', patterns: ['y'], reply: 'y' },
      ],
      fallback: 'f',
    });
    expect(duplicate.message).toContain("intents.1.name: duplicate intent 'a'");
    expect(duplicate.details).toMatchObject({ provider: 'scripted' });
  });

  it('rejects invalid run options', async () => {
    const agent = createScriptedAgent({ clock: new SimulatedClock(), script });
    const run = agent.run({
      conversation: [user('hello')],
      tools: [],
      signal: new AbortController().signal,
      options: { token_delay_ms: -1 },
    });
    await expect(run[Symbol.asyncIterator]().next()).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});
