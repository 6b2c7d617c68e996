import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionState } from '@prx-voice/types';
import { createInputRecorder, recordedInputs, replay } from './replay.js';
import type { RecordedInput, ReplayStep } from './replay.js';
import { createSessionEmitter } from './session-emitter.js';
import { createMemorySink } from './testing/memory-sink.js';

type Input =
  | { readonly kind: 'speech_started' }
  | { readonly kind: 'transcript'; readonly text: string }
  | { readonly kind: 'token'; readonly text: string; readonly runId: number }
  | { readonly kind: 'done'; readonly runId: number };
interface State {
  readonly fsm: SessionState;
  readonly runId: number;
  readonly said: string;
}
type Command =
  | { readonly kind: 'start_agent'; readonly runId: number }
  | { readonly kind: 'speak'; readonly text: string };

// A toy reducer in the shape the session's is: pure, run-tagged inputs, stale ones dropped.
function step(state: State, input: Input): ReplayStep<State, Command> {
  switch (input.kind) {
    case 'speech_started':
      return { state: { ...state, fsm: 'UserSpeaking' }, commands: [] };
    case 'transcript': {
      const runId = state.runId + 1;
      return {
        state: { fsm: 'Thinking', runId, said: '' },
        commands: [{ kind: 'start_agent', runId }],
      };
    }
    case 'token':
      if (input.runId !== state.runId) return { state, commands: [] };
      return {
        state: { ...state, fsm: 'Speaking', said: state.said + input.text },
        commands: [{ kind: 'speak', text: input.text }],
      };
    case 'done':
      if (input.runId !== state.runId) return { state, commands: [] };
      return { state: { ...state, fsm: 'Listening' }, commands: [] };
  }
}

const initial: State = { fsm: 'Listening', runId: 0, said: '' };
const script: Input[] = [
  { kind: 'speech_started' },
  { kind: 'transcript', text: 'hi' },
  { kind: 'token', text: 'Hel', runId: 1 },
  { kind: 'speech_started' },
  { kind: 'transcript', text: 'stop' },
  { kind: 'token', text: 'lo', runId: 1 }, // stale: run 1 was replaced
  { kind: 'token', text: 'OK', runId: 2 },
  { kind: 'done', runId: 2 },
];

describe('replay', () => {
  it('reproduces the states and commands of a recorded live run', () => {
    const ids = createSequentialIdGenerator();
    const mem = createMemorySink();
    const emitter = createSessionEmitter({
      tenantId: ids.next('tenant'),
      sessionId: ids.next('session'),
      instanceId: 'n',
      clock: new SimulatedClock(),
      ids,
      sink: mem.sink,
    });
    const persisted: RecordedInput<Input>[] = [];
    const recorder = createInputRecorder<Input>({
      lastSeq: () => emitter.lastSeq,
      sink: (r) => persisted.push(structuredClone(r)),
    });

    // The live loop: record, reduce, emit what changed.
    const live: ReplayStep<State, Command>[] = [];
    let state = initial;
    for (const input of script) {
      recorder.record(input);
      const next = step(state, input);
      if (next.state.fsm !== state.fsm) {
        emitter.emit('prx.voice.session.state_changed', {
          from: state.fsm,
          to: next.state.fsm,
          trigger: input.kind,
        });
      }
      live.push(next);
      state = next.state;
    }

    const replayed = replay(step, initial, recordedInputs(persisted));
    expect(replayed).toEqual(live);
    expect(replayed.at(-1)?.state).toEqual({ fsm: 'Listening', runId: 2, said: 'OK' });
    expect(recorder.records).toHaveLength(script.length);

    // Each record says where in the event log its input was applied.
    expect(persisted.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 5, 6]);
    // Inputs applied before the log went past seq 2: the ones that led to events 1, 2 and 3.
    const upTo = replay(step, initial, recordedInputs(persisted, { throughSeq: 2 }));
    expect(upTo).toEqual(live.slice(0, 3));
    const third = mem.events[2];
    expect(third?.type === 'prx.voice.session.state_changed' && third.data.to).toBe(
      upTo.at(-1)?.state.fsm,
    );
  });

  it('returns one step per input and nothing for no input', () => {
    expect(replay(step, initial, [])).toEqual([]);
    expect(replay(step, initial, script)).toHaveLength(script.length);
  });

  it('refuses a recording with a gap or going back in the log', () => {
    const r = (index: number, seq: number): RecordedInput<Input> => ({
      index,
      seq,
      input: { kind: 'speech_started' },
    });
    expect(recordedInputs([r(4, 0), r(5, 1)])).toHaveLength(2);
    expect(() => recordedInputs([r(0, 0), r(2, 1)])).toThrow(/gap/);
    expect(() => recordedInputs([r(0, 3), r(1, 2)])).toThrow(/before the previous/);
  });

  it('continues a recording from a start index and can skip keeping records', () => {
    const sunk: RecordedInput<string>[] = [];
    const recorder = createInputRecorder<string>({
      lastSeq: () => 9,
      startIndex: 7,
      retain: false,
      sink: (r) => sunk.push(r),
    });
    expect(recorder.record('a')).toEqual({ index: 7, seq: 9, input: 'a' });
    expect(recorder.records).toEqual([]);
    expect(sunk).toHaveLength(1);
  });
});
