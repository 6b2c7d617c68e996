/**
 * One OpenAI Realtime (GA) connection mapped onto a PRX Voice session: client events
 * in (validated; a bad one gets the protocol's `error` event and the connection goes
 * on), the session's events and audio out as server events. The adapter takes no
 * decision of its own: the engine's VAD ends turns and its policy barges in; text
 * items and tool outputs reach the engine when the client asks for a response.
 */
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import type { WireSocket } from '../socket.js';
import { invalidRequest, parseClientEvent } from './client-events.js';
import type {
  RealtimeClientEvent,
  RealtimeErrorBody,
  RealtimeFunctionTool,
} from './client-events.js';
import { createConversation } from './conversation.js';
import { audioMs, base64DecodedLength, createRealtimeAudioCodec } from './realtime-audio.js';
import type { RealtimeAudioCodec } from './realtime-audio.js';
import { createResponses } from './responses.js';
import { initialSessionState, sessionChange, sessionObject } from './session-config.js';
import type { EngineTurnDetection, RealtimeSessionState } from './session-config.js';
import { createUserInput } from './user-input.js';
import { createEngineEventMapper } from './engine-events.js';
import type { EngineEventTarget } from './engine-events.js';

/** What the server does with the client's requests; a throw is reported as an `error` event. */
export interface RealtimeConnectionHandlers {
  /** Engine-rate PCM16 from `input_audio_buffer.append` (a view valid during the call). */
  onAudio(samples: Int16Array): void;
  /** `response.create` after user text items: the text as one user turn. */
  onTextTurn(text: string): void;
  /** `response.cancel`, or a truncate of the item being spoken: stop the answer. */
  onInterrupt(): void;
  /** New instructions or voice from `session.update`. */
  onSettings(change: { readonly instructions?: string; readonly voice?: string }): void;
  /** The client's function tools from `session.update` (they replace the previous ones). */
  onTools(tools: readonly RealtimeFunctionTool[]): void;
  /** A client's function output, on `response.create`, for the call the engine waits on. */
  onToolOutput(callId: string, output: string): void;
}

/** Options of {@link createRealtimeConnection}. */
export interface RealtimeConnectionOptions {
  readonly socket: WireSocket;
  readonly engine: { readonly inputRate: SampleRate; readonly outputRate: SampleRate };
  /** The session's id and model as reported, its instructions and voice at the start. */
  readonly session: {
    readonly id: string;
    readonly model: string;
    readonly instructions?: string | undefined;
    readonly voice?: string | undefined;
    readonly turnDetection: EngineTurnDetection;
  };
  /** Ids of events, items and responses (`event_…`, `item_…`, `resp_…`). */
  readonly newId: (prefix: 'event' | 'item' | 'resp') => string;
  /** Largest audio one `input_audio_buffer.append` may carry, decoded bytes. */
  readonly maxAppendBytes: number;
  readonly handlers: RealtimeConnectionHandlers;
}

/** A connection; see {@link createRealtimeConnection}. */
export interface RealtimeConnection {
  /** Sends `session.created` (call once the session exists). */
  start(): void;
  /** A text frame from the client. */
  receive(text: string): void;
  /** An event of the session. */
  engineEvent(event: AnyVoiceEvent): void;
  /** A frame of the session's audio (engine rate) for a run. */
  sendAudio(frame: Int16Array, runId: string): void;
  /** A tool the client executes was called by the engine: it goes out as a function call. */
  clientToolCall(call: {
    readonly callId: string;
    readonly name: string;
    readonly arguments: unknown;
  }): void;
  /** The session's settings as reported. */
  readonly state: RealtimeSessionState;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Creates the adapter of one connection.
 *
 * @example
 * const conn = createRealtimeConnection({ socket, engine, session, newId, maxAppendBytes, handlers });
 * ws.on('message', (data) => conn.receive(data.toString('utf8')));
 * emitter.addSink((event) => conn.engineEvent(event));
 * conn.start();
 */
export function createRealtimeConnection(o: RealtimeConnectionOptions): RealtimeConnection {
  const { socket, handlers } = o;
  let state = initialSessionState(o.session);
  let codec: RealtimeAudioCodec = createRealtimeAudioCodec(state.input, state.output, o.engine);
  const send = (event: Record<string, unknown>): void =>
    socket.send(JSON.stringify({ event_id: o.newId('event'), ...event }));
  const sendError = (error: RealtimeErrorBody): void => send({ type: 'error', error });
  const conversation = createConversation();
  const responses = createResponses({
    send,
    newId: o.newId,
    conversation,
    audioOut: () => ({ format: state.output, voice: state.voice }),
    rateLimits: () => engine.quotas,
    onFinished: () => codec.resetOutput(),
  });
  const user = createUserInput({ send, newId: o.newId, conversation });
  const engine: EngineEventTarget = {
    user,
    responses,
    sendError,
    callRuns: new Map(),
    lastRunId: undefined,
    quotas: [],
  };
  const mapEngineEvent = createEngineEventMapper(engine);
  /** Text items waiting for `response.create`. */
  const pendingText: string[] = [];
  /** Calls out to the client: their run, and the output once it came. */
  const calls = new Map<string, { runId: string; output?: string }>();
  let appendedSinceCommit = false;

  const guard = (eventId: string | undefined, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      const e = VoiceError.from(err);
      sendError(invalidRequest(e.code.toLowerCase(), e.message, { eventId }));
    }
  };

