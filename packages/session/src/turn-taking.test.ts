/**
 * Turn-taking on simulated time with the mock providers: the defects of
 * issue 10 (each failed before the reducer was restructured) and the
 * behaviours that replaced them — backchannels, ducking, endpointing by
 * completeness, speculative runs and merged turns.
 */
import { describe, expect, it } from 'vitest';
import { assertGapFree } from '@prx-voice/event/testing';
import { createScenario } from './testing/scenario.js';
import type { Scenario } from './testing/scenario.js';

type Data = Record<string, unknown>;
const dataOf = (s: Scenario, type: string): Data[] =>
  s.events.filter((e) => e.type === type).map((e) => e.data as Data);
const indexOf = (s: Scenario, type: string): number => s.events.findIndex((e) => e.type === type);
const commands = (s: Scenario) => s.steps.flatMap((st) => st.commands);

/** A typed turn, then until the bot has been heard for `ms`. */
async function botSpeaking(s: Scenario, text: string, ms = 300): Promise<void> {
  s.actor.dispatch({ type: 'text_input', text });
  for (let i = 0; i < 100 && s.actor.model.machine.value !== 'Speaking'; i++) await s.advance(20);
  expect(s.actor.model.machine.value).toBe('Speaking');
  await s.advance(ms);
}

const LONG = 'tell me a long story about the sea and the ships please';

describe('turn-taking defects (each lost a turn before)', () => {
  it('typed over the bot: the interrupted turn completes with what was heard, then the typed turn starts', async () => {
    const s = await createScenario();
    await botSpeaking(s, LONG, 500);
    s.actor.dispatch({ type: 'text_input', text: 'stop that' });
    await s.advance(3000);
    const turns = dataOf(s, 'prx.voice.turn.completed');
    expect(turns).toHaveLength(2);
    expect(turns[0]).toMatchObject({ user_text: LONG, interrupted: true });
    const heard = String(turns[0]?.assistant_text);
    expect(heard.length).toBeGreaterThan(0);
    expect(`You said: ${LONG}`.startsWith(heard)).toBe(true);
    expect(turns[1]).toMatchObject({ user_text: 'stop that', interrupted: false });
    // The heard part is in the conversation before the typed words.
    expect(s.actor.model.conversation.map((m) => m.content)).toEqual([
      LONG,
      heard,
      'stop that',
      'You said: stop that',
    ]);
    // The first turn's completion is persisted before the second turn starts.
    const persisted = commands(s)
      .filter((c) => c.type === 'persist_turn_started' || c.type === 'persist_turn_completed')
      .map((c) => c.type);
    expect(persisted).toEqual([
      'persist_turn_started',
      'persist_turn_completed',
      'persist_turn_started',
      'persist_turn_completed',
    ]);
    expect(s.actor.model.interruption).toBeNull();
    expect(s.actor.model.timers).not.toHaveProperty('interrupt_confirm');
    assertGapFree(s.events);
  });

  it('a barge-in whose words come only with the final (batch ASR) completes the turn and answers the words', async () => {
    const s = await createScenario({
      providerOptions: {
        asr: { transcript: 'wait I changed my mind', partial_interval_ms: 60_000 },
      },
    });
    await botSpeaking(s, LONG, 400);
    await s.speak(500);
    await s.silence(4000);
    const turns = dataOf(s, 'prx.voice.turn.completed');
    expect(turns).toHaveLength(2);
    expect(turns[0]).toMatchObject({ user_text: LONG, interrupted: true });
    expect(turns[1]).toMatchObject({
      user_text: 'wait I changed my mind',
      assistant_text: 'You said: wait I changed my mind',
    });
    assertGapFree(s.events);
  });

  it('the answer ending while the caller speaks: the utterance becomes a turn, never lost', async () => {
    const s = await createScenario({
      providerOptions: { asr: { transcript: 'tell me more', partial_interval_ms: 60_000 } },
    });
    await botSpeaking(s, 'hi', 300); // "You said: hi": 600 ms of audio
    await s.speak(900); // the answer ends under this speech, undecided (no words yet)
    await s.silence(4000);
    const turns = dataOf(s, 'prx.voice.turn.completed');
    expect(turns).toHaveLength(2);
    expect(turns[0]).toMatchObject({ user_text: 'hi', interrupted: false });
    expect(turns[1]).toMatchObject({ user_text: 'tell me more' });
    expect(s.states()).toContain('UserSpeaking');
    assertGapFree(s.events);
  });
});

