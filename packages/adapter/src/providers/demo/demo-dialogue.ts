/**
 * The demo assistant's dialogue: a pure function of the conversation and of
 * the functions the run offers. What it knows (the booking request being put
 * together, the guest's name, the booking made) is rebuilt from every message —
 * what the user said, the calls and their results — so a run needs nothing but
 * its request, and a replayed or failed-over conversation gets the same answer.
 *
 * Where the conversation is, it does not decide: the session's flows engine does
 * (the demo flow of `demo-contract.ts`). The functions offered tell which node the
 * run is in — `start_booking` is offered in `info` (greeting, opening hours, help),
 * the booking functions in `booking` (collect the details, check the table with
 * `check_availability`, book it with `book_table`) — and the dialogue answers as
 * that node asks, calling its functions; the engine moves between the nodes on
 * their results. Without the flow (the demo's tools offered as they are) it
 * answers as in `booking`.
 */
import type { ConversationMessage, ToolCall } from '../../interfaces.js';
import { DEMO_FUNCTIONS, DEMO_TOOLS } from './demo-contract.js';
import type { DemoAvailability, DemoBooking, DemoCancellation } from './demo-contract.js';
import { matchDemoIntent } from './demo-intents.js';
import type { DemoIntentMatch, DemoSlots } from './demo-intents.js';
import * as say from './demo-replies.js';

/** What the dialogue knows after a conversation. */
export interface DemoState {
  /** The request being put together (since the last booking or dropped request). */
  readonly request: Omit<DemoSlots, 'name'>;
  readonly name?: string;
  /** `check_availability` said yes to the request as it is. */
  readonly confirmed: boolean;
  /** The last booking made and not cancelled. */
  readonly booking?: DemoBooking;
  /** The last user message dropped a request in progress. */
  readonly dropped: boolean;
  /** The last user message's intent. */
  readonly last?: DemoIntentMatch;
}

/** What the assistant does next: call a function, or say something. */
export type DemoTurn =
  | {
      readonly kind: 'tool';
      readonly name: string;
      readonly arguments: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: 'say'; readonly text: string };

const INITIAL: DemoState = { request: {}, confirmed: false, dropped: false };
const TABLE_CALLS = new Set<string>([
  DEMO_FUNCTIONS.startBooking,
  DEMO_TOOLS.checkAvailability,
  DEMO_TOOLS.bookTable,
]);

