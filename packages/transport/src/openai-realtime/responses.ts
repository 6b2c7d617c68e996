/**
 * The assistant's side of the Realtime protocol: responses and their output items,
 * built from what the engine does. A response belongs to one engine run (an answer);
 * it opens when the client asks for one (`response.create`) or when the run first
 * speaks or calls a client's tool, and ends with `response.done` — `completed` when
 * the turn ends or after a client's function call (the run then waits for its output),
 * `cancelled` on barge-in or `response.cancel`. Tokens become transcript deltas,
 * the engine's audio `response.output_audio.delta`s.
 */
import type { RealtimeConversation, RealtimeItem } from './conversation.js';

/** Usage of a run as the agent reported it. */
export interface RunUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** What responses are built with. */
export interface ResponsesDeps {
  /** Sends a server event (the caller stamps `event_id`). */
  readonly send: (event: Record<string, unknown>) => void;
  readonly newId: (prefix: 'resp' | 'item') => string;
  readonly conversation: RealtimeConversation;
  /** The output format and voice, for the response object. */
  readonly audioOut: () => { readonly format: unknown; readonly voice: string };
  /** The `rate_limits` array sent after each `response.done`. */
  readonly rateLimits: () => readonly Record<string, unknown>[];
  /** A response ended (the output converter may forget its state). */
  readonly onFinished?: () => void;
}

interface OpenMessage {
  readonly id: string;
  readonly outputIndex: number;
  transcript: string;
  audioMs: number;
}

interface Active {
  readonly id: string;
  runId: string | null;
  readonly output: RealtimeItem[];
  message: OpenMessage | null;
  /** A function call was added: the response ends once the round's calls are all out. */
  endAfterCalls: boolean;
}

/** Runs remembered as finished (their late events are dropped). */
const MAX_FINISHED_RUNS = 64;

/** The responses of a connection; see the module's description. */
export interface RealtimeResponses {
  /** The response in progress, if any. */
  readonly active: { readonly id: string; readonly runId: string | null } | null;
  /** Opens a response for `runId` (null: the run is yet to start, the client asked first). */
  open(runId: string | null): void;
  /** The engine started a run: a response the client opened and not yet bound takes it. */
  runStarted(runId: string): void;
  token(runId: string, text: string): void;
  /** A frame of the run's audio, already encoded; false when the run is over (drop it). */
  audio(runId: string, base64: string, ms: number): boolean;
  /** The run called a tool the client executes. */
  functionCall(runId: string, call: { callId: string; name: string; arguments: string }): void;
  usage(runId: string, usage: RunUsage): void;
  /** The run's turn ended (`completed`) or was interrupted (`cancelled`, what was heard). */
  finishRun(runId: string, status: 'completed' | 'cancelled', heardText?: string): void;
  /** `response.cancel`: ends the active response as cancelled; its run's output is dropped. */
  cancelActive(): void;
  /** How much audio an assistant item carried, ms (for `truncate`). */
  audioMsOf(itemId: string): number | undefined;
  /** Whether an item belongs to the response in progress. */
  isActiveItem(itemId: string): boolean;
}

