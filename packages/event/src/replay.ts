/**
 * Replay: feeding recorded inputs back through a pure reducer reproduces the
 * session's states and commands exactly.
 *
 * Why a separate input record: the protocol's event types are fixed and
 * describe what happened (transitions, transcripts, tokens), not the reducer's
 * inputs (timer fired, run-tagged adapter outputs, commands). So inputs are
 * kept beside the event log as `{ index, seq, input }`: `index` counts inputs
 * from 0 without gaps, `seq` is the session's last `prxseq` when the input was
 * applied, which places each input in the event log (the events it caused
 * have higher seqs). The session package decides where the records are kept
 * (through `sink`); this module only defines them and replays them.
 */
import { VoiceError } from '@prx-voice/types';

/** What a reducer returns for one input. */
export interface ReplayStep<S, C> {
  readonly state: S;
  readonly commands: readonly C[];
}

/** A pure, deterministic state transition: `step(state, input) → { state, commands }`. */
export type Reducer<S, I, C> = (state: S, input: I) => ReplayStep<S, C>;

/**
 * Runs `inputs` through `reducer` from `initial`; the i-th result is the
 * state and commands after the i-th input.
 *
 * @example
 * const steps = replay(step, initialState, recordedInputs(records));
 * expect(steps.map((s) => s.state.fsm)).toEqual(liveStates);
 */
export function replay<S, I, C>(
  reducer: Reducer<S, I, C>,
  initial: S,
  inputs: Iterable<I>,
): ReplayStep<S, C>[] {
  const steps: ReplayStep<S, C>[] = [];
  let state = initial;
  for (const input of inputs) {
    const step = reducer(state, input);
    steps.push(step);
    state = step.state;
  }
  return steps;
}

/** One recorded reducer input. */
export interface RecordedInput<I> {
  /** Position among the session's inputs, from 0, without gaps. */
  readonly index: number;
  /** The session's last `prxseq` when the input was applied (0 before any event). */
  readonly seq: number;
  readonly input: I;
}

/** Options of {@link createInputRecorder}. */
export interface InputRecorderOptions<I> {
  /** The session's current last `prxseq`, e.g. `() => emitter.lastSeq`. */
  readonly lastSeq: () => number;
  /** Receives each record as it is made, to persist it beside the event log. */
  readonly sink?: (record: RecordedInput<I>) => void;
  /** Keep the records in memory (`records`); default true. */
  readonly retain?: boolean;
  /** Index of the first record, to continue a recording after a restart; default 0. */
  readonly startIndex?: number;
}

/** Records a session's reducer inputs in the order they are applied. */
export interface InputRecorder<I> {
  /** Records an input just before it is applied; returns the record. */
  record(input: I): RecordedInput<I>;
  /** Records kept in memory (empty when `retain` is false). */
  readonly records: readonly RecordedInput<I>[];
}

/**
 * Creates an input recorder.
 *
 * @example
 * const recorder = createInputRecorder<SessionInput>({ lastSeq: () => emitter.lastSeq });
 * recorder.record(input); const { state, commands } = step(current, input);
 */
export function createInputRecorder<I>(options: InputRecorderOptions<I>): InputRecorder<I> {
  const records: RecordedInput<I>[] = [];
  const retain = options.retain ?? true;
  let index = options.startIndex ?? 0;
  return {
    record(input) {
      const record: RecordedInput<I> = Object.freeze({
        index: index++,
        seq: options.lastSeq(),
        input,
      });
      if (retain) records.push(record);
      options.sink?.(record);
      return record;
    },
    records,
  };
}

/** Options of {@link recordedInputs}. */
export interface RecordedInputsOptions {
  /** Only inputs applied when the log had reached at most this `prxseq`. */
  readonly throughSeq?: number;
}

/**
 * The inputs of a recording, in order, checked to be complete: indexes
 * consecutive (from the first record's) and seqs never decreasing; throws
 * `VALIDATION_FAILED` naming the first problem.
 */
export function recordedInputs<I>(
  records: Iterable<RecordedInput<I>>,
  options: RecordedInputsOptions = {},
): I[] {
  const inputs: I[] = [];
  let previous: RecordedInput<I> | undefined;
  for (const record of records) {
    if (previous !== undefined && record.index !== previous.index + 1) {
      throw new VoiceError('VALIDATION_FAILED', {
        message: `input record ${record.index} follows ${previous.index}: the recording has a gap or is out of order`,
        details: { index: record.index, previous_index: previous.index },
      });
    }
    if (previous !== undefined && record.seq < previous.seq) {
      throw new VoiceError('VALIDATION_FAILED', {
        message: `input record ${record.index} is at seq ${record.seq}, before the previous record's ${previous.seq}`,
        details: { index: record.index, seq: record.seq },
      });
    }
    previous = record;
    if (options.throughSeq !== undefined && record.seq > options.throughSeq) break;
    inputs.push(record.input);
  }
  return inputs;
}
