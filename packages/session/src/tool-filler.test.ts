/**
 * Scenarios on the simulated clock for what happens around a slow tool: the filler
 * (`speak_while_waiting`) said once per round after the grace, never for a fast tool,
 * and part of what the caller heard; a barge-in during the call cancels it unless the
 * tool opted out, whose result then joins the conversation after its call.
 */
import { describe, expect, it } from 'vitest';
import { createFakeAgent, fakeAnswer } from '@prx-voice/adapter/testing';
import type { FakeAgentStep } from '@prx-voice/adapter/testing';
import { createScenario } from './testing/scenario.js';
import type { Scenario } from './testing/scenario.js';
import { createToolRegistry } from './tools.js';
import type { ToolRegistry } from './tools.js';

type Data = Record<string, unknown>;
const dataOf = (s: Scenario, type: string): Data[] =>
  s.events.filter((e) => e.type === type).map((e) => e.data as Data);

const FILLER = 'One moment, let me check.';

/** A tool answering after `ms` on the scenario's clock (set once the scenario exists). */
function slowTool(
  tools: ToolRegistry,
  name: string,
  opts: { ms: () => number; clock: () => Scenario['clock']; continueOnInterrupt?: boolean },
  seen: { aborted: string[] },
): void {
  tools.register({
    name,
    description: `${name}, slowly`,
    parameters: { type: 'object', properties: {} },
    timeoutMs: 10_000,
    ...(opts.continueOnInterrupt === undefined
      ? {}
      : { continueOnInterrupt: opts.continueOnInterrupt }),
    handler: (_args, ctx) =>
      new Promise((resolve, reject) => {
        const timer = opts.clock().setTimeout(() => resolve({ tool: name, done: true }), opts.ms());
        ctx.signal.addEventListener('abort', () => {
          opts.clock().clearTimeout(timer);
          seen.aborted.push(name);
          reject(new Error('aborted'));
        });
      }),
  });
}

const call = (id: string, name: string): FakeAgentStep[] => [
  { type: 'tool_call', call: { id, name, arguments: {} }, delayMs: 10 },
  { type: 'done', finishReason: 'tool_calls' },
];

async function scenario(o: {
  toolMs: number;
  runs: FakeAgentStep[][];
  continueOnInterrupt?: boolean;
  graceMs?: number;
}) {
  const tools = createToolRegistry();
  const seen = { aborted: [] as string[] };
  // The tool runs on the scenario's clock, made with the scenario.
  const made: { s?: Scenario } = {};
  const clock = () => {
    if (made.s === undefined) throw new Error('no scenario yet');
    return made.s.clock;
  };
  slowTool(
    tools,
    'lookup',
    {
      ms: () => o.toolMs,
      clock,
      ...(o.continueOnInterrupt === undefined
        ? {}
        : { continueOnInterrupt: o.continueOnInterrupt }),
    },
    seen,
  );
  const s = await createScenario({
    tools,
    settings: {
      toolFillers: { lookup: FILLER },
      ...(o.graceMs === undefined ? {} : { toolFillerGraceMs: o.graceMs }),
    },
    providers: (c) => ({ agent: createFakeAgent({ clock: c, runs: o.runs }) }),
  });
  made.s = s;
  return { s, seen };
}

