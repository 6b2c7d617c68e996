/**
 * Every state × every trigger, against tables written out by hand here (not
 * derived from the machine). Cells: the state moved to (abbreviated), `.` not
 * accepted, `~` a stale timeout, `x` terminal.
 */
import { SESSION_STATES } from '@prx-voice/types';
import type { SessionState } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import { INITIAL_CONTEXT } from './machine-context.js';
import type { MachineState, TransitionResult } from './transition.js';
import { accepts, transition } from './transition.js';
import { TRIGGER_TYPES } from './triggers.js';
import type { SessionTrigger } from './triggers.js';

/** One column: a trigger with a representative payload (the state → trigger for STATE_TIMEOUT). */
const COLUMNS: Record<string, (state: SessionState) => SessionTrigger> = {
  SC: () => ({ type: 'SESSION_CREATE' }),
  AR: () => ({ type: 'ADAPTERS_READY' }),
  AF: () => ({ type: 'ADAPTER_INIT_FAILED' }),
  AT: () => ({ type: 'ADAPTER_INIT_TIMEOUT' }),
  VS: () => ({ type: 'VAD_STARTED' }),
  VE: () => ({ type: 'VAD_ENDED' }),
  TF: () => ({ type: 'TRANSCRIPT_FINAL', empty: false }),
  TE: () => ({ type: 'TRANSCRIPT_FINAL', empty: true }),
  TX: () => ({ type: 'TEXT_INPUT' }),
  RS: () => ({ type: 'AGENT_RESPONSE_START' }),
  RE: () => ({ type: 'AGENT_RESPONSE_EMPTY' }),
  PC: () => ({ type: 'PLAYBACK_COMPLETED' }),
  AS: () => ({ type: 'ASR_TIMEOUT' }),
  GT: () => ({ type: 'AGENT_TIMEOUT' }),
  GE: () => ({ type: 'AGENT_ERROR' }),
  TT: () => ({ type: 'TTS_ERROR' }),
  ID: () => ({ type: 'INTERRUPT_DETECTED' }),
  IC: () => ({ type: 'INTERRUPT_DETECTED', source: 'client' }),
  BS: () => ({ type: 'INTERRUPT_RESOLVED', outcome: 'barge_in', userSpeaking: true }),
  BE: () => ({ type: 'INTERRUPT_RESOLVED', outcome: 'barge_in', userSpeaking: false }),
  FI: () => ({ type: 'INTERRUPT_RESOLVED', outcome: 'false_interruption' }),
  PA: () => ({ type: 'PAUSE' }),
  RM: () => ({ type: 'RESUME' }),
  HR: () => ({ type: 'HANDOFF_REQUEST' }),
  HC: () => ({ type: 'HANDOFF_CONFIRMED' }),
  HT: () => ({ type: 'HANDOFF_TIMEOUT' }),
  HF: () => ({ type: 'HANDOFF_FAILED' }),
  CG: () => ({ type: 'CLOSE', forced: false }),
  CF: () => ({ type: 'CLOSE', forced: true }),
  CR: () => ({ type: 'CLOSE', forced: false, reason: 'max_turns' }),
  TD: () => ({ type: 'TRANSPORT_DISCONNECT' }),
  RX: () => ({ type: 'RESOURCE_EXHAUSTED' }),
  UE: () => ({ type: 'UNRECOVERABLE_ERROR' }),
  TO: (state) => ({ type: 'STATE_TIMEOUT', state }),
  TS: (state) => ({
    type: 'STATE_TIMEOUT',
    state: state === 'Listening' ? 'Speaking' : 'Listening',
  }),
};

const ABBREVIATIONS: Record<string, SessionState> = {
  Id: 'Idle',
  Co: 'Connecting',
  Li: 'Listening',
  US: 'UserSpeaking',
  AP: 'AsrProcessing',
  Th: 'Thinking',
  Sp: 'Speaking',
  In: 'Interrupted',
  Pa: 'Paused',
  HP: 'HandoffPending',
  Cl: 'Closed',
  Fa: 'Failed',
};

