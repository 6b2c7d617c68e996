import { describe, expect, it } from 'vitest';
import { createFakeAgent, fakeAnswer } from '@prx-voice/adapter/testing';
import { trimContext } from './run-effects.js';
import { createScenario } from './testing/scenario.js';

type M = { role: string; content: string };
const m = (role: string, content: string): M => ({ role, content });

describe('trimContext', () => {
  const conversation = [
    m('system', 'be brief'),
    m('user', 'u1'),
    m('assistant', 'a1 (calls a tool)'),
    m('tool', 't1'),
    m('assistant', 'a1'),
    m('user', 'u2'),
  ];

  it('keeps everything without a limit or under it', () => {
    expect(trimContext(conversation, undefined)).toBe(conversation);
    expect(trimContext(conversation, 5)).toBe(conversation);
  });

  it('keeps the system prompt and the last messages', () => {
    expect(trimContext(conversation, 2).map((x) => x.content)).toEqual(['be brief', 'a1', 'u2']);
  });

  it('never starts on a tool result whose call was cut off', () => {
    expect(trimContext(conversation, 3).map((x) => x.content)).toEqual(['be brief', 'a1', 'u2']);
  });

  it('without a system prompt keeps only the last messages', () => {
    expect(trimContext(conversation.slice(1), 1).map((x) => x.content)).toEqual(['u2']);
  });
});

describe('the agent context limit', () => {
  it('is asked at each request: the agent gets the last messages while it is set, all of them after', async () => {
    let limit: number | undefined = 2;
    let agent: ReturnType<typeof createFakeAgent> | undefined;
    const s = await createScenario({
      agentContextLimit: () => limit,
      providers: (clock) => {
        agent = createFakeAgent({
          clock,
          runs: [fakeAnswer('one', 5), fakeAnswer('two', 5), fakeAnswer('three', 5)],
        });
        return { agent };
      },
    });
    for (const text of ['a', 'b']) {
      s.actor.dispatch({ type: 'text_input', text });
      await s.advance(2000);
    }
    const sent = (i: number) => agent?.runs[i]?.request.conversation.map((m) => m.content);
    expect(sent(1)).toEqual(['one', 'b']);
    limit = undefined;
    s.actor.dispatch({ type: 'text_input', text: 'c' });
    await s.advance(2000);
    expect(sent(2)).toEqual(['a', 'one', 'b', 'two', 'c']);
  });
});
