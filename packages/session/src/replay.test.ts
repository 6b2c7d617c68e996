import { describe, expect, it } from 'vitest';
import { replay } from '@prx-voice/event';
import type { StepRecord } from './actor-types.js';
import type { SessionCommand, SessionModel } from './model.js';
import { initialModel, step } from './reducer/step.js';
import { createScenario } from './testing/scenario.js';
import type { Scenario } from './testing/scenario.js';

/** Feeds recorded inputs, with their times and the IDs minted then, back through the reducer. */
function replayScenario(s: Scenario): {
  models: SessionModel[];
  commands: (readonly SessionCommand[])[];
} {
  const reducer = (model: SessionModel, record: StepRecord) => {
    const ids = [...record.ids];
    const r = step(model, record.input, {
      now: record.at,
      newId: () => {
        const id = ids.shift();
        if (id === undefined) throw new Error('replay minted more IDs than the recording');
        return id;
      },
    });
    expect(ids).toEqual([]);
    return { state: r.model, commands: r.commands };
  };
  const steps = replay(
    reducer,
    initialModel({ sessionId: s.sessionId, tenantId: s.tenantId, settings: s.settings }),
    s.steps,
  );
  return { models: steps.map((x) => x.state), commands: steps.map((x) => x.commands) };
}

describe('replay', () => {
  it.each([
    [
      'a normal voice turn',
      async (s: Scenario) => {
        await s.speak(600);
        await s.silence(3000);
      },
    ],
    [
      'a barge-in while speaking',
      async (s: Scenario) => {
        await s.speak(600);
        for (let i = 0; i < 200 && s.actor.model.machine.value !== 'Speaking'; i++)
          await s.silence(20);
        await s.advance(300);
        await s.speak(600);
        await s.silence(3000);
      },
    ],
    [
      'text turns, pause and resume, end',
      async (s: Scenario) => {
        s.actor.dispatch({ type: 'text_input', text: 'one two three' });
        await s.advance(400);
        s.actor.dispatch({ type: 'pause' });
        await s.advance(1000);
        s.actor.dispatch({ type: 'resume' });
        await s.advance(3000);
        s.actor.dispatch({ type: 'end' });
        await s.settle();
      },
    ],
    [
      'a settings update while the bot speaks, applied at the boundary',
      async (s: Scenario) => {
        s.actor.dispatch({ type: 'text_input', text: 'one. two. three.' });
        for (let i = 0; i < 200 && s.actor.model.machine.value !== 'Speaking'; i++)
          await s.advance(10);
        s.actor.dispatch({
          type: 'settings_update',
          update: {
            language: 'de-DE',
            systemPrompt: 'Sie sind hilfsbereit.',
            providerOptions: { tts: { voice: 'de' } },
            context: 'summary',
          },
        });
        await s.advance(4000);
        s.actor.dispatch({ type: 'text_input', text: 'noch einmal' });
        await s.advance(3000);
        expect(s.types()).toContain('prx.voice.session.updated');
        expect(s.actor.model.settings.info.language).toBe('de-DE');
      },
    ],
  ])('reproduces the states and commands of %s exactly', async (_name, drive) => {
    const s = await createScenario();
    await drive(s);
    expect(s.steps.length).toBeGreaterThan(10);
    const { models, commands } = replayScenario(s);
    expect(commands).toEqual(s.steps.map((r) => r.commands));
    expect(models.map((m) => m.machine.value)).toEqual(s.steps.map((r) => r.state));
    expect(models.at(-1)).toEqual(s.actor.model);
  });

  it('detects a divergence: a changed input changes the commands', async () => {
    const s = await createScenario();
    s.actor.dispatch({ type: 'text_input', text: 'hello' });
    await s.advance(2000);
    const tampered = s.steps.map((r) =>
      r.input.type === 'text_input'
        ? { ...r, input: { type: 'text_input' as const, text: '' } }
        : r,
    );
    const model = initialModel({
      sessionId: s.sessionId,
      tenantId: s.tenantId,
      settings: s.settings,
    });
    const first = tampered.find((r) => r.input.type === 'text_input');
    let m = model;
    for (const r of tampered) {
      if (r === first) break;
      m = step(m, r.input, { now: r.at, newId: () => 'x' }).model;
    }
    if (first === undefined) throw new Error('no text input recorded');
    expect(step(m, first.input, { now: first.at, newId: () => 'x' }).commands).not.toEqual(
      first.commands,
    );
  });
});
