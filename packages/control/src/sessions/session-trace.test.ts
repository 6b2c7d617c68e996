import { describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createFakeAgent, fakeAnswer } from '@prx-voice/adapter/testing';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { createVoiceTracing } from '@prx-voice/observe';
import { createToolRegistry } from '@prx-voice/session';
import { createScenario } from '@prx-voice/session/testing';
import type { Scenario, ScenarioOptions } from '@prx-voice/session/testing';
import { createSessionTrace } from './session-trace.js';
import type { SessionTrace } from './session-trace.js';

const CALLER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

interface Traced {
  readonly s: Scenario;
  readonly trace: () => SessionTrace;
  /** The finished spans, exported. */
  readonly spans: () => Promise<ReadableSpan[]>;
}

async function traced(
  opts: ScenarioOptions = {},
  trace: { includeText?: boolean; parent?: string } = {},
): Promise<Traced> {
  const exporter = new InMemorySpanExporter();
  let tracing: ReturnType<typeof createVoiceTracing> | undefined;
  let sessionTrace: SessionTrace | undefined;
  const s = await createScenario({
    ...opts,
    watch: (clock, ids) => {
      tracing = createVoiceTracing({ exporter: 'otlp', spanExporter: exporter, clock });
      sessionTrace = createSessionTrace({
        tracing,
        clock,
        sessionId: ids.sessionId,
        tenantId: ids.tenantId,
        parent: trace.parent,
        includeText: trace.includeText ?? false,
      });
      return { traceparent: sessionTrace.traceparentOf, observe: sessionTrace.observe };
    },
  });
  return {
    s,
    trace: () => sessionTrace as SessionTrace,
    spans: async () => {
      await tracing?.flush();
      return exporter.getFinishedSpans();
    },
  };
}

const spanIdOf = (traceparent: string | undefined): string | undefined =>
  traceparent?.split('-')[2];
const named = (spans: ReadableSpan[], name: string): ReadableSpan[] =>
  spans.filter((x) => x.name === name);
const one = (spans: ReadableSpan[], name: string): ReadableSpan => {
  const found = named(spans, name);
  expect(found, name).toHaveLength(1);
  return found[0] as ReadableSpan;
};
const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
const id = (span: ReadableSpan): string => span.spanContext().spanId;
const ms = (t: readonly [number, number]): number => t[0] * 1000 + t[1] / 1e6;
const timeOf = (events: AnyVoiceEvent[], type: string): number =>
  Date.parse(events.find((e) => e.type === type)?.time ?? '');