// Interrupted starts interrupted from Speaking; Paused starts paused from Thinking.
const SET_UP_AND_TURN = `
               SC AR AF AT VS VE TF TE TX RS RE PC AS GT GE TT
Idle           Co .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
Connecting     .  Li Fa Fa .  .  .  .  .  .  .  .  .  .  .  .
Listening      .  .  .  .  US .  Th .  Th .  .  .  .  .  .  .
UserSpeaking   .  .  .  .  .  AP .  .  .  .  .  .  .  .  .  .
AsrProcessing  .  .  .  .  US .  Th Li .  .  .  .  Li .  .  .
Thinking       .  .  .  .  .  .  .  .  .  Sp Li .  .  Li Li Li
Speaking       .  .  .  .  .  .  .  .  .  .  .  Li .  Li Li Li
Interrupted    .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
Paused         .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
HandoffPending .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
Closed         x  x  x  x  x  x  x  x  x  x  x  x  x  x  x  x
Failed         x  x  x  x  x  x  x  x  x  x  x  x  x  x  x  x
`;

const CONTROL_AND_END = `
               ID IC BS BE FI PA RM HR HC HT HF CG CF CR TD RX UE TO TS
Idle           .  .  .  .  .  .  .  .  .  .  .  Cl Cl Cl Cl Fa Fa Cl ~
Connecting     .  .  .  .  .  .  .  .  .  .  .  Cl Cl Cl Cl Fa Fa Fa ~
Listening      .  .  .  .  .  Pa .  HP .  .  .  Cl Cl Cl Cl Fa Fa Cl ~
UserSpeaking   .  .  .  .  .  Pa .  HP .  .  .  Cl Cl Cl Cl Fa Fa AP ~
AsrProcessing  .  .  .  .  .  Pa .  HP .  .  .  Cl Cl Cl Cl Fa Fa Li ~
Thinking       In In .  .  .  Pa .  HP .  .  .  Cl Cl Cl Cl Fa Fa Li ~
Speaking       In In .  .  .  Pa .  HP .  .  .  Cl Cl Cl Cl Fa Fa Li ~
Interrupted    .  .  US Li Sp Pa .  HP .  .  .  Cl Cl Cl Cl Fa Fa Li ~
Paused         .  .  .  .  .  .  Th .  .  .  .  Cl Cl Cl Cl Fa Fa Cl ~
HandoffPending .  .  .  .  .  .  .  .  Cl Li Li Cl Cl Cl Cl Fa Fa Li ~
Closed         x  x  x  x  x  x  x  x  x  x  x  x  x  x  x  x  x  x  x
Failed         x  x  x  x  x  x  x  x  x  x  x  x  x  x  x  x  x  x  x
`;

/** Reasons of the exits every live state shares. */
const SHARED_REASONS = {
  CG: 'completed',
  CF: 'shutdown',
  CR: 'max_turns',
  TD: 'caller_hangup',
  RX: 'resource_exhausted',
  UE: 'unrecoverable_error',
} as const;

/** Reasons of the other moves; a move not listed here (or above) has no reason. */
const REASONS: Partial<Record<SessionState, Record<string, string>>> = {
  Idle: { TO: 'idle_timeout' },
  Connecting: { AF: 'adapter_init_failed', AT: 'adapter_init_timeout', TO: 'adapter_init_timeout' },
  Listening: { TO: 'idle_timeout' },
  UserSpeaking: { TO: 'max_utterance' },
  AsrProcessing: { TE: 'empty_transcript', AS: 'asr_timeout', TO: 'asr_timeout' },
  Thinking: {
    RE: 'empty_response',
    GT: 'agent_timeout',
    GE: 'agent_error',
    TT: 'tts_error',
    ID: 'user_speech',
    IC: 'client_interrupt',
    TO: 'thinking_timeout',
  },
  Speaking: {
    GT: 'agent_timeout',
    GE: 'agent_error',
    TT: 'tts_error',
    ID: 'user_speech',
    IC: 'client_interrupt',
    TO: 'speaking_timeout',
  },
  Interrupted: {
    BS: 'barge_in',
    BE: 'barge_in',
    FI: 'false_interruption',
    TO: 'interrupted_timeout',
  },
  Paused: { TO: 'idle_timeout' },
  HandoffPending: {
    HC: 'handoff',
    HT: 'handoff_timeout',
    HF: 'handoff_failed',
    TO: 'handoff_timeout',
  },
};

