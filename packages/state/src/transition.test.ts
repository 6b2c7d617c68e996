import { SESSION_STATES } from '@prx-voice/types';
import type { SessionState } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import { INITIAL_CONTEXT } from './machine-context.js';
import { sessionMachine } from './session-machine.js';
import { PAUSABLE_STATES } from './state-groups.js';
import type { PausableState } from './state-groups.js';
import { initialMachineState, transition } from './transition.js';
import type { MachineState } from './transition.js';
import { TRIGGER_TYPES } from './triggers.js';
import type { SessionTrigger } from './triggers.js';

/** Applies triggers in order, failing on any that does not move the machine. */
function drive(state: MachineState, ...triggers: SessionTrigger[]): MachineState {
  return triggers.reduce((current, trigger) => {
    const result = transition(current, trigger);
    if (result.kind !== 'moved') {
      throw new Error(`${trigger.type} in ${current.value}: ${result.why}`);
    }
    return result.state;
  }, state);
}

const TO_LISTENING: SessionTrigger[] = [{ type: 'SESSION_CREATE' }, { type: 'ADAPTERS_READY' }];

/** How to reach each pausable state from a new session. */
const ROUTES: Record<PausableState, SessionTrigger[]> = {
  Listening: TO_LISTENING,
  UserSpeaking: [...TO_LISTENING, { type: 'VAD_STARTED' }],
  AsrProcessing: [...TO_LISTENING, { type: 'VAD_STARTED' }, { type: 'VAD_ENDED' }],
  Thinking: [...TO_LISTENING, { type: 'TEXT_INPUT' }],
  Speaking: [...TO_LISTENING, { type: 'TEXT_INPUT' }, { type: 'AGENT_RESPONSE_START' }],
  Interrupted: [
    ...TO_LISTENING,
    { type: 'TEXT_INPUT' },
    { type: 'AGENT_RESPONSE_START' },
    { type: 'INTERRUPT_DETECTED' },
  ],
};

/** Where RESUME lands for each pausable state (transient states collapse to Listening). */
const RESUMES_TO: Record<PausableState, SessionState> = {
  Listening: 'Listening',
  UserSpeaking: 'Listening',
  AsrProcessing: 'Listening',
  Thinking: 'Thinking',
  Speaking: 'Speaking',
  Interrupted: 'Listening',
};

describe('initialMachineState', () => {
  it('is Idle with an empty context, a fresh object each time', () => {
    const a = initialMachineState();
    expect(a).toEqual({
      value: 'Idle',
      context: { pausedFrom: null, interruptedFrom: null, reason: null, outcome: null },
    });
    expect(initialMachineState()).not.toBe(a);
    expect(initialMachineState().context).not.toBe(a.context);
  });
});

describe('a normal turn', () => {
  it('goes round Listening → UserSpeaking → AsrProcessing → Thinking → Speaking → Listening', () => {
    const seen: string[] = [];
    let state = initialMachineState();
    const triggers: SessionTrigger[] = [
      ...TO_LISTENING,
      { type: 'VAD_STARTED' },
      { type: 'VAD_ENDED' },
      { type: 'TRANSCRIPT_FINAL', empty: false },
      { type: 'AGENT_RESPONSE_START' },
      { type: 'PLAYBACK_COMPLETED' },
    ];
    for (const trigger of triggers) {
      const result = transition(state, trigger);
      if (result.kind !== 'moved') throw new Error(result.why);
      seen.push(`${result.from}→${result.to}`);
      expect(result).not.toHaveProperty('reason');
      state = result.state;
    }
    expect(seen).toEqual([
      'Idle→Connecting',
      'Connecting→Listening',
      'Listening→UserSpeaking',
      'UserSpeaking→AsrProcessing',
      'AsrProcessing→Thinking',
      'Thinking→Speaking',
      'Speaking→Listening',
    ]);
  });
});