describe('a session trace', () => {
  it('builds session → turn → asr / chat / tts from a voice turn, and every event carries its span', async () => {
    const { s, spans } = await traced({}, { parent: CALLER });
    await s.speak(600);
    await s.silence(3000);
    s.actor.dispatch({ type: 'end', reason: 'completed' });
    await s.advance(100);
    const all = await spans();
    const session = one(all, 'session');
    const turn = one(all, 'turn');
    const asr = one(all, 'asr');
    const chat = one(all, 'chat');
    const tts = one(all, 'tts');
    // The caller's trace continues; the tree hangs off the session.
    expect(session.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(parentOf(session)).toBe('00f067aa0ba902b7');
    expect(parentOf(turn)).toBe(id(session));
    for (const child of [asr, chat, tts]) expect(parentOf(child), child.name).toBe(id(turn));
    // Every event of the turn carries the turn's span; the others the session's.
    const turnId = s.events.find((e) => e.type === 'prx.voice.turn.completed')?.prxturnid;
    for (const e of s.events) {
      expect(spanIdOf(e.traceparent), e.type).toBe(
        e.prxturnid === turnId && turnId !== undefined ? id(turn) : id(session),
      );
    }
    // Times are the events': the turn from the caller's first word to turn.completed.
    expect(ms(turn.startTime)).toBe(timeOf(s.events, 'prx.voice.media.vad_started'));
    expect(ms(turn.endTime)).toBe(timeOf(s.events, 'prx.voice.turn.completed'));
    expect(ms(asr.endTime)).toBe(timeOf(s.events, 'prx.voice.asr.transcript_final'));
    expect(ms(chat.startTime)).toBe(timeOf(s.events, 'prx.voice.agent.thinking_started'));
    expect(ms(tts.endTime)).toBe(timeOf(s.events, 'prx.voice.playback.completed'));
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'mock',
      'gen_ai.usage.output_tokens': 3,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(chat.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(tts.attributes).toMatchObject({
      'prx.tts.provider': 'mock',
      'prx.tts.characters': 15,
      'prx.tts.audio_ms': 750,
      'prx.playback.played_ms': 750,
    });
    expect(turn.attributes).toMatchObject({ 'prx.turn.interrupted': false });
    expect(turn.attributes['prx.latency.voice_to_voice_ms']).toBeGreaterThan(0);
    // No text on spans unless asked for.
    const text = JSON.stringify(all.map((x) => [x.attributes, x.events]));
    expect(text).not.toContain('hello');
    expect(session.attributes).toMatchObject({ 'prx.session.outcome': 'completed' });
    expect(session.endTime).toBeDefined();
  });

  it('marks a barge-in on the interrupted turn with the position heard, and opens the next turn at the new words', async () => {
    const { s, spans } = await traced({ providerOptions: { agent: { token_delay_ms: 5 } } });
    await s.speak(600);
    for (let i = 0; i < 200 && s.actor.model.machine.value !== 'Speaking'; i++) await s.silence(20);
    await s.advance(300);
    await s.speak(600);
    await s.silence(3000);
    const all = await spans();
    const turns = named(all, 'turn');
    expect(turns).toHaveLength(2);
    const [first, second] = turns as [ReadableSpan, ReadableSpan];
    expect(first.attributes['prx.turn.interrupted']).toBe(true);
    const names = first.events.map((e) => e.name);
    expect(names).toContain('barge_in');
    expect(names).toContain('barge_in.resolved');
    const resolved = first.events.find((e) => e.name === 'barge_in.resolved');
    expect(resolved?.attributes?.['prx.playback.played_ms']).toBeGreaterThan(0);
    // The second turn starts when the caller started talking over the bot.
    const vads = s.events.filter((e) => e.type === 'prx.voice.media.vad_started');
    expect(ms(second.startTime)).toBe(Date.parse(vads[1]?.time ?? ''));
    // The flushed segment's span ended with the flush.
    const flushedTts = named(all, 'tts').filter((x) => x.attributes['prx.playback.flushed']);
    expect(flushedTts.length).toBeGreaterThanOrEqual(1);
    for (const x of all) expect(x.endTime[0], x.name).toBeGreaterThan(0);
  });

  it('puts a speculative answer the turn adopted under the turn, and one the caller talked over under the session', async () => {
    const { s, spans, trace } = await traced({
      settings: { endpointing: { minDelayMs: 1_200, maxDelayMs: 3_000, speculative: true } },
    });
    await s.speak(600);
    await s.silence(700); // the run starts on the pause, and is talked over
    await s.speak(600);
    await s.silence(4000); // this one answers before the end of turn is decided, then is adopted
    const all = await spans();
    const turn = one(all, 'turn');
    const chats = named(all, 'chat');
    const kept = chats.filter((c) => parentOf(c) === id(turn));
    const dropped = chats.filter((c) => c.attributes['prx.agent.speculative'] === true);
    expect(kept).toHaveLength(1);
    expect(dropped.length).toBeGreaterThanOrEqual(1);
    for (const c of dropped) expect(parentOf(c)).toBe(spanIdOf(trace().traceparent));
    // The adopted run answered before the turn existed: its span starts before the turn's events.
    const adopted = kept[0] as ReadableSpan;
    const runId = adopted.attributes['prx.run.id'];
    const firstOfTurn = s.events.find((e) => e.prxturnid !== undefined);
    expect(s.events.some((e) => e.prxrunid === runId && e.prxturnid === undefined)).toBe(true);
    expect(ms(adopted.startTime)).toBeLessThan(Date.parse(firstOfTurn?.time ?? ''));
    for (const tts of named(all, 'tts').filter((t) => !dropped.some((d) => d === t)))
      if (tts.attributes['prx.playback.played_ms'] !== undefined)
        expect(parentOf(tts)).toBe(id(turn));
  });

  it('gives each tool call an execute_tool span under its chat span', async () => {
    const tools = createToolRegistry();
    tools.register({
      name: 'get_weather',
      description: 'weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      handler: (args) => Promise.resolve({ city: args.city, sky: 'sunny' }),
    });
    const { s, spans } = await traced(
      {
        tools,
        providers: (clock) => ({
          agent: createFakeAgent({
            clock,
            runs: [
              [
                {
                  type: 'tool_call',
                  call: { id: 'c1', name: 'get_weather', arguments: { city: 'Oslo' } },
                  delayMs: 10,
                },
                { type: 'done', finishReason: 'tool_calls' },
              ],
              fakeAnswer('It is sunny in Oslo.', 10),
            ],
          }),
        }),
      },
      { includeText: true },
    );
    s.actor.dispatch({ type: 'text_input', text: 'weather in Oslo? call me on +1 415 555 0100' });
    await s.advance(4000);
    const all = await spans();
    const chat = one(all, 'chat');
    const tool = one(all, 'execute_tool get_weather');
    expect(parentOf(tool)).toBe(id(chat));
    expect(parentOf(chat)).toBe(id(one(all, 'turn')));
    expect(tool.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'get_weather',
      'gen_ai.tool.call.id': 'c1',
      'gen_ai.tool.call.arguments': '{"city":"Oslo"}',
    });
    expect(chat.events.map((e) => e.name)).toEqual(['tool_round']);
    // With text on, it is there — redacted.
    const turn = one(all, 'turn');
    expect(turn.attributes['prx.turn.user_text']).toContain('weather in Oslo?');
    expect(turn.attributes['prx.turn.user_text']).not.toContain('555 0100');
    expect(chat.attributes['prx.agent.answer']).toBe('It is sunny in Oslo.');
  });

  it('ends every open span when the session is gone, and a late event of an ended turn keeps its span', async () => {
    const { s, spans, trace } = await traced();
    s.actor.dispatch({ type: 'text_input', text: 'hi' });
    await s.advance(4000);
    const turnId = s.events.find((e) => e.type === 'prx.voice.turn.completed')?.prxturnid;
    const turnSpan = trace().traceparentOf(turnId);
    expect(trace().traceparentOf(turnId)).toBe(turnSpan);
    s.actor.dispatch({ type: 'text_input', text: 'and again' });
    await s.advance(30);
    trace().end();
    const all = await spans();
    expect(named(all, 'turn')).toHaveLength(2);
    expect(one(all, 'session')).toBeDefined();
    expect(trace().traceparentOf(turnId)).toBe(turnSpan);
  });
});