interface Cell {
  readonly state: SessionState;
  readonly column: string;
  readonly expected: string;
}

function parseGrid(grid: string): Cell[] {
  const [header, ...rows] = grid
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/));
  if (header === undefined) throw new Error('empty grid');
  return rows.flatMap(([state, ...cells]) => {
    if (cells.length !== header.length)
      throw new Error(`row ${String(state)} has ${cells.length} cells`);
    return cells.map((expected, i) => ({
      state: state as SessionState,
      column: header[i]!,
      expected,
    }));
  });
}

const CELLS = [...parseGrid(SET_UP_AND_TURN), ...parseGrid(CONTROL_AND_END)];

function startIn(state: SessionState): MachineState {
  if (state === 'Interrupted') {
    return { value: state, context: { ...INITIAL_CONTEXT, interruptedFrom: 'Speaking' } };
  }
  if (state === 'Paused')
    return { value: state, context: { ...INITIAL_CONTEXT, pausedFrom: 'Thinking' } };
  return { value: state, context: INITIAL_CONTEXT };
}

function triggerOf(column: string, state: SessionState): SessionTrigger {
  const make = COLUMNS[column];
  if (make === undefined) throw new Error(`unknown column ${column}`);
  return make(state);
}

function expectedReason(state: SessionState, column: string): string | undefined {
  return REASONS[state]?.[column] ?? (SHARED_REASONS as Record<string, string>)[column];
}

function describeResult(result: TransitionResult): string {
  if (result.kind === 'ignored') return result.why;
  return `${result.to}${result.reason === undefined ? '' : ` (${result.reason})`}`;
}

describe('the transition table', () => {
  it('has one row per state and one column per trigger variant, covering every trigger type', () => {
    for (const grid of [SET_UP_AND_TURN, CONTROL_AND_END]) {
      expect(parseGrid(grid).map((c) => c.state)).toEqual(
        expect.arrayContaining([...SESSION_STATES]),
      );
    }
    expect(new Set(CELLS.map((c) => c.column))).toEqual(new Set(Object.keys(COLUMNS)));
    expect(CELLS).toHaveLength(SESSION_STATES.length * Object.keys(COLUMNS).length);
    const covered = new Set(Object.keys(COLUMNS).map((column) => triggerOf(column, 'Idle').type));
    expect(covered).toEqual(new Set(TRIGGER_TYPES));
  });

  it.each(CELLS.map((c) => [c.state, c.column, c.expected, c] as const))(
    '%s × %s → %s',
    (_state, _column, _expected, cell) => {
      const start = startIn(cell.state);
      const result = transition(start, triggerOf(cell.column, cell.state));
      const ignoredAs: Record<string, string> = {
        '.': 'not_accepted',
        '~': 'stale_timeout',
        x: 'terminal',
      };
      const why = ignoredAs[cell.expected];
      if (why !== undefined) {
        expect(result).toEqual({ kind: 'ignored', state: start, why });
        expect(result.state).toBe(start);
        return;
      }
      const to = ABBREVIATIONS[cell.expected];
      const reason = expectedReason(cell.state, cell.column);
      const expected = `${String(to)}${reason === undefined ? '' : ` (${reason})`}`;
      expect(describeResult(result)).toBe(expected);
      if (result.kind !== 'moved') return;
      expect(result.from).toBe(cell.state);
      expect(result.state.value).toBe(to);
      expect(result.state.context.reason ?? undefined).toBe(reason);
      expect(result.state.context.outcome).toBe(
        to === 'Closed' ? reason : to === 'Failed' ? 'error' : null,
      );
      expect(result.state.context.pausedFrom).toBe(to === 'Paused' ? cell.state : null);
      expect(result.state.context.interruptedFrom).toBe(to === 'Interrupted' ? cell.state : null);
    },
  );

  it('says a state accepts a trigger type exactly when some payload of it moves the machine', () => {
    for (const state of SESSION_STATES) {
      for (const type of TRIGGER_TYPES) {
        const moves = CELLS.some(
          (c) =>
            c.state === state &&
            triggerOf(c.column, state).type === type &&
            ABBREVIATIONS[c.expected] !== undefined,
        );
        expect(accepts(state, type), `${state} accepts ${type}`).toBe(moves);
      }
    }
  });
});