/** A tool result's JSON object (or `{error}`), undefined when it is not one. */
function parse(content: string): Readonly<Record<string, unknown>> | undefined {
  try {
    const value: unknown = JSON.parse(content);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function onUser(s: DemoState, text: string): DemoState {
  const last = matchDemoIntent(text);
  const { name, ...details } = last.slots;
  const base = { ...s, last, dropped: false, ...(name === undefined ? {} : { name }) };
  if (last.intent === 'cancel') {
    if (Object.keys(s.request).length === 0) return base;
    return { ...base, request: {}, confirmed: false, dropped: true };
  }
  const changed = Object.entries(details).some(
    ([key, value]) => s.request[key as keyof typeof s.request] !== value,
  );
  return {
    ...base,
    request: { ...s.request, ...details },
    confirmed: s.confirmed && !changed,
  };
}

/** The request without what made it impossible, so the next answer fills it anew. */
function withoutCause(s: DemoState, r: DemoAvailability): DemoState {
  const { party_size, day, time } = s.request;
  const keep = {
    closed: { party_size, time },
    outside_hours: { party_size, day },
    too_large: { day, time },
    full: { party_size, day },
  }[r.reason ?? 'full'];
  const request = Object.fromEntries(Object.entries(keep).filter(([, v]) => v !== undefined));
  return { ...s, confirmed: false, request };
}

function onTool(s: DemoState, name: string, content: string): DemoState {
  const result = parse(content);
  if (result === undefined || 'error' in result) return s;
  if (name === DEMO_TOOLS.checkAvailability) {
    const r = result as unknown as DemoAvailability;
    return r.available ? { ...s, confirmed: true } : withoutCause(s, r);
  }
  if (name === DEMO_TOOLS.bookTable) {
    const r = result as unknown as DemoBooking;
    if (!r.booked) return withoutCause(s, r);
    return { ...s, request: {}, confirmed: false, booking: r };
  }
  if (name === DEMO_FUNCTIONS.dropRequest) return { ...s, request: {}, confirmed: false };
  if (name === DEMO_TOOLS.cancelBooking) {
    const r = result as unknown as DemoCancellation;
    if (!r.cancelled || s.booking?.reference !== r.reference) return s;
    const { booking: _gone, ...rest } = s;
    return rest;
  }
  return s;
}

/**
 * The request a table tool was called with: the conversation may come trimmed (the
 * server cuts the agent's context under degradation) to after the words that made it.
 */
function onToolCalls(s: DemoState, calls: readonly ToolCall[]): DemoState {
  let next = s;
  for (const call of calls) {
    if (!TABLE_CALLS.has(call.name)) continue;
    const args = (call.arguments ?? {}) as Record<string, unknown>;
    const { party_size, day, time, name } = args;
    next = {
      ...next,
      confirmed: false,
      request: {
        ...(typeof party_size === 'number' ? { party_size } : {}),
        ...(typeof day === 'string' ? { day } : {}),
        ...(typeof time === 'string' ? { time } : {}),
      },
      ...(typeof name === 'string' ? { name } : {}),
    };
  }
  return next;
}

/** The dialogue's state after a conversation (see the module's description). */
export function demoState(conversation: readonly ConversationMessage[]): DemoState {
  let s = INITIAL;
  for (const message of conversation) {
    if (message.role === 'user') s = onUser(s, message.content);
    else if (message.role === 'assistant' && message.toolCalls !== undefined)
      s = onToolCalls(s, message.toolCalls);
    else if (message.role === 'tool') s = onTool(s, message.name, message.content);
  }
  return s;
}

const tool = (name: string, args: Record<string, unknown>): DemoTurn => ({
  kind: 'tool',
  name,
  arguments: args,
});
const text = (value: string): DemoTurn => ({ kind: 'say', text: value });

/** The next step of the booking: ask what is missing, check the table, ask the name, or book. */
function bookingStep(s: DemoState): DemoTurn {
  const { party_size, day, time } = s.request;
  const thanks =
    s.last?.intent === 'give_name' && s.name !== undefined ? `Thank you, ${s.name}. ` : '';
  if (party_size === undefined) return text(`${thanks}${say.DEMO_LINES.askParty}`);
  if (day === undefined) return text(`${thanks}${say.DEMO_LINES.askDay}`);
  if (time === undefined) return text(`${thanks}${say.DEMO_LINES.askTime}`);
  if (!s.confirmed) return tool(DEMO_TOOLS.checkAvailability, { party_size, day, time });
  if (s.name === undefined) return text(say.DEMO_LINES.askName);
  return tool(DEMO_TOOLS.bookTable, { party_size, day, time, name: s.name });
}

/** The node the run is in, as the functions it offers tell (see the module's description). */
export type DemoNode = 'info' | 'booking';

/** `info` when `start_booking` is offered, else `booking`. */
export function demoNodeOf(offered: readonly string[]): DemoNode {
  return offered.includes(DEMO_FUNCTIONS.startBooking) ? 'info' : 'booking';
}

/** A cancel: drop the request in progress, cancel the booking made, or say there is nothing. */
function onCancel(s: DemoState, node: DemoNode, offered: readonly string[]): DemoTurn {
  if (node === 'booking' && offered.includes(DEMO_FUNCTIONS.dropRequest)) {
    return tool(DEMO_FUNCTIONS.dropRequest, {});
  }
  if (s.dropped) return text(say.DEMO_LINES.dropped);
  if (s.booking?.reference !== undefined) {
    return tool(DEMO_TOOLS.cancelBooking, { reference: s.booking.reference });
  }
  return text(say.DEMO_LINES.nothingToCancel);
}

/** What to say (or which function to call) after the user's message. */
function afterUser(s: DemoState, node: DemoNode, offered: readonly string[]): DemoTurn {
  const intent = s.last?.intent ?? 'unknown';
  switch (intent) {
    case 'greeting':
      return text(say.DEMO_LINES.greeting);
    case 'hours':
      return text(
        s.last?.slots.day === undefined ? say.DEMO_LINES.hours : say.hoursOn(s.last.slots.day),
      );
    case 'help':
      return text(say.DEMO_LINES.help);
    case 'unknown':
      return text(say.DEMO_LINES.unknown);
    case 'goodbye':
      return text(say.DEMO_LINES.goodbye);
    case 'cancel':
      return onCancel(s, node, offered);
    case 'give_name':
    case 'yes':
      if (node === 'info') {
        return text(
          intent === 'give_name' && s.name !== undefined
            ? `Nice to meet you, ${s.name}. ${say.DEMO_LINES.help}`
            : say.DEMO_LINES.help,
        );
      }
      return bookingStep(s);
    case 'book':
    case 'availability':
    case 'details':
      return node === 'info' ? tool(DEMO_FUNCTIONS.startBooking, { ...s.request }) : bookingStep(s);
  }
}

/** What to say (or which function to call next) after a result. */
function afterTool(s: DemoState, name: string, content: string): DemoTurn {
  const result = parse(content);
  if (result === undefined || 'error' in result) return text(say.DEMO_LINES.toolFailed);
  if (name === DEMO_FUNCTIONS.startBooking) return bookingStep(s);
  if (name === DEMO_FUNCTIONS.dropRequest) return text(say.DEMO_LINES.dropped);
  if (name === DEMO_TOOLS.checkAvailability) {
    const r = result as unknown as DemoAvailability;
    if (!r.available) return text(say.unavailable(r));
    // Asked to book, with the name known: book it now.
    const wantsBooking = ['book', 'give_name', 'yes'].includes(s.last?.intent ?? '');
    if (wantsBooking && s.name !== undefined) return bookingStep(s);
    return text(say.available(r, s.name));
  }
  if (name === DEMO_TOOLS.bookTable) {
    const r = result as unknown as DemoBooking;
    return text(r.booked ? say.booked(r) : say.unavailable(r));
  }
  if (name === DEMO_TOOLS.cancelBooking) {
    const r = result as unknown as DemoCancellation;
    return text(say.cancelled(r.reference, r.cancelled));
  }
  return text(say.DEMO_LINES.toolFailed);
}

/**
 * The assistant's next step for a conversation, given the functions the run
 * offers: after a result, what it means (or the next call); after a user
 * message, the answer to its intent in the node the run is in.
 *
 * @example
 * demoTurn([{ role: 'user', content: 'a table for two on friday at seven' }], ['start_booking'])
 * // { kind: 'tool', name: 'start_booking', arguments: { party_size: 2, day: 'friday', time: '19:00' } }
 */
export function demoTurn(
  conversation: readonly ConversationMessage[],
  offered: readonly string[],
): DemoTurn {
  const s = demoState(conversation);
  // A node's messages may follow the result that entered it: the last words or result decide.
  const last = conversation.findLast((m) => m.role !== 'system');
  if (last?.role === 'tool') return afterTool(s, last.name, last.content);
  return afterUser(s, demoNodeOf(offered), offered);
}
