import { describe, expect, it } from 'vitest';
import { createFakeAgent, fakeAnswer, fakeTokens } from '@prx-voice/adapter/testing';
import { assertGapFree } from '@prx-voice/event/testing';
import { VoiceError } from '@prx-voice/types';
import { createScenario } from './testing/scenario.js';
import type { Scenario } from './testing/scenario.js';
import { createToolRegistry } from './tools.js';

type Data = Record<string, unknown>;
const dataOf = (s: Scenario, type: string): Data[] =>
  s.events.filter((e) => e.type === type).map((e) => e.data as Data);
const indexOf = (s: Scenario, type: string): number => s.events.findIndex((e) => e.type === type);

/** Drives the session to Speaking with the caller's first utterance. */
async function firstTurnSpeaking(s: Scenario): Promise<void> {
  await s.speak(600);
  for (let i = 0; i < 200 && s.actor.model.machine.value !== 'Speaking'; i++) await s.silence(20);
  expect(s.actor.model.machine.value).toBe('Speaking');
}

describe('scenario: a normal voice turn', () => {
  it('goes speech → transcript → agent tokens → audio at real time → turn completed', async () => {
    const s = await createScenario();
    expect(s.actor.model.machine.value).toBe('Listening');
    await s.speak(600);
    await s.silence(3000);
    const types = s.types();
    expect(dataOf(s, 'prx.voice.asr.transcript_final')).toMatchObject([{ text: 'hello' }]);
    expect(dataOf(s, 'prx.voice.agent.token_stream').map((d) => d.text)).toEqual([
      'You ',
      'said: ',
      'hello',
    ]);
    expect(types).toContain('prx.voice.turn.completed');
    expect(s.states()).toEqual([
      'Connecting',
      'Listening',
      'UserSpeaking',
      'AsrProcessing',
      'Thinking',
      'Speaking',
      'Listening',
    ]);
    // Mock TTS: 50 ms per character of "You said: hello" (15 characters) at 24 kHz.
    expect(s.output.samples).toBe(15 * 50 * 24);
    expect(s.actor.model.conversation).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'You said: hello' },
    ]);
    const [turn] = dataOf(s, 'prx.voice.turn.completed');
    expect(turn).toMatchObject({
      user_text: 'hello',
      assistant_text: 'You said: hello',
      interrupted: false,
    });
    const latency = turn?.latency as Record<string, number | null>;
    for (const part of [
      'asr_ms',
      'agent_first_token_ms',
      'tts_first_audio_ms',
      'first_audio_sent_ms',
      'voice_to_voice_ms',
    ]) {
      expect(latency[part], part).toBeTypeOf('number');
    }
    // Three mock tokens 20 ms apart: the first arrives 20 ms after the final.
    expect(latency.agent_first_token_ms).toBe(20);
    expect(latency.voice_to_voice_ms).toBe(
      (latency.asr_ms ?? 0) +
        (latency.agent_first_token_ms ?? 0) +
        (latency.tts_first_audio_ms ?? 0) +
        (latency.first_audio_sent_ms ?? 0),
    );
    assertGapFree(s.events);
  });

  it('answers a text turn without ASR', async () => {
    const s = await createScenario();
    s.actor.dispatch({ type: 'text_input', text: 'good morning' });
    await s.advance(3000);
    expect(s.actor.model.conversation.at(-1)).toEqual({
      role: 'assistant',
      content: 'You said: good morning',
    });
    expect(s.types()).not.toContain('prx.voice.asr.transcript_final');
    assertGapFree(s.events);
  });
});