describe('barge-in that tells speech from acknowledgement', () => {
  it('a backchannel keeps the floor: ducked while judged, never stopped, every sample sent once', async () => {
    const s = await createScenario({ providerOptions: { asr: { transcript: 'uh huh' } } });
    await botSpeaking(s, LONG, 400);
    await s.speak(500);
    await s.silence(5000);
    expect(s.types()).not.toContain('prx.voice.interrupt.issued');
    expect(s.types()).not.toContain('prx.voice.playback.flushed');
    expect(dataOf(s, 'prx.voice.interrupt.false_resumed')).toMatchObject([
      { reason: 'backchannel', waited_ms: 0 },
    ]);
    const ducks = commands(s).filter((c) => c.type === 'duck_output');
    expect(ducks).toEqual([
      { type: 'duck_output', gain: 0.3 },
      { type: 'duck_output', gain: 1 },
    ]);
    expect(dataOf(s, 'prx.voice.turn.completed')).toMatchObject([
      { user_text: LONG, interrupted: false, assistant_text: `You said: ${LONG}` },
    ]);
    expect(s.output.samples).toBe(`You said: ${LONG}`.length * 50 * 24);
    assertGapFree(s.events);
  });

  it('words that are not an acknowledgement stop the bot at once, the flush told first', async () => {
    const s = await createScenario({ providerOptions: { asr: { transcript: 'hold on please' } } });
    await botSpeaking(s, LONG, 400);
    const speechStart = s.clock.now();
    const run = s.actor.model.run?.id ?? '';
    await s.speak(700);
    const flushed = indexOf(s, 'prx.voice.playback.flushed');
    const issued = indexOf(s, 'prx.voice.interrupt.issued');
    expect(flushed).toBeGreaterThan(0);
    expect(issued).toBeGreaterThan(flushed);
    // Decided at min_speech_ms of voiced time (200 ms), not after a pause and a 2 s wait.
    const issuedAt = Date.parse(s.events[issued]?.time ?? '');
    expect(issuedAt - speechStart).toBeLessThanOrEqual(260);
    expect(s.output.sent.filter((f) => f.runId === run && f.afterEvents > flushed)).toEqual([]);
    await s.silence(4000);
    expect(dataOf(s, 'prx.voice.turn.completed').map((t) => t.user_text)).toEqual([
      LONG,
      'hold on please',
    ]);
  });
});

describe('endpointing', () => {
  it('an unfinished phrase waits through a pause: the rest joins the same turn', async () => {
    const s = await createScenario({
      providerOptions: { asr: { transcript: ['I need a taxi to the', 'central station please'] } },
    });
    await s.speak(700);
    await s.silence(900); // a thinking pause of 0.9 s
    expect(s.output.frames).toBe(0);
    await s.speak(800);
    await s.silence(5000);
    expect(dataOf(s, 'prx.voice.turn.completed')).toMatchObject([
      { user_text: 'I need a taxi to the central station please', interrupted: false },
    ]);
    assertGapFree(s.events);
  });

  it('a finished phrase is answered after min_delay_ms of silence: the agent started speculatively', async () => {
    const s = await createScenario();
    await s.speak(600);
    await s.silence(2000);
    const [turn] = dataOf(s, 'prx.voice.turn.completed');
    const latency = turn?.latency as Record<string, number>;
    // min_delay_ms (350) of silence from the VAD's silence start, then the held audio goes out at once.
    expect(latency.voice_to_voice_ms).toBeGreaterThanOrEqual(350);
    expect(latency.voice_to_voice_ms).toBeLessThanOrEqual(390);
    // The agent ran while the turn was still being judged (before TRANSCRIPT_FINAL moved to Thinking).
    const startAgent = s.steps.filter((st) => st.commands.some((c) => c.type === 'start_agent'));
    expect(startAgent.map((st) => st.state)).toEqual(['AsrProcessing']);
  });

  it('speech resuming before the end of turn cancels the speculative run quietly: one turn, one answer', async () => {
    const s = await createScenario({
      settings: { endpointing: { minDelayMs: 600, maxDelayMs: 1500, speculative: true } },
      providerOptions: { asr: { transcript: ['hello', 'and goodbye'] } },
    });
    await s.speak(600);
    await s.silence(360); // the VAD ended speech at 300 ms; the speculative run started
    const speculative = commands(s).filter((c) => c.type === 'start_agent');
    expect(speculative).toHaveLength(1);
    await s.speak(600);
    await s.silence(3000);
    expect(dataOf(s, 'prx.voice.turn.completed')).toMatchObject([
      { user_text: 'hello and goodbye', assistant_text: 'You said: hello and goodbye' },
    ]);
    const cancelled = commands(s).filter((c) => c.type === 'cancel_run');
    expect(cancelled).toHaveLength(1);
    expect(s.output.sent.every((f) => f.runId !== cancelled[0]?.runId)).toBe(true);
    expect(s.types()).not.toContain('prx.voice.interrupt.issued');
  });

  it('an empty transcript is rejected explicitly, never silently', async () => {
    const s = await createScenario({ providerOptions: { asr: { transcript: '' } } });
    await s.speak(400);
    await s.silence(1500);
    expect(dataOf(s, 'prx.voice.asr.transcript_final')).toMatchObject([{ text: '' }]);
    expect(s.actor.model.machine.value).toBe('Listening');
    expect(dataOf(s, 'prx.voice.turn.completed')).toEqual([]);
  });
});

