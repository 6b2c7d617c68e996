/**
 * Mid-session settings changes on the simulated clock: pending while a turn is in
 * flight (the caller speaking, the bot thinking or speaking), applied at the next
 * turn boundary — the next turn's agent run and synthesis use them, the current one
 * does not — with the recognition stream reopened when its language, provider or
 * options change, providers and tools swapped through the owner's hook, and the
 * conversation kept, summarised or reset.
 */
import { describe, expect, it } from 'vitest';
import { createMockAgent, createMockAsr, createMockTts } from '@prx-voice/adapter';
import type {
  AgentProvider,
  AgentRunRequest,
  AsrOpenOptions,
  AsrProvider,
  TtsProvider,
  TtsRequest,
} from '@prx-voice/adapter';
import type { Clock } from '@prx-voice/core';
import { rewriteConversation, summarise } from './reducer/settings-update.js';
import type { ApplySettings } from './settings-update.js';
import { createScenario } from './testing/scenario.js';
import type { Scenario } from './testing/scenario.js';
import { createToolRegistry } from './tools.js';

/** An agent that records each request (the mock agent answers). */
function recordingAgent(clock: Clock, id: string, seen: AgentRunRequest[]): AgentProvider {
  const mock = createMockAgent({ clock });
  return {
    id,
    run: (request) => {
      seen.push(request);
      return mock.run(request);
    },
  };
}

/** A TTS that records each request (the mock TTS speaks). */
function recordingTts(seen: TtsRequest[]): TtsProvider {
  const mock = createMockTts();
  return {
    id: 'mock',
    synthesize: (request) => {
      seen.push(request);
      return mock.synthesize(request);
    },
  };
}

/** An ASR that records each stream it opens and whether it was aborted. */
function recordingAsr(opened: { options: AsrOpenOptions; aborted: boolean }[]): AsrProvider {
  const mock = createMockAsr();
  return {
    id: 'mock',
    open: (options) => {
      const stream = mock.open(options);
      const record = { options, aborted: false };
      opened.push(record);
      return {
        push: (samples) => stream.push(samples),
        finalize: () => stream.finalize(),
        end: () => stream.end(),
        abort: () => {
          record.aborted = true;
          stream.abort();
        },
        [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
      };
    },
  };
}

const data = (s: Scenario, type: string) =>
  s.events.filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);
const indexOf = (s: Scenario, type: string) => s.events.findIndex((e) => e.type === type);

async function untilState(s: Scenario, state: string): Promise<void> {
  for (let i = 0; i < 500 && s.actor.model.machine.value !== state; i++) await s.advance(10);
  expect(s.actor.model.machine.value).toBe(state);
}

async function untilTurns(s: Scenario, n: number): Promise<void> {
  for (let i = 0; i < 2000 && data(s, 'prx.voice.turn.completed').length < n; i++)
    await s.advance(10);
  expect(data(s, 'prx.voice.turn.completed')).toHaveLength(n);
}