describe('scenario: barge-in', () => {
  it('while speaking: stops the audio, keeps only what was heard, answers the new utterance', async () => {
    const s = await createScenario({ providerOptions: { agent: { token_delay_ms: 5 } } });
    await firstTurnSpeaking(s);
    await s.advance(300); // some of the answer is heard
    const firstRun = s.actor.model.run?.id ?? '';
    await s.speak(600);
    const issued = indexOf(s, 'prx.voice.interrupt.issued');
    const flushed = indexOf(s, 'prx.voice.playback.flushed');
    expect(issued).toBeGreaterThan(0);
    // The client is told to drop what it buffered before anything else of the interruption.
    expect(flushed).toBeGreaterThan(0);
    expect(flushed).toBeLessThan(issued);
    expect(s.output.clears).toBe(1);
    // No audio frame of the interrupted run after the interruption was issued.
    expect(s.output.sent.filter((f) => f.runId === firstRun && f.afterEvents > issued)).toEqual([]);
    // No token or synthesis of the old run after the cancel.
    const late = s.events
      .slice(issued)
      .filter(
        (e) =>
          e.prxrunid === firstRun &&
          [
            'prx.voice.agent.token_stream',
            'prx.voice.tts.chunk_ready',
            'prx.voice.playback.started',
          ].includes(e.type),
      );
    expect(late).toEqual([]);
    const [interrupted] = dataOf(s, 'prx.voice.turn.completed');
    expect(interrupted?.interrupted).toBe(true);
    const heard = String(interrupted?.assistant_text);
    expect('You said: hello'.startsWith(heard)).toBe(true);
    expect(heard.length).toBeLessThan('You said: hello'.length);
    // The flush and the interruption tell the same heard text (a Realtime client reads either).
    expect(s.events[flushed]?.data).toMatchObject({ heard_text: heard });
    expect(s.events[issued]?.data).toMatchObject({ heard_text: heard });
    expect(s.actor.model.conversation[1]).toEqual(
      heard === '' ? { role: 'user', content: 'hello' } : { role: 'assistant', content: heard },
    );
    await s.silence(3000);
    expect(dataOf(s, 'prx.voice.turn.completed')).toHaveLength(2);
    expect(s.actor.model.conversation.at(-1)).toEqual({
      role: 'assistant',
      content: 'You said: hello',
    });
    assertGapFree(s.events);
  });

  it('while thinking: the caller going on before any answer is one turn with one answer', async () => {
    const s = await createScenario({
      providers: (clock) => ({
        agent: createFakeAgent({
          clock,
          runs: [fakeAnswer('Let me think about that.', 2000), fakeAnswer('Sure thing.', 10)],
        }),
      }),
    });
    await s.speak(600);
    for (let i = 0; i < 100 && s.actor.model.machine.value !== 'Thinking'; i++) await s.silence(20);
    expect(s.actor.model.machine.value).toBe('Thinking');
    const firstRun = s.actor.model.run?.id ?? '';
    await s.speak(600);
    const issued = indexOf(s, 'prx.voice.interrupt.issued');
    expect(issued).toBe(-1); // not an interruption: the same turn goes on
    await s.silence(4000);
    expect(
      s.events.filter((e) => e.prxrunid === firstRun && e.type === 'prx.voice.agent.token_stream'),
    ).toEqual([]);
    expect(s.output.sent.filter((f) => f.runId === firstRun)).toEqual([]);
    // Nothing was heard of the first run: the speech joined the same turn, answered once.
    expect(s.actor.model.conversation).toEqual([
      { role: 'user', content: 'hello hello' },
      { role: 'assistant', content: 'Sure thing.' },
    ]);
    expect(dataOf(s, 'prx.voice.turn.completed')).toMatchObject([
      { user_text: 'hello hello', assistant_text: 'Sure thing.', interrupted: false },
    ]);
    assertGapFree(s.events);
  });

  it('a false interruption (speech without words) only ducks the bot, which talks on', async () => {
    const s = await createScenario({ providerOptions: { asr: { transcript: '' } } });
    s.actor.dispatch({ type: 'text_input', text: 'tell me a long story please' });
    for (let i = 0; i < 100 && s.actor.model.machine.value !== 'Speaking'; i++) await s.advance(20);
    await s.advance(200);
    await s.speak(400); // a cough: no words
    await s.silence(3000);
    expect(s.types()).not.toContain('prx.voice.interrupt.issued');
    expect(dataOf(s, 'prx.voice.interrupt.false_resumed')).toMatchObject([
      { reason: 'noise', waited_ms: 0 },
    ]);
    expect(s.types()).not.toContain('prx.voice.playback.flushed');
    await s.silence(3000);
    const [turn] = dataOf(s, 'prx.voice.turn.completed');
    expect(turn).toMatchObject({
      interrupted: false,
      assistant_text: 'You said: tell me a long story please',
    });
    // Every sample of the answer was sent exactly once.
    expect(s.output.samples).toBe('You said: tell me a long story please'.length * 50 * 24);
    assertGapFree(s.events);
  });

  it('an explicit interrupt from the client cancels at once', async () => {
    const s = await createScenario();
    s.actor.dispatch({ type: 'text_input', text: 'hello there' });
    for (let i = 0; i < 100 && s.actor.model.machine.value !== 'Speaking'; i++) await s.advance(20);
    s.actor.dispatch({ type: 'interrupt' });
    await s.advance(100);
    expect(s.actor.model.machine.value).toBe('Listening');
    expect(dataOf(s, 'prx.voice.interrupt.issued')).toMatchObject([{ reason: 'client' }]);
    expect(dataOf(s, 'prx.voice.turn.completed')[0]?.interrupted).toBe(true);
  });
});