describe('what a client sees, in order', () => {
  it('each run’s first audio frame comes after its playback.started (also when held audio is released)', async () => {
    const s = await createScenario();
    await s.speak(600);
    await s.silence(2000);
    await botSpeaking(s, 'and now a typed one', 200);
    await s.advance(2000);
    const runs = [...new Set(s.output.sent.map((f) => f.runId))];
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      const first = s.output.sent.find((f) => f.runId === run);
      const started = s.events.findIndex(
        (e) => e.type === 'prx.voice.playback.started' && e.prxrunid === run,
      );
      expect(started).toBeGreaterThanOrEqual(0);
      expect(started).toBeLessThan(first?.afterEvents ?? -1);
    }
  });
});

describe('an end-of-turn model', () => {
  const order = ['I would like the soup', 'and a salad please'];
  const run = async (withModel: boolean) => {
    const asked: string[] = [];
    const s = await createScenario({
      providerOptions: { asr: { transcript: order } },
      ...(withModel
        ? {
            settings: {
              endpointing: {
                minDelayMs: 400,
                maxDelayMs: 1500,
                speculative: true,
                model: { threshold: 0.5 },
              },
            },
            endOfTurn: {
              id: 'fake',
              predict: ({ transcript }) => {
                asked.push(transcript);
                return Promise.resolve(transcript.endsWith('please') ? 0.95 : 0.1);
              },
            },
          }
        : {}),
    });
    await s.speak(700);
    await s.silence(800); // sounds finished to the heuristic; the caller is not done
    await s.speak(700);
    await s.silence(5000);
    return { s, asked };
  };

  it('overrides the transcript heuristic: an unfinished-sounding thought waits, one turn', async () => {
    const { s, asked } = await run(true);
    expect(asked).toEqual(['I would like the soup', 'I would like the soup and a salad please']);
    expect(dataOf(s, 'prx.voice.turn.completed')).toMatchObject([
      { user_text: 'I would like the soup and a salad please', interrupted: false },
    ]);
  });

  it('without it, the same pause ends the turn (the heuristic hears a finished sentence)', async () => {
    const { s } = await run(false);
    expect(dataOf(s, 'prx.voice.turn.completed').length).toBe(2);
  });
});

describe('holding a speculative answer', () => {
  it('a late final with other words drops the speculative run; nothing plays before the end of turn', async () => {
    const s = await createScenario({
      settings: { endpointing: { minDelayMs: 350, maxDelayMs: 1500, speculative: true } },
      providerOptions: { asr: { transcript: ['I need a taxi to the'] } },
    });
    await s.speak(600);
    await s.silence(400); // unfinished: a speculative run, held, waiting up to 1.5 s
    expect(s.actor.model.run?.speculative).toBe(true);
    // Another final for the same utterance (a streaming recogniser's late segment).
    s.actor.dispatch({ type: 'asr_final', text: 'station and' });
    await s.advance(300);
    expect(s.actor.model.run).toBeNull(); // its answer was for other words
    expect(s.output.frames).toBe(0); // nothing plays before the end of turn
    await s.silence(5000);
    expect(dataOf(s, 'prx.voice.turn.completed').map((t) => t.user_text)).toEqual([
      'I need a taxi to the station and',
    ]);
  });
});