describe('settings updates', () => {
  it('apply at once between turns: the next run has the new system prompt', async () => {
    const seen: AgentRunRequest[] = [];
    const s = await createScenario({
      settings: { systemPrompt: 'You are A.' },
      providers: (clock) => ({ agent: recordingAgent(clock, 'mock', seen) }),
    });
    await untilState(s, 'Listening');
    s.actor.dispatch({ type: 'settings_update', update: { systemPrompt: 'You are B.' } });
    expect(data(s, 'prx.voice.session.updated')).toEqual([
      {
        changed: ['system_prompt'],
        language: 'en-US',
        providers: { asr: 'mock', agent: 'mock', tts: 'mock', vad: 'energy' },
        asr_reopened: false,
      },
    ]);
    s.actor.dispatch({ type: 'text_input', text: 'hello' });
    await untilTurns(s, 1);
    expect(seen[0]?.conversation[0]).toEqual({ role: 'system', content: 'You are B.' });
    expect(s.actor.model.pendingSettings).toBeNull();
  });

  it('wait while the bot speaks: the current turn keeps its voice, the next one has the new', async () => {
    const agents: AgentRunRequest[] = [];
    const tts: TtsRequest[] = [];
    const s = await createScenario({
      settings: { systemPrompt: 'You are A.' },
      providerOptions: { tts: { voice: 'alice' } },
      providers: (clock) => ({
        agent: recordingAgent(clock, 'mock', agents),
        tts: recordingTts(tts),
      }),
    });
    await untilState(s, 'Listening');
    s.actor.dispatch({ type: 'text_input', text: 'one. two. three. four.' });
    await untilState(s, 'Speaking');
    s.actor.dispatch({
      type: 'settings_update',
      update: { systemPrompt: 'You are B.', providerOptions: { tts: { voice: 'bob' } } },
    });
    await s.advance(100);
    expect(data(s, 'prx.voice.session.updated')).toEqual([]);
    expect(s.actor.model.pendingSettings).not.toBeNull();
    await untilTurns(s, 1);
    // Applied right as the turn ended, not before.
    expect(indexOf(s, 'prx.voice.session.updated')).toBeGreaterThan(
      indexOf(s, 'prx.voice.turn.completed'),
    );
    expect(data(s, 'prx.voice.session.updated')[0]).toMatchObject({
      changed: ['options.tts', 'system_prompt'],
      voice: 'bob',
    });
    const firstRun = tts.length;
    expect(tts.every((r) => r.options?.['voice'] === 'alice')).toBe(true);
    s.actor.dispatch({ type: 'text_input', text: 'again' });
    await untilTurns(s, 2);
    expect(tts.length).toBeGreaterThan(firstRun);
    expect(tts.slice(firstRun).every((r) => r.options?.['voice'] === 'bob')).toBe(true);
    expect(agents.map((r) => r.conversation[0]?.content)).toEqual(['You are A.', 'You are B.']);
    // The conversation kept what was said under the old prompt.
    expect(agents[1]?.conversation.map((m) => m.role)).toEqual([
      'system',
      'user',
      'assistant',
      'user',
    ]);
  });

  it('wait while the caller speaks, then reopen the recognition stream with the new language', async () => {
    const opened: { options: AsrOpenOptions; aborted: boolean }[] = [];
    const s = await createScenario({
      providerOptions: { asr: { transcript: 'hello there' } },
      providers: () => ({ asr: recordingAsr(opened) }),
    });
    await untilState(s, 'Listening');
    await s.speak(600);
    expect(s.actor.model.machine.value).toBe('UserSpeaking');
    s.actor.dispatch({
      type: 'settings_update',
      update: { language: 'de-DE', providerOptions: { asr: { transcript: 'hallo du' } } },
    });
    expect(opened).toHaveLength(1);
    await s.silence(400);
    expect(data(s, 'prx.voice.session.updated')).toEqual([]);
    await s.silence(3000);
    await untilTurns(s, 1);
    expect(data(s, 'prx.voice.asr.transcript_final')[0]).toMatchObject({ text: 'hello there' });
    expect(data(s, 'prx.voice.session.updated')[0]).toMatchObject({
      changed: ['language', 'options.asr'],
      language: 'de-DE',
      asr_reopened: true,
    });
    expect(opened.map((o) => [o.options.language, o.aborted])).toEqual([
      ['en-US', true],
      ['de-DE', false],
    ]);
    expect(opened[1]?.options.options).toEqual({ transcript: 'hallo du' });
    // The next utterance goes to the new stream.
    await s.speak(600);
    await s.silence(3000);
    await untilTurns(s, 2);
    expect(data(s, 'prx.voice.asr.transcript_final')[1]).toMatchObject({ text: 'hallo du' });
    expect(data(s, 'prx.voice.asr.error')).toEqual([]);
  });

  it('swap providers and tools through the owner hook; newer pending changes win', async () => {
    const a: AgentRunRequest[] = [];
    const b: AgentRunRequest[] = [];
    const applied: ApplySettings[] = [];
    const tools = createToolRegistry();
    tools.register({
      name: 'book_table',
      description: 'Books a table.',
      parameters: { type: 'object', properties: {} },
      handler: () => Promise.resolve({ ok: true }),
    });
    let agentB: AgentProvider | undefined;
    const s = await createScenario({
      providers: (clock) => {
        agentB = recordingAgent(clock, 'b', b);
        return { agent: recordingAgent(clock, 'mock', a) };
      },
      applySettings: (c) => {
        applied.push(c);
        return {
          ...(c.providers.agent === 'b' && agentB !== undefined
            ? { providers: { agent: agentB } }
            : {}),
          ...(c.toolset === 'set-1' ? { tools } : {}),
        };
      },
    });
    await untilState(s, 'Listening');
    s.actor.dispatch({ type: 'text_input', text: 'hi' });
    await untilState(s, 'Thinking');
    s.actor.dispatch({ type: 'settings_update', update: { providers: { agent: 'x' } } });
    s.actor.dispatch({
      type: 'settings_update',
      update: { providers: { agent: 'b' }, toolset: 'set-1' },
    });
    await untilTurns(s, 1);
    expect(applied).toEqual([
      {
        type: 'apply_settings',
        language: 'en-US',
        providers: { agent: 'b' },
        providerOptions: {},
        reopenAsr: false,
        toolset: 'set-1',
      },
    ]);
    s.actor.dispatch({ type: 'text_input', text: 'book it' });
    await untilTurns(s, 2);
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(b[0]?.tools.map((t) => t.name)).toEqual(['book_table']);
    expect(s.actor.model.settings.info.providers.agent).toBe('b');
  });

  it('switch context: reset keeps only the new prompt, and the first message is said', async () => {
    const seen: AgentRunRequest[] = [];
    const s = await createScenario({
      settings: { systemPrompt: 'You are the front desk.' },
      providers: (clock) => ({ agent: recordingAgent(clock, 'mock', seen) }),
    });
    await untilState(s, 'Listening');
    s.actor.dispatch({ type: 'text_input', text: 'I want to book' });
    await untilTurns(s, 1);
    s.actor.dispatch({
      type: 'settings_update',
      update: {
        systemPrompt: 'You take bookings.',
        context: 'reset',
        firstMessage: 'Bookings here.',
        assistant: { id: 'asst_1', version: 3 },
      },
    });
    expect(data(s, 'prx.voice.session.updated')[0]).toMatchObject({
      changed: ['system_prompt', 'assistant'],
      context: 'reset',
      assistant_id: 'asst_1',
      assistant_version: 3,
    });
    await untilTurns(s, 2);
    expect(data(s, 'prx.voice.turn.completed')[1]).toMatchObject({
      assistant_text: 'Bookings here.',
    });
    expect(s.actor.model.conversation).toEqual([
      { role: 'system', content: 'You take bookings.' },
      { role: 'assistant', content: 'Bookings here.' },
    ]);
    expect(seen).toHaveLength(1);
  });
});