describe('scenario: a filler while a tool runs', () => {
  it('says the filler once after the grace, then the answer; both are what the caller heard', async () => {
    const { s } = await scenario({
      toolMs: 2_000,
      runs: [call('c1', 'lookup'), fakeAnswer('It is ready.', 10)],
    });
    s.actor.dispatch({ type: 'text_input', text: 'is my order ready?' });
    await s.advance(6_000);
    const queued = dataOf(s, 'prx.voice.tts.segment_queued').map((d) => d.text);
    expect(queued).toEqual([FILLER, 'It is ready.']);
    // The filler came after the grace (300 ms by default), while the tool ran.
    const fillerAt = s.events.find((e) => e.type === 'prx.voice.tts.segment_queued')?.time;
    const callAt = s.events.find((e) => e.type === 'prx.voice.agent.tool_call')?.time;
    expect(Date.parse(String(fillerAt)) - Date.parse(String(callAt))).toBeGreaterThanOrEqual(300);
    expect(s.types().indexOf('prx.voice.playback.started')).toBeLessThan(
      s.types().indexOf('prx.voice.agent.tool_result'),
    );
    const [turn] = dataOf(s, 'prx.voice.turn.completed');
    expect(turn).toMatchObject({
      assistant_text: `${FILLER} It is ready.`,
      interrupted: false,
    });
    // Mock TTS: 50 ms a character of both lines.
    expect(s.output.samples).toBe((FILLER.length + 'It is ready.'.length) * 50 * 24);
    expect(s.actor.model.conversation).toMatchObject([
      { role: 'user', content: 'is my order ready?' },
      { role: 'assistant', content: FILLER, toolCalls: [{ id: 'c1', name: 'lookup' }] },
      { role: 'tool', toolCallId: 'c1', name: 'lookup' },
      { role: 'assistant', content: 'It is ready.' },
    ]);
    expect(s.states()).toEqual(['Connecting', 'Listening', 'Thinking', 'Speaking', 'Listening']);
  });

  it('says nothing for a tool that answers within the grace', async () => {
    const { s } = await scenario({
      toolMs: 100,
      runs: [call('c1', 'lookup'), fakeAnswer('It is ready.', 10)],
    });
    s.actor.dispatch({ type: 'text_input', text: 'is my order ready?' });
    await s.advance(4_000);
    expect(dataOf(s, 'prx.voice.tts.segment_queued').map((d) => d.text)).toEqual(['It is ready.']);
    expect(dataOf(s, 'prx.voice.turn.completed')[0]).toMatchObject({
      assistant_text: 'It is ready.',
    });
  });

  it('says it once per round, for each slow round, after the configured grace', async () => {
    const { s } = await scenario({
      toolMs: 1_500,
      graceMs: 1_000,
      runs: [call('c1', 'lookup'), call('c2', 'lookup'), fakeAnswer('Both are ready.', 10)],
    });
    s.actor.dispatch({ type: 'text_input', text: 'check both orders' });
    await s.advance(10_000);
    expect(dataOf(s, 'prx.voice.tts.segment_queued').map((d) => d.text)).toEqual([
      FILLER,
      FILLER,
      'Both are ready.',
    ]);
    expect(dataOf(s, 'prx.voice.turn.completed')[0]).toMatchObject({
      assistant_text: `${FILLER} ${FILLER} Both are ready.`,
    });
  });

  it('an interruption after the filler: the filler was heard, the call is cancelled', async () => {
    const { s, seen } = await scenario({
      toolMs: 5_000,
      runs: [call('c1', 'lookup'), fakeAnswer('It is ready.', 10)],
    });
    s.actor.dispatch({ type: 'text_input', text: 'is my order ready?' });
    // The grace, then the whole filler (25 characters: 1.25 s) is played.
    await s.advance(2_000);
    s.actor.dispatch({ type: 'interrupt' });
    await s.advance(6_000);
    expect(seen.aborted).toEqual(['lookup']);
    expect(dataOf(s, 'prx.voice.interrupt.issued')[0]).toMatchObject({ heard_text: FILLER });
    expect(dataOf(s, 'prx.voice.turn.completed')[0]).toMatchObject({
      assistant_text: FILLER,
      interrupted: true,
    });
    // The cancelled call is answered in the conversation (as cancelled), right after it.
    expect(dataOf(s, 'prx.voice.agent.tool_result')).toMatchObject([
      { call_id: 'c1', ok: false, error: { code: 'INTERNAL' } },
    ]);
    const tool = s.actor.model.conversation.findIndex((m) => m.role === 'tool');
    expect(s.actor.model.conversation[tool - 1]).toMatchObject({ toolCalls: [{ id: 'c1' }] });
    expect(s.actor.model.conversation[tool]?.content).toContain('cancelled');
  });
});

describe('scenario: a barge-in during a tool call', () => {
  it('a tool that opted out finishes; its result joins the conversation after its call', async () => {
    const { s, seen } = await scenario({
      toolMs: 3_000,
      continueOnInterrupt: true,
      runs: [call('c1', 'lookup'), fakeAnswer('What else?', 10)],
    });
    s.actor.dispatch({ type: 'text_input', text: 'is my order ready?' });
    await s.advance(1_000);
    s.actor.dispatch({ type: 'interrupt' });
    await s.advance(200);
    // The turn is over (interrupted) and the next one starts while the tool still runs.
    expect(dataOf(s, 'prx.voice.turn.completed')).toMatchObject([{ interrupted: true }]);
    s.actor.dispatch({ type: 'text_input', text: 'never mind' });
    await s.advance(5_000);
    expect(seen.aborted).toEqual([]);
    const results = s.events.filter((e) => e.type === 'prx.voice.agent.tool_result');
    expect(results.map((e) => e.data)).toMatchObject([{ call_id: 'c1', ok: true }]);
    expect(s.actor.model.conversation).toMatchObject([
      { role: 'user', content: 'is my order ready?' },
      { role: 'assistant', toolCalls: [{ id: 'c1' }] },
      { role: 'tool', toolCallId: 'c1', content: JSON.stringify({ tool: 'lookup', done: true }) },
      // What the caller heard of the filler before the interruption (played from 310 ms).
      { role: 'assistant', content: 'One moment,' },
      { role: 'user', content: 'never mind' },
      { role: 'assistant', content: 'What else?' },
    ]);
  });

  it('the session ending stops a tool that opted out too', async () => {
    const { s, seen } = await scenario({
      toolMs: 3_000,
      continueOnInterrupt: true,
      runs: [call('c1', 'lookup')],
    });
    s.actor.dispatch({ type: 'text_input', text: 'is my order ready?' });
    await s.advance(1_000);
    s.actor.dispatch({ type: 'end' });
    await s.advance(500);
    expect(seen.aborted).toEqual(['lookup']);
  });
});
