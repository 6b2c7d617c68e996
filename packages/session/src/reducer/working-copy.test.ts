import { describe, expect, it } from 'vitest';
import { initialModel, step } from './step.js';
import { copyPlain, workingCopy } from './working-copy.js';
import { createScenario } from '../testing/scenario.js';

describe('working copy', () => {
  it('copies plain data deeply, keeping undefined members, sharing nothing', () => {
    const value = {
      a: 1,
      b: 'x',
      c: null,
      d: undefined,
      e: [1, { f: [2, 3] }],
      g: { h: { i: true } },
    };
    const copy = copyPlain(value);
    expect(copy).toStrictEqual(value);
    expect(Object.keys(copy)).toEqual(Object.keys(value));
    expect(copy.e).not.toBe(value.e);
    expect(copy.e[1]).not.toBe(value.e[1]);
    expect(copy.g.h).not.toBe(value.g.h);
  });

  it('copies what is not plain data as structuredClone does', () => {
    const value = { at: new Date(5), m: new Map([['k', { v: 1 }]]) };
    const copy = copyPlain(value);
    expect(copy).toStrictEqual(structuredClone(value));
    expect(copy.m.get('k')).not.toBe(value.m.get('k'));
  });

  it('equals structuredClone on the models of a whole session', async () => {
    const s = await createScenario();
    await s.speak(600);
    await s.silence(3000);
    await s.speak(400);
    await s.silence(3000);
    let model = initialModel({
      sessionId: s.sessionId,
      tenantId: s.tenantId,
      settings: s.settings,
    });
    expect(workingCopy(model)).toStrictEqual(model);
    for (const record of s.steps) {
      let i = 0;
      model = step(model, record.input, {
        now: record.at,
        newId: () => record.ids[i++] ?? 'x',
      }).model;
      const copy = workingCopy(model);
      const { conversation, settings, ...rest } = model;
      expect(copy).toStrictEqual({ ...structuredClone(rest), settings, conversation });
      expect(copy.conversation).not.toBe(model.conversation);
    }
    expect(s.steps.length).toBeGreaterThan(20);
  });
});