/** Creates the responses of one connection. */
export function createResponses(deps: ResponsesDeps): RealtimeResponses {
  const { send, conversation } = deps;
  let active: Active | null = null;
  const finished = new Set<string>();
  const pendingText = new Map<string, string>();
  const usageOf = new Map<string, RunUsage>();
  const audioMs = new Map<string, number>();

  const remember = (runId: string): void => {
    finished.add(runId);
    pendingText.delete(runId);
    usageOf.delete(runId);
    if (finished.size > MAX_FINISHED_RUNS) {
      const oldest = finished.values().next().value;
      if (oldest !== undefined) finished.delete(oldest);
    }
  };
  const base = (a: Active, outputIndex: number) => ({
    response_id: a.id,
    output_index: outputIndex,
  });
  const responseObject = (a: Active, status: string, details: unknown, usage?: RunUsage) => ({
    object: 'realtime.response',
    id: a.id,
    status,
    status_details: details,
    output: a.output,
    conversation_id: null,
    output_modalities: ['audio'],
    max_output_tokens: 'inf',
    audio: { output: deps.audioOut() },
    metadata: null,
    usage:
      usage === undefined
        ? null
        : {
            total_tokens: usage.inputTokens + usage.outputTokens,
            input_tokens: usage.inputTokens,
            output_tokens: usage.outputTokens,
            input_token_details: {
              text_tokens: usage.inputTokens,
              audio_tokens: 0,
              cached_tokens: 0,
            },
            output_token_details: { text_tokens: usage.outputTokens, audio_tokens: 0 },
          },
  });

  const open = (runId: string | null): Active => {
    const a: Active = {
      id: deps.newId('resp'),
      runId,
      output: [],
      message: null,
      endAfterCalls: false,
    };
    active = a;
    send({ type: 'response.created', response: responseObject(a, 'in_progress', null) });
    return a;
  };
  /** The response a run's output goes to (opened if need be); undefined for a finished run. */
  const responseFor = (runId: string): Active | undefined => {
    if (finished.has(runId)) return undefined;
    if (active !== null && active.runId === null) active.runId = runId;
    if (active !== null && active.runId === runId) return active;
    if (active !== null)
      finish(active, 'cancelled', { type: 'cancelled', reason: 'turn_detected' });
    return open(runId);
  };
  const addItem = (a: Active, item: RealtimeItem): number => {
    const outputIndex = a.output.length;
    a.output.push(item);
    const previous = conversation.add(item);
    send({ type: 'response.output_item.added', ...base(a, outputIndex), item });
    send({ type: 'conversation.item.added', previous_item_id: previous, item });
    return outputIndex;
  };
  const openMessage = (a: Active): OpenMessage => {
    if (a.message !== null) return a.message;
    const item: RealtimeItem = {
      id: deps.newId('item'),
      object: 'realtime.item',
      type: 'message',
      role: 'assistant',
      status: 'in_progress',
      content: [],
    };
    const outputIndex = addItem(a, item);
    const m: OpenMessage = { id: item.id, outputIndex, transcript: '', audioMs: 0 };
    a.message = m;
    send({
      type: 'response.content_part.added',
      ...base(a, outputIndex),
      item_id: m.id,
      content_index: 0,
      part: { type: 'audio', transcript: '' },
    });
    const text = a.runId === null ? undefined : pendingText.get(a.runId);
    if (text !== undefined && text !== '') {
      if (a.runId !== null) pendingText.delete(a.runId);
      transcriptDelta(a, m, text);
    }
    return m;
  };
  const transcriptDelta = (a: Active, m: OpenMessage, delta: string): void => {
    m.transcript += delta;
    send({
      type: 'response.output_audio_transcript.delta',
      ...base(a, m.outputIndex),
      item_id: m.id,
      content_index: 0,
      delta,
    });
  };
  const closeMessage = (a: Active, status: 'completed' | 'incomplete', heard?: string): void => {
    const m = a.message;
    if (m === null) return;
    // The tokens are debug events a degraded server drops: the transcript then comes in one piece.
    if (m.transcript === '' && heard !== undefined && heard !== '') transcriptDelta(a, m, heard);
    a.message = null;
    const transcript =
      heard !== undefined && heard.length < m.transcript.length && m.transcript.startsWith(heard)
        ? heard
        : m.transcript;
    const ids = { ...base(a, m.outputIndex), item_id: m.id, content_index: 0 };
    send({ type: 'response.output_audio.done', ...ids });
    send({ type: 'response.output_audio_transcript.done', ...ids, transcript });
    send({ type: 'response.content_part.done', ...ids, part: { type: 'audio', transcript } });
    const item: RealtimeItem = {
      id: m.id,
      object: 'realtime.item',
      type: 'message',
      role: 'assistant',
      status,
      content: [{ type: 'output_audio', transcript }],
    };
    a.output[m.outputIndex] = item;
    conversation.replace(item);
    audioMs.set(m.id, m.audioMs);
    send({ type: 'response.output_item.done', ...base(a, m.outputIndex), item });
    send({ type: 'conversation.item.done', item });
  };
  const finish = (a: Active, status: string, details: unknown, heard?: string): void => {
    if (a.runId !== null && a.message === null) {
      // Text the run generated but never spoke (its audio failed): still the client's to read.
      const text = pendingText.get(a.runId);
      if (text !== undefined && text.trim() !== '') openMessage(a);
    }
    closeMessage(a, status === 'completed' ? 'completed' : 'incomplete', heard);
    active = null;
    const usage = a.runId === null ? undefined : usageOf.get(a.runId);
    send({ type: 'response.done', response: responseObject(a, status, details, usage) });
    send({ type: 'rate_limits.updated', rate_limits: deps.rateLimits() });
    deps.onFinished?.();
  };

  return {
    get active() {
      return active === null ? null : { id: active.id, runId: active.runId };
    },
    open: (runId) => {
      open(runId);
    },
    runStarted(runId) {
      if (active !== null && active.runId === null && !finished.has(runId)) active.runId = runId;
    },
    token(runId, text) {
      if (finished.has(runId)) return;
      if (active?.runId === runId && active.message !== null) {
        transcriptDelta(active, active.message, text);
        return;
      }
      pendingText.set(runId, (pendingText.get(runId) ?? '') + text);
    },
    audio(runId, base64, ms) {
      const a = responseFor(runId);
      if (a === undefined) return false;
      const m = openMessage(a);
      m.audioMs += ms;
      if (base64 !== '') {
        send({
          type: 'response.output_audio.delta',
          ...base(a, m.outputIndex),
          item_id: m.id,
          content_index: 0,
          delta: base64,
        });
      }
      return true;
    },
    functionCall(runId, call) {
      const a = responseFor(runId);
      if (a === undefined) return;
      closeMessage(a, 'completed');
      const item: RealtimeItem = {
        id: deps.newId('item'),
        object: 'realtime.item',
        type: 'function_call',
        status: 'in_progress',
        call_id: call.callId,
        name: call.name,
        arguments: '',
      };
      const outputIndex = addItem(a, item);
      const ids = { ...base(a, outputIndex), item_id: item.id, call_id: call.callId };
      send({ type: 'response.function_call_arguments.delta', ...ids, delta: call.arguments });
      send({ type: 'response.function_call_arguments.done', ...ids, arguments: call.arguments });
      const done: RealtimeItem = { ...item, status: 'completed', arguments: call.arguments };
      a.output[outputIndex] = done;
      conversation.replace(done);
      send({ type: 'response.output_item.done', ...base(a, outputIndex), item: done });
      send({ type: 'conversation.item.done', item: done });
      if (a.endAfterCalls) return;
      a.endAfterCalls = true;
      // The round's other calls come in the same tick: they join this response.
      queueMicrotask(() => {
        if (active === a) finish(a, 'completed', null);
      });
    },
    usage(runId, usage) {
      usageOf.set(runId, usage);
    },
    finishRun(runId, status, heardText) {
      const a = active;
      if (a !== null && a.runId === runId) {
        finish(
          a,
          status,
          status === 'cancelled' ? { type: 'cancelled', reason: 'turn_detected' } : null,
          heardText,
        );
      }
      remember(runId);
    },
    cancelActive() {
      const a = active;
      if (a === null) return;
      finish(a, 'cancelled', { type: 'cancelled', reason: 'client_cancelled' });
      if (a.runId !== null) remember(a.runId);
    },
    audioMsOf: (itemId) =>
      active?.message?.id === itemId ? active.message.audioMs : audioMs.get(itemId),
    isActiveItem: (itemId) => active?.message?.id === itemId,
  };
}
