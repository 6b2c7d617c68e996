/**
 * The conversation's items as the Realtime client sees them (user messages, the
 * assistant's audio messages, function calls and their outputs), in order, for
 * `previous_item_id`, `conversation.item.retrieve`, `delete` and `truncate`.
 * The engine keeps its own conversation; this is the client's view of it.
 */

/** One content part of a message item. */
export type RealtimeContentPart =
  | { readonly type: 'input_text'; readonly text: string }
  | { readonly type: 'input_audio'; readonly transcript: string | null }
  | { readonly type: 'output_audio'; readonly transcript: string };

/** An item of the conversation, in the protocol's shape. */
export type RealtimeItem =
  | {
      readonly id: string;
      readonly object: 'realtime.item';
      readonly type: 'message';
      readonly role: 'user' | 'assistant';
      readonly status: 'in_progress' | 'completed' | 'incomplete';
      readonly content: readonly RealtimeContentPart[];
    }
  | {
      readonly id: string;
      readonly object: 'realtime.item';
      readonly type: 'function_call';
      readonly status: 'in_progress' | 'completed';
      readonly call_id: string;
      readonly name: string;
      readonly arguments: string;
    }
  | {
      readonly id: string;
      readonly object: 'realtime.item';
      readonly type: 'function_call_output';
      readonly status: 'completed';
      readonly call_id: string;
      readonly output: string;
    };

/** Most items kept; older ones are forgotten (they can no longer be retrieved). */
export const MAX_CONVERSATION_ITEMS = 512;

/** The client's view of the conversation. */
export interface RealtimeConversation {
  /** Appends an item; returns the id of the item before it (null for the first). */
  add(item: RealtimeItem): string | null;
  /** Replaces an item in place (same id). */
  replace(item: RealtimeItem): void;
  get(id: string): RealtimeItem | undefined;
  /** Removes an item; false when there was none. */
  delete(id: string): boolean;
}

/** Creates an empty conversation. */
export function createConversation(): RealtimeConversation {
  const items = new Map<string, RealtimeItem>();
  let last: string | null = null;
  return {
    add(item) {
      const previous = last;
      items.set(item.id, item);
      last = item.id;
      if (items.size > MAX_CONVERSATION_ITEMS) {
        const oldest = items.keys().next().value;
        if (oldest !== undefined) items.delete(oldest);
      }
      return previous;
    },
    replace(item) {
      if (items.has(item.id)) items.set(item.id, item);
    },
    get: (id) => items.get(id),
    delete(id) {
      if (!items.delete(id)) return false;
      if (last === id) last = [...items.keys()].at(-1) ?? null;
      return true;
    },
  };
}