describe('pause and resume', () => {
  it.each(PAUSABLE_STATES.map((s) => [s] as const))(
    'pausing in %s remembers it, and RESUME goes back as documented',
    (from) => {
      const before = drive(initialMachineState(), ...ROUTES[from]);
      expect(before.value).toBe(from);
      const paused = drive(before, { type: 'PAUSE' });
      expect(paused).toEqual({
        value: 'Paused',
        context: { ...INITIAL_CONTEXT, pausedFrom: from },
      });
      const resumed = transition(paused, { type: 'RESUME' });
      expect(resumed).toMatchObject({ kind: 'moved', from: 'Paused', to: RESUMES_TO[from] });
      expect(resumed.state.context).toEqual(INITIAL_CONTEXT);
    },
  );

  it('refuses to pause twice and to resume when not paused', () => {
    const paused = drive(initialMachineState(), ...ROUTES.Speaking, { type: 'PAUSE' });
    expect(transition(paused, { type: 'PAUSE' })).toMatchObject({
      kind: 'ignored',
      why: 'not_accepted',
    });
    const listening = drive(initialMachineState(), ...TO_LISTENING);
    expect(transition(listening, { type: 'RESUME' })).toMatchObject({
      kind: 'ignored',
      why: 'not_accepted',
    });
  });

  it('closes a session paused for too long', () => {
    const paused = drive(initialMachineState(), ...ROUTES.Thinking, { type: 'PAUSE' });
    expect(transition(paused, { type: 'STATE_TIMEOUT', state: 'Paused' })).toMatchObject({
      kind: 'moved',
      to: 'Closed',
      reason: 'idle_timeout',
    });
  });
});

describe('interruptions', () => {
  it.each([['Speaking'], ['Thinking']] as const)(
    'a false interruption of %s goes back to it',
    (from) => {
      const interrupted = drive(initialMachineState(), ...ROUTES[from], {
        type: 'INTERRUPT_DETECTED',
      });
      expect(interrupted.context.interruptedFrom).toBe(from);
      const result = transition(interrupted, {
        type: 'INTERRUPT_RESOLVED',
        outcome: 'false_interruption',
      });
      expect(result).toMatchObject({
        kind: 'moved',
        from: 'Interrupted',
        to: from,
        reason: 'false_interruption',
      });
      expect(result.state.context.interruptedFrom).toBeNull();
    },
  );

  it('a barge-in goes to UserSpeaking while the caller talks, else to Listening', () => {
    const interrupted = drive(initialMachineState(), ...ROUTES.Thinking, {
      type: 'INTERRUPT_DETECTED',
      source: 'client',
    });
    expect(interrupted.context.reason).toBe('client_interrupt');
    const talking = {
      type: 'INTERRUPT_RESOLVED',
      outcome: 'barge_in',
      userSpeaking: true,
    } as const;
    const done = { type: 'INTERRUPT_RESOLVED', outcome: 'barge_in', userSpeaking: false } as const;
    expect(transition(interrupted, talking)).toMatchObject({
      to: 'UserSpeaking',
      reason: 'barge_in',
    });
    expect(transition(interrupted, done)).toMatchObject({ to: 'Listening', reason: 'barge_in' });
  });

  it('a false interruption with no remembered state (a hand-made snapshot) recovers to Listening', () => {
    const odd: MachineState = { value: 'Interrupted', context: INITIAL_CONTEXT };
    expect(
      transition(odd, { type: 'INTERRUPT_RESOLVED', outcome: 'false_interruption' }),
    ).toMatchObject({ kind: 'moved', to: 'Listening', reason: 'false_interruption' });
  });

  it('the transcript of a barge-in that ended before it was resolved still starts a turn', () => {
    const listening = drive(initialMachineState(), ...ROUTES.Interrupted, {
      type: 'INTERRUPT_RESOLVED',
      outcome: 'barge_in',
      userSpeaking: false,
    });
    expect(transition(listening, { type: 'TRANSCRIPT_FINAL', empty: false })).toMatchObject({
      to: 'Thinking',
    });
  });
});