describe('scenario: tools', () => {
  it('runs two tool rounds, then speaks the answer, in one run', async () => {
    const tools = createToolRegistry();
    tools.register({
      name: 'get_time',
      description: 'time',
      parameters: { type: 'object', properties: {} },
      handler: () => Promise.resolve({ time: '10:00' }),
    });
    tools.register({
      name: 'get_weather',
      description: 'weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      handler: (args) => Promise.resolve({ city: args.city, sky: 'sunny' }),
    });
    let agent: ReturnType<typeof createFakeAgent> | undefined;
    const s = await createScenario({
      tools,
      providers: (clock) => {
        agent = createFakeAgent({
          clock,
          runs: [
            [
              {
                type: 'tool_call',
                call: { id: 'c1', name: 'get_time', arguments: {} },
                delayMs: 10,
              },
              { type: 'done', finishReason: 'tool_calls' },
            ],
            [
              {
                type: 'tool_call',
                call: { id: 'c2', name: 'get_weather', arguments: { city: 'Oslo' } },
                delayMs: 10,
              },
              { type: 'done', finishReason: 'tool_calls' },
            ],
            fakeAnswer('At ten it is sunny in Oslo.', 10),
          ],
        });
        return { agent };
      },
    });
    s.actor.dispatch({ type: 'text_input', text: 'weather at this hour?' });
    await s.advance(4000);
    expect(dataOf(s, 'prx.voice.agent.tool_call').map((d) => d.name)).toEqual([
      'get_time',
      'get_weather',
    ]);
    expect(dataOf(s, 'prx.voice.agent.tool_result')).toMatchObject([
      { ok: true, name: 'get_time' },
      { ok: true, name: 'get_weather' },
    ]);
    // Each call metered once, by tool.
    expect(
      dataOf(s, 'prx.voice.governance.usage_recorded').filter((u) => u.meter === 'tool_calls'),
    ).toMatchObject([
      { quantity: 1, unit: 'call', provider: 'get_time' },
      { quantity: 1, unit: 'call', provider: 'get_weather' },
    ]);
    const runIds = new Set(
      s.events.filter((e) => e.type.startsWith('prx.voice.agent.')).map((e) => e.prxrunid),
    );
    expect(runIds.size).toBe(1);
    expect(agent?.runs).toHaveLength(3);
    expect(agent?.runs[2]?.request.conversation.filter((m) => m.role === 'tool')).toHaveLength(2);
    expect(s.actor.model.conversation.at(-1)).toEqual({
      role: 'assistant',
      content: 'At ten it is sunny in Oslo.',
    });
    expect(dataOf(s, 'prx.voice.turn.completed')).toHaveLength(1);
  });

  it('reports a tool that times out and lets the agent carry on', async () => {
    const tools = createToolRegistry();
    tools.register({
      name: 'slow',
      description: 'never answers',
      parameters: { type: 'object', properties: {} },
      timeoutMs: 500,
      handler: (_args, ctx) =>
        new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
    });
    const s = await createScenario({
      tools,
      providers: (clock) => ({
        agent: createFakeAgent({
          clock,
          runs: [
            [
              { type: 'tool_call', call: { id: 'c1', name: 'slow', arguments: {} } },
              { type: 'done', finishReason: 'tool_calls' },
            ],
            fakeAnswer('Sorry, that took too long.', 10),
          ],
        }),
      }),
    });
    s.actor.dispatch({ type: 'text_input', text: 'do the slow thing' });
    await s.advance(5000);
    expect(dataOf(s, 'prx.voice.agent.tool_result')).toMatchObject([
      { ok: false, error: { code: 'TOOL_TIMEOUT' } },
    ]);
    expect(s.actor.model.conversation.at(-1)).toEqual({
      role: 'assistant',
      content: 'Sorry, that took too long.',
    });
  });
});