  const sessionUpdate = (e: Extract<RealtimeClientEvent, { type: 'session.update' }>): void => {
    const change = sessionChange(state, e.session);
    if (change.tools !== undefined) {
      const tools = change.tools;
      guard(e.event_id, () => {
        handlers.onTools(tools);
        state = { ...state, tools };
      });
    }
    if (change.instructions !== undefined || change.voice !== undefined) {
      const settings = {
        ...(change.instructions === undefined ? {} : { instructions: change.instructions }),
        ...(change.voice === undefined ? {} : { voice: change.voice }),
      };
      guard(e.event_id, () => {
        handlers.onSettings(settings);
        state = { ...state, ...settings };
      });
    }
    if (change.input !== undefined || change.output !== undefined) {
      state = {
        ...state,
        input: change.input ?? state.input,
        output: change.output ?? state.output,
      };
      codec = createRealtimeAudioCodec(state.input, state.output, o.engine);
    }
    send({ type: 'session.updated', session: sessionObject(state) });
  };

  const append = (e: Extract<RealtimeClientEvent, { type: 'input_audio_buffer.append' }>): void => {
    const bytes = base64DecodedLength(e.audio);
    if (bytes > o.maxAppendBytes) {
      sendError(
        invalidRequest(
          'input_audio_buffer_append_too_large',
          `The appended audio is ${String(bytes)} bytes; at most ${String(o.maxAppendBytes)} are taken per event. It was dropped.`,
          { param: 'audio', eventId: e.event_id },
        ),
      );
      return;
    }
    if (!BASE64.test(e.audio)) {
      sendError(
        invalidRequest('invalid_value', 'audio is not base64.', {
          param: 'audio',
          eventId: e.event_id,
        }),
      );
      return;
    }
    guard(e.event_id, () => {
      const samples = codec.decode(e.audio);
      appendedSinceCommit = true;
      if (samples.length > 0) handlers.onAudio(samples);
    });
  };

  const itemCreate = (
    e: Extract<RealtimeClientEvent, { type: 'conversation.item.create' }>,
  ): void => {
    const item = e.item;
    if (item.type === 'function_call_output') {
      const call = calls.get(item.call_id);
      if (call === undefined || call.output !== undefined) {
        sendError(
          invalidRequest(
            'unknown_call_id',
            `No function call ${item.call_id} is waiting for its output.`,
            {
              param: 'item.call_id',
              eventId: e.event_id,
            },
          ),
        );
        return;
      }
      call.output = item.output;
      created({
        id: item.id ?? o.newId('item'),
        object: 'realtime.item',
        type: 'function_call_output',
        status: 'completed',
        call_id: item.call_id,
        output: item.output,
      });
      return;
    }
    const texts = item.content.flatMap((c) => (c.type === 'input_text' ? [c.text] : []));
    if (item.role !== 'user' || texts.length !== item.content.length) {
      sendError(
        invalidRequest(
          'unsupported_item',
          'Only user messages of input_text parts and function_call_output items can be created; audio goes through input_audio_buffer.append, instructions through session.update.',
          { param: 'item', eventId: e.event_id },
        ),
      );
      return;
    }
    pendingText.push(texts.join(' '));
    created({
      id: item.id ?? o.newId('item'),
      object: 'realtime.item',
      type: 'message',
      role: 'user',
      status: 'completed',
      content: texts.map((text) => ({ type: 'input_text', text })),
    });
  };
  const created = (item: Parameters<typeof conversation.add>[0]): void => {
    const previous = conversation.add(item);
    send({ type: 'conversation.item.created', previous_item_id: previous, item });
    send({ type: 'conversation.item.added', previous_item_id: previous, item });
    send({ type: 'conversation.item.done', previous_item_id: previous, item });
  };