describe('rewriteConversation', () => {
  const said = [
    { role: 'system' as const, content: 'Old.' },
    { role: 'user' as const, content: 'I want a table  for two' },
    { role: 'assistant' as const, content: 'For when?' },
    { role: 'tool' as const, toolCallId: 'c1', name: 'x', content: '{}' },
  ];

  it('keeps, resets or summarises what was said under the new prompt', () => {
    expect(rewriteConversation(said, 'New.', 'keep')).toEqual([
      { role: 'system', content: 'New.' },
      ...said.slice(1),
    ]);
    expect(rewriteConversation(said, undefined, 'keep')).toEqual(said.slice(1));
    expect(rewriteConversation(said, 'New.', 'reset')).toEqual([
      { role: 'system', content: 'New.' },
    ]);
    expect(rewriteConversation(said, 'New.', 'summary')).toEqual([
      {
        role: 'system',
        content:
          'New.\n\nThe conversation so far (handed over; most recent last):\nCaller: I want a table for two\nAssistant: For when?',
      },
    ]);
  });

  it('keeps the newest exchanges of a long conversation in the summary', () => {
    const long = Array.from({ length: 200 }, (_, i) => ({
      role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
      content: `message number ${String(i)}`,
    }));
    const recap = summarise(long);
    expect(recap.length).toBeLessThanOrEqual(2_100);
    expect(recap).toContain('message number 199');
    expect(recap).not.toContain('message number 0\n');
  });
});