describe('scenario: failures, timeouts and limits', () => {
  it('an agent failing mid-stream reports an error and the session listens again', async () => {
    const s = await createScenario({
      providers: (clock) => ({
        agent: createFakeAgent({
          clock,
          runs: [
            [
              ...fakeTokens('Half an', 10),
              {
                type: 'error',
                error: new VoiceError('PROVIDER_UNAVAILABLE', { message: 'upstream reset' }),
              },
            ],
            fakeAnswer('Back again.', 10),
          ],
        }),
      }),
    });
    s.actor.dispatch({ type: 'text_input', text: 'first' });
    await s.advance(2000);
    expect(dataOf(s, 'prx.voice.agent.error')).toMatchObject([
      { code: 'PROVIDER_UNAVAILABLE', message: 'upstream reset' },
    ]);
    expect(s.actor.model.machine.value).toBe('Listening');
    expect(dataOf(s, 'prx.voice.turn.completed')[0]).toMatchObject({ interrupted: false });
    s.actor.dispatch({ type: 'text_input', text: 'second' });
    await s.advance(2000);
    expect(s.actor.model.conversation.at(-1)).toEqual({
      role: 'assistant',
      content: 'Back again.',
    });
  });

  it('closes after the listening idle timeout', async () => {
    const s = await createScenario();
    await s.advance(29_990);
    expect(s.actor.model.machine.value).toBe('Listening');
    await s.advance(20);
    expect(s.actor.model.machine.value).toBe('Closed');
    expect(dataOf(s, 'prx.voice.session.closed')).toMatchObject([
      { outcome: 'idle_timeout', reason: 'listening_timeout' },
    ]);
    await expect(s.actor.closed).resolves.toBe('idle_timeout');
  });

  it('closes at the maximum duration even mid-conversation', async () => {
    const s = await createScenario({ settings: { maxDurationMs: 5000 } });
    s.actor.dispatch({ type: 'text_input', text: 'a very long answer would be nice to have here' });
    await s.advance(6000);
    expect(dataOf(s, 'prx.voice.session.closed')).toMatchObject([{ outcome: 'max_duration' }]);
  });

  it('closes after the maximum number of turns', async () => {
    const s = await createScenario({ settings: { maxTurns: 1 } });
    s.actor.dispatch({ type: 'text_input', text: 'only one' });
    await s.advance(3000);
    expect(dataOf(s, 'prx.voice.session.closed')).toMatchObject([
      { outcome: 'max_turns', turn_count: 1 },
    ]);
  });

  it('recovers to listening when the agent is silent past the thinking timeout', async () => {
    const s = await createScenario({
      providers: (clock) => ({
        agent: createFakeAgent({ clock, runs: [fakeAnswer('too late', 60_000)] }),
      }),
    });
    s.actor.dispatch({ type: 'text_input', text: 'anyone?' });
    await s.advance(30_100);
    expect(s.actor.model.machine.value).toBe('Listening');
    expect(dataOf(s, 'prx.voice.agent.error')).toMatchObject([{ code: 'TIMEOUT' }]);
  });

  it('pauses output and resumes where it was', async () => {
    const s = await createScenario();
    s.actor.dispatch({ type: 'text_input', text: 'count to ten for me' });
    for (let i = 0; i < 100 && s.actor.model.machine.value !== 'Speaking'; i++) await s.advance(20);
    await s.advance(300);
    s.actor.dispatch({ type: 'pause' });
    await s.advance(50);
    const before = s.output.samples;
    await s.advance(5000);
    expect(s.output.samples - before).toBeLessThanOrEqual(24 * 200); // only what was already in flight
    s.actor.dispatch({ type: 'resume' });
    await s.advance(5000);
    expect(s.types()).toEqual(
      expect.arrayContaining(['prx.voice.session.paused', 'prx.voice.session.resumed']),
    );
    expect(s.output.samples).toBe('You said: count to ten for me'.length * 50 * 24);
    expect(s.actor.model.machine.value).toBe('Listening');
  });
});

describe('scenario: endpointing', () => {
  it('a short pause inside an utterance does not end the turn', async () => {
    const s = await createScenario();
    await s.speak(500);
    await s.silence(320); // the VAD ends speech (300 ms of silence); the caller goes on before the answer
    await s.speak(500);
    await s.silence(3000);
    expect(dataOf(s, 'prx.voice.turn.completed')).toHaveLength(1);
    expect(dataOf(s, 'prx.voice.media.vad_started')).toHaveLength(2);
  });
});