  const responseCreate = (eventId: string | undefined): void => {
    if (responses.active !== null) {
      sendError(
        invalidRequest(
          'conversation_already_has_active_response',
          `Response ${responses.active.id} is in progress; wait for its response.done or cancel it.`,
          { eventId },
        ),
      );
      return;
    }
    const outputs = [...calls].filter(([, c]) => c.output !== undefined);
    if (outputs.length > 0) {
      responses.open(outputs[0]?.[1].runId ?? null);
      for (const [callId, c] of outputs) {
        calls.delete(callId);
        guard(eventId, () => handlers.onToolOutput(callId, c.output ?? ''));
      }
      return;
    }
    if (pendingText.length > 0) {
      const text = pendingText.splice(0).join('\n');
      responses.open(null);
      guard(eventId, () => handlers.onTextTurn(text));
      return;
    }
    sendError(
      invalidRequest(
        'response_create_without_input',
        'Nothing to answer: create a user message or a function_call_output first (spoken turns are answered on their own).',
        { eventId },
      ),
    );
  };

  const truncate = (
    e: Extract<RealtimeClientEvent, { type: 'conversation.item.truncate' }>,
  ): void => {
    const item = conversation.get(e.item_id);
    const ms = responses.audioMsOf(e.item_id);
    if (item?.type !== 'message' || item.role !== 'assistant' || ms === undefined) {
      sendError(
        invalidRequest('item_not_found', `No assistant audio item ${e.item_id}.`, {
          param: 'item_id',
          eventId: e.event_id,
        }),
      );
      return;
    }
    if (e.audio_end_ms > Math.ceil(ms)) {
      sendError(
        invalidRequest(
          'invalid_value',
          `audio_end_ms ${String(e.audio_end_ms)} is past the item's ${String(Math.round(ms))} ms of audio.`,
          { param: 'audio_end_ms', eventId: e.event_id },
        ),
      );
      return;
    }
    // Still being spoken: the engine stops it and keeps only what was heard.
    if (responses.isActiveItem(e.item_id)) handlers.onInterrupt();
    send({
      type: 'conversation.item.truncated',
      item_id: e.item_id,
      content_index: e.content_index,
      audio_end_ms: e.audio_end_ms,
    });
  };

  const dispatch = (e: RealtimeClientEvent): void => {
    switch (e.type) {
      case 'session.update':
        return sessionUpdate(e);
      case 'input_audio_buffer.append':
        return append(e);
      case 'input_audio_buffer.commit':
        // The engine's VAD commits speech when it ends; a commit with none heard is empty.
        if (!user.speaking && !appendedSinceCommit) {
          sendError(
            invalidRequest(
              'input_audio_buffer_commit_empty',
              'No audio was appended since the last commit.',
              {
                eventId: e.event_id,
              },
            ),
          );
        }
        appendedSinceCommit = false;
        return;
      case 'input_audio_buffer.clear':
        codec.resetInput();
        appendedSinceCommit = false;
        send({ type: 'input_audio_buffer.cleared' });
        return;
      case 'conversation.item.create':
        return itemCreate(e);
      case 'conversation.item.retrieve': {
        const item = conversation.get(e.item_id);
        if (item === undefined) notFound(e.item_id, e.event_id);
        else send({ type: 'conversation.item.retrieved', item });
        return;
      }
      case 'conversation.item.delete':
        if (conversation.delete(e.item_id))
          send({ type: 'conversation.item.deleted', item_id: e.item_id });
        else notFound(e.item_id, e.event_id);
        return;
      case 'conversation.item.truncate':
        return truncate(e);
      case 'response.create':
        return responseCreate(e.event_id);
      case 'response.cancel':
        if (responses.active === null) {
          sendError(
            invalidRequest(
              'response_cancel_not_active',
              'There is no response in progress to cancel.',
              {
                eventId: e.event_id,
              },
            ),
          );
          return;
        }
        responses.cancelActive();
        handlers.onInterrupt();
        return;
    }
  };
  const notFound = (itemId: string, eventId: string | undefined): void =>
    sendError(
      invalidRequest('item_not_found', `No item ${itemId}.`, { param: 'item_id', eventId }),
    );

  return {
    get state() {
      return state;
    },
    start() {
      send({ type: 'session.created', session: sessionObject(state) });
    },
    receive(text) {
      const r = parseClientEvent(text);
      if (r.kind === 'error') sendError(r.error);
      else dispatch(r.event);
    },
    engineEvent(event) {
      mapEngineEvent(event);
    },
    sendAudio(frame, runId) {
      const { base64, bytes } = codec.encode(frame);
      responses.audio(runId, base64, audioMs(state.output, bytes));
    },
    clientToolCall(call) {
      const runId = engine.callRuns.get(call.callId) ?? engine.lastRunId;
      if (runId === undefined) return;
      engine.callRuns.delete(call.callId);
      calls.set(call.callId, { runId });
      responses.functionCall(runId, {
        callId: call.callId,
        name: call.name,
        arguments: JSON.stringify(call.arguments ?? {}),
      });
    },
  };
}
