/**
 * The caller's side of the Realtime protocol, from the engine's VAD and recogniser:
 * speech start and stop on the input buffer, the committed user item, and its
 * transcription (partials as deltas, the final as `completed` and the item done).
 * The engine decides where an utterance ends (its VAD and endpointing).
 */
import type { RealtimeConversation, RealtimeItem } from './conversation.js';

/** What the user side is built with. */
export interface UserInputDeps {
  readonly send: (event: Record<string, unknown>) => void;
  readonly newId: (prefix: 'item') => string;
  readonly conversation: RealtimeConversation;
}

/** The user side of a connection. */
export interface RealtimeUserInput {
  /** Speech is in progress (started, not yet stopped). */
  readonly speaking: boolean;
  speechStarted(atMs: number): void;
  speechStopped(atMs: number): void;
  partial(text: string): void;
  final(text: string): void;
}

interface Awaiting {
  readonly id: string;
  heard: string;
}

/** Creates the user side of a connection. */
export function createUserInput(deps: UserInputDeps): RealtimeUserInput {
  const { send, conversation } = deps;
  let speech: { readonly id: string } | null = null;
  /** Committed items waiting for their transcript, oldest first. */
  const awaiting: Awaiting[] = [];

  const userItem = (id: string, transcript: string | null, done: boolean): RealtimeItem => ({
    id,
    object: 'realtime.item',
    type: 'message',
    role: 'user',
    status: done ? 'completed' : 'in_progress',
    content: [{ type: 'input_audio', transcript }],
  });
  const commit = (id: string): Awaiting => {
    const item = userItem(id, null, false);
    const previous = conversation.add(item);
    send({ type: 'input_audio_buffer.committed', previous_item_id: previous, item_id: id });
    send({ type: 'conversation.item.added', previous_item_id: previous, item });
    const a: Awaiting = { id, heard: '' };
    awaiting.push(a);
    return a;
  };

  return {
    get speaking() {
      return speech !== null;
    },
    speechStarted(atMs) {
      const id = deps.newId('item');
      speech = { id };
      send({
        type: 'input_audio_buffer.speech_started',
        audio_start_ms: Math.round(atMs),
        item_id: id,
      });
    },
    speechStopped(atMs) {
      const s = speech;
      if (s === null) return;
      speech = null;
      send({
        type: 'input_audio_buffer.speech_stopped',
        audio_end_ms: Math.round(atMs),
        item_id: s.id,
      });
      commit(s.id);
    },
    partial(text) {
      const a = awaiting[0];
      if (a === undefined || !text.startsWith(a.heard) || text === a.heard) return;
      const delta = text.slice(a.heard.length);
      a.heard = text;
      send({
        type: 'conversation.item.input_audio_transcription.delta',
        item_id: a.id,
        content_index: 0,
        delta,
      });
    },
    final(text) {
      // A transcript before the VAD's end (or without one) commits what it transcribes.
      let a = awaiting.shift();
      if (a === undefined) {
        const id = speech?.id ?? deps.newId('item');
        if (speech !== null) speech = null;
        commit(id);
        a = awaiting.shift();
      }
      if (a === undefined) return;
      send({
        type: 'conversation.item.input_audio_transcription.completed',
        item_id: a.id,
        content_index: 0,
        transcript: text,
      });
      const item = userItem(a.id, text, true);
      conversation.replace(item);
      send({ type: 'conversation.item.done', item });
    },
  };
}
