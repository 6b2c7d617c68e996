/**
 * A scriptable agent for tests: each run plays the next script of steps
 * (tokens, tool calls, usage, done, an error), each after its delay on the
 * injected clock, and every request is recorded for assertions.
 */
import type { Clock } from '@prx-voice/core';
import { VoiceError } from '@prx-voice/types';
import type {
  AgentEvent,
  AgentProvider,
  ConversationMessage,
  ProviderOptions,
  ToolCall,
  ToolDefinition,
} from '../interfaces.js';
import { clockDelay, isAborted } from '../internal/clock-delay.js';
import { wordTokens } from '../internal/words.js';

/** One step of a fake agent run; `delayMs` is waited on the clock before it (default 0). */
export type FakeAgentStep = (
  | { readonly type: 'token'; readonly text: string }
  | { readonly type: 'tool_call'; readonly call: ToolCall }
  | { readonly type: 'usage'; readonly promptTokens: number; readonly completionTokens: number }
  | { readonly type: 'done'; readonly finishReason: 'stop' | 'tool_calls' | 'length' }
  /** The run throws this error. */
  | { readonly type: 'error'; readonly error: VoiceError }
) & { readonly delayMs?: number };

/** Options of {@link createFakeAgent}. */
export interface FakeAgentOptions {
  readonly clock: Clock;
  /** One script per run, used in order: the n-th `run()` plays `runs[n - 1]`. */
  readonly runs: readonly (readonly FakeAgentStep[])[];
  /** Provider id (default `fake`). */
  readonly id?: string;
}

/** A request as the fake recorded it: copies of the conversation and tools at the time of the call. */
export interface RecordedAgentRequest {
  readonly conversation: readonly ConversationMessage[];
  readonly tools: readonly ToolDefinition[];
  readonly options: ProviderOptions | undefined;
  readonly signal: AbortSignal;
}

/** What a test can see of one run. */
export interface FakeAgentRun {
  readonly request: RecordedAgentRequest;
  /** Events yielded so far. */
  readonly events: readonly AgentEvent[];
  /** Whether the run saw its signal abort before its script ended. */
  readonly aborted: boolean;
  /** Whether the script played to its end (or to its error step). */
  readonly finished: boolean;
}

/** A fake agent with the record of its runs. */
export interface FakeAgent extends AgentProvider {
  /** Every run, in order. */
  readonly runs: readonly FakeAgentRun[];
  /** The recorded requests, in order (the same as `runs[i].request`). */
  readonly requests: readonly RecordedAgentRequest[];
}

/** Token steps, one per word of `text` (words keep their following space), each `delayMs` after the previous. */
export function fakeTokens(text: string, delayMs = 0): FakeAgentStep[] {
  return wordTokens(text).map((token) => ({ type: 'token', text: token, delayMs }));
}

/** A whole answer: {@link fakeTokens}, then usage (0 prompt tokens, one per token) and done `stop`. */
export function fakeAnswer(text: string, delayMs = 0): FakeAgentStep[] {
  const tokens = fakeTokens(text, delayMs);
  return [
    ...tokens,
    { type: 'usage', promptTokens: 0, completionTokens: tokens.length },
    { type: 'done', finishReason: 'stop' },
  ];
}

/**
 * Creates a scriptable agent. A run honours its AbortSignal at once: it stops
 * yielding and ends without throwing. A run beyond the scripts throws
 * `INTERNAL` naming the run.
 *
 * @example
 * const agent = createFakeAgent({ clock, runs: [
 *   [{ type: 'tool_call', call: { id: 't1', name: 'weather', arguments: {} }, delayMs: 100 },
 *    { type: 'done', finishReason: 'tool_calls' }],
 *   fakeAnswer('It is sunny.', 20),
 * ] });
 * // after the session's two runs: agent.requests[1].conversation ends with the tool result
 */
export function createFakeAgent(options: FakeAgentOptions): FakeAgent {
  const { clock } = options;
  const runs: FakeAgentRun[] = [];
  const requests: RecordedAgentRequest[] = [];

  async function* play(
    steps: readonly FakeAgentStep[] | undefined,
    record: MutableRun,
    index: number,
  ): AsyncGenerator<AgentEvent> {
    const { signal } = record.request;
    if (steps === undefined) {
      record.finished = true;
      throw new VoiceError('INTERNAL', {
        message: `The fake agent has no script for run ${index + 1} (it has ${options.runs.length})`,
        details: { run: index + 1, scripted: options.runs.length },
      });
    }
    for (const step of steps) {
      await clockDelay(clock, step.delayMs ?? 0, signal);
      if (isAborted(signal)) {
        record.aborted = true;
        return;
      }
      if (step.type === 'error') {
        record.finished = true;
        throw step.error;
      }
      const event = toEvent(step);
      record.events.push(event);
      yield event;
    }
    if (isAborted(signal)) record.aborted = true;
    else record.finished = true;
  }

  return {
    id: options.id ?? 'fake',
    runs,
    requests,
    run(request) {
      const recorded: RecordedAgentRequest = {
        conversation: [...request.conversation],
        tools: [...request.tools],
        options: request.options,
        signal: request.signal,
      };
      const record: MutableRun = { request: recorded, events: [], aborted: false, finished: false };
      const index = runs.length;
      runs.push(record);
      requests.push(recorded);
      return play(options.runs[index], record, index);
    },
  };
}

interface MutableRun {
  readonly request: RecordedAgentRequest;
  readonly events: AgentEvent[];
  aborted: boolean;
  finished: boolean;
}

function toEvent(step: Exclude<FakeAgentStep, { readonly type: 'error' }>): AgentEvent {
  switch (step.type) {
    case 'token':
      return { type: 'token', text: step.text };
    case 'tool_call':
      return { type: 'tool_call', call: step.call };
    case 'usage':
      return {
        type: 'usage',
        promptTokens: step.promptTokens,
        completionTokens: step.completionTokens,
      };
    case 'done':
      return { type: 'done', finishReason: step.finishReason };
  }
}