describe('timeouts', () => {
  it('ignores a STATE_TIMEOUT of a state the machine has left', () => {
    const listening = drive(initialMachineState(), ...TO_LISTENING);
    const speaking = drive(listening, { type: 'VAD_STARTED' });
    const stale = transition(speaking, { type: 'STATE_TIMEOUT', state: 'Listening' });
    expect(stale).toEqual({ kind: 'ignored', state: speaking, why: 'stale_timeout' });
    expect(stale.state).toBe(speaking);
  });

  it('ignores the timeout of a left state even after coming back through other states', () => {
    const back = drive(
      initialMachineState(),
      ...ROUTES.Speaking,
      { type: 'PLAYBACK_COMPLETED' },
      { type: 'VAD_STARTED' },
    );
    expect(transition(back, { type: 'STATE_TIMEOUT', state: 'Speaking' }).kind).toBe('ignored');
  });

  it('acts on the timeout of the current state', () => {
    const thinking = drive(initialMachineState(), ...ROUTES.Thinking);
    expect(transition(thinking, { type: 'STATE_TIMEOUT', state: 'Thinking' })).toMatchObject({
      kind: 'moved',
      to: 'Listening',
      reason: 'thinking_timeout',
    });
  });

  it('has no xstate delays: timers belong to the caller', () => {
    for (const state of SESSION_STATES) {
      expect(sessionMachine.states[state]?.after).toEqual([]);
    }
  });
});

describe('terminal states', () => {
  it.each([['Closed'], ['Failed']] as const)('%s ignores every trigger', (value) => {
    const state: MachineState = { value, context: { ...INITIAL_CONTEXT, outcome: 'error' } };
    const triggers: SessionTrigger[] = [
      ...TRIGGER_TYPES.filter(
        (t) =>
          ![
            'TRANSCRIPT_FINAL',
            'INTERRUPT_DETECTED',
            'INTERRUPT_RESOLVED',
            'CLOSE',
            'STATE_TIMEOUT',
          ].includes(t),
      ).map((type) => ({ type }) as SessionTrigger),
      { type: 'TRANSCRIPT_FINAL', empty: false },
      { type: 'INTERRUPT_DETECTED' },
      { type: 'INTERRUPT_RESOLVED', outcome: 'false_interruption' },
      { type: 'CLOSE', forced: true },
      { type: 'STATE_TIMEOUT', state: value },
      { type: 'STATE_TIMEOUT', state: 'Listening' },
    ];
    for (const trigger of triggers) {
      expect(transition(state, trigger)).toEqual({ kind: 'ignored', state, why: 'terminal' });
    }
  });

  it('records how the session ended', () => {
    const closed = drive(initialMachineState(), ...TO_LISTENING, {
      type: 'CLOSE',
      forced: false,
      reason: 'max_duration',
    });
    expect(closed).toEqual({
      value: 'Closed',
      context: { ...INITIAL_CONTEXT, reason: 'max_duration', outcome: 'max_duration' },
    });
    const failed = drive(
      initialMachineState(),
      { type: 'SESSION_CREATE' },
      { type: 'ADAPTER_INIT_FAILED' },
    );
    expect(failed.context).toMatchObject({ reason: 'adapter_init_failed', outcome: 'error' });
  });
});

describe('purity and serialisation', () => {
  const script: SessionTrigger[] = [
    ...ROUTES.Interrupted,
    { type: 'INTERRUPT_RESOLVED', outcome: 'false_interruption' },
    { type: 'PAUSE' },
    { type: 'RESUME' },
    { type: 'STATE_TIMEOUT', state: 'Thinking' },
    { type: 'HANDOFF_REQUEST' },
    { type: 'HANDOFF_FAILED' },
    { type: 'CLOSE', forced: true },
  ];

  it('keeps every snapshot JSON-safe, and a snapshot read back from JSON behaves the same', () => {
    let state = initialMachineState();
    for (const trigger of script) {
      const copy = JSON.parse(JSON.stringify(state)) as MachineState;
      expect(copy).toEqual(state);
      const direct = transition(state, trigger);
      const revived = transition(copy, trigger);
      expect(JSON.parse(JSON.stringify(revived))).toEqual(JSON.parse(JSON.stringify(direct)));
      expect(JSON.parse(JSON.stringify(direct.state))).toEqual(direct.state);
      state = direct.state;
    }
    expect(state.value).toBe('Closed');
  });

  it('gives the same output for the same input and never mutates its input', () => {
    let state = initialMachineState();
    for (const trigger of script) {
      const frozen = deepFreeze(structuredClone(state));
      const frozenTrigger = deepFreeze(structuredClone(trigger));
      const first = transition(frozen, frozenTrigger);
      const second = transition(frozen, frozenTrigger);
      expect(second).toEqual(first);
      expect(frozen).toEqual(state);
      expect(frozenTrigger).toEqual(trigger);
      if (first.kind === 'moved') expect(first.state).not.toBe(frozen);
      state = first.state;
    }
  });
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
