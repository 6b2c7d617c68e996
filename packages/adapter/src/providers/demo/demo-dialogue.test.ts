import { describe, expect, it } from 'vitest';
import type { ConversationMessage } from '../../interfaces.js';
import { DEMO_FLOW } from './demo-contract.js';
import { demoNodeOf, demoState, demoTurn } from './demo-dialogue.js';

const user = (content: string): ConversationMessage => ({ role: 'user', content });
const assistant = (content: string): ConversationMessage => ({ role: 'assistant', content });
const call = (name: string, args: Record<string, unknown>, id = 'c1'): ConversationMessage => ({
  role: 'assistant',
  content: '',
  toolCalls: [{ id, name, arguments: args }],
});
const result = (name: string, value: unknown, id = 'c1'): ConversationMessage => ({
  role: 'tool',
  toolCallId: id,
  name,
  content: JSON.stringify(value),
});

/** The functions each node of the demo flow offers (its own, then the global ones). */
const offered = (node: keyof typeof DEMO_FLOW.nodes): string[] =>
  [...DEMO_FLOW.nodes[node].functions, ...DEMO_FLOW.global_functions].map((f) => f.name);
const INFO = offered('info');
const BOOKING = offered('booking');

const FRIDAY = { party_size: 4, day: 'friday', time: '19:30' };
const FREE = { available: true, party_size: 4, weekday: 'friday', time: '19:30' };

describe('the demo dialogue', () => {
  it('knows its node from the functions offered', () => {
    expect(INFO).toEqual(['start_booking', 'cancel_booking']);
    expect(BOOKING).toEqual(['check_availability', 'book_table', 'drop_request', 'cancel_booking']);
    expect(demoNodeOf(INFO)).toBe('info');
    expect(demoNodeOf(BOOKING)).toBe('booking');
    // Without the flow (the demo's tools as they are), it answers as in booking.
    expect(demoNodeOf(['check_availability', 'book_table', 'cancel_booking'])).toBe('booking');
  });

  it('answers in the info node without tools', () => {
    expect(demoTurn([user('hello')], INFO)).toMatchObject({
      kind: 'say',
      text: /^Hello, and welcome/,
    });
    expect(demoTurn([user('are you open on monday')], INFO)).toEqual({
      kind: 'say',
      text: 'We are closed on Mondays. We are open from noon to 10 pm, every day except Monday.',
    });
    expect(demoTurn([user('are you open on friday')], INFO)).toEqual({
      kind: 'say',
      text: 'On Friday we are open from noon to 10 pm.',
    });
    expect(demoTurn([user('blah blah')], INFO)).toMatchObject({
      text: /^Sorry, I did not get that/,
    });
    expect(demoTurn([user('yes')], INFO)).toMatchObject({
      text: /^I can tell you our opening hours/,
    });
    expect(demoTurn([user('cancel')], INFO)).toMatchObject({ text: /^There is nothing to cancel/ });
  });

  it('starts a booking from the info node, then collects the details one question at a time', () => {
    const c: ConversationMessage[] = [user('I would like to book a table')];
    expect(demoTurn(c, INFO)).toEqual({ kind: 'tool', name: 'start_booking', arguments: {} });
    // The engine answers start_booking with its arguments and enters booking, whose
    // task message (context strategy append) follows the result.
    c.push(call('start_booking', {}), result('start_booking', {}), {
      role: 'system',
      content: 'Ask for the party size…',
    });
    expect(demoTurn(c, BOOKING)).toEqual({ kind: 'say', text: 'For how many people?' });
    c.push(assistant('For how many people?'), user('four people'));
    expect(demoTurn(c, BOOKING)).toEqual({ kind: 'say', text: 'For which day?' });
    c.push(assistant('For which day?'), user('on friday'));
    expect(demoTurn(c, BOOKING)).toEqual({ kind: 'say', text: 'At what time?' });
    c.push(assistant('At what time?'), user('at half past seven'));
    expect(demoTurn(c, BOOKING)).toEqual({
      kind: 'tool',
      name: 'check_availability',
      arguments: FRIDAY,
    });
    // The details given with the request go into start_booking, and on to the check.
    const asked = [user('is there a table for four on friday at seven thirty')];
    expect(demoTurn(asked, INFO)).toEqual({
      kind: 'tool',
      name: 'start_booking',
      arguments: FRIDAY,
    });
    expect(
      demoTurn([...asked, call('start_booking', FRIDAY), result('start_booking', FRIDAY)], BOOKING),
    ).toEqual({ kind: 'tool', name: 'check_availability', arguments: FRIDAY });
  });

  it('asks the name after a free table, books it, and cancels the booking', () => {
    const c: ConversationMessage[] = [
      user('is there a table for four on friday at seven thirty'),
      call('check_availability', FRIDAY),
      result('check_availability', FREE),
    ];
    expect(demoTurn(c, BOOKING)).toEqual({
      kind: 'say',
      text: 'Good news: we have a table for 4 on Friday at 7:30 pm. What name shall I put the booking under?',
    });
    c.push(assistant('Good news…'), user('my name is alice'));
    expect(demoTurn(c, BOOKING)).toEqual({
      kind: 'tool',
      name: 'book_table',
      arguments: { ...FRIDAY, name: 'Alice' },
    });
    const booking = { ...FREE, booked: true, name: 'Alice', reference: 'RB1234' };
    c.push(
      call('book_table', { ...FRIDAY, name: 'Alice' }, 'c2'),
      result('book_table', booking, 'c2'),
    );
    expect(demoTurn(c, BOOKING)).toEqual({
      kind: 'say',
      text: 'Done: a table for 4 on Friday at 7:30 pm, under the name Alice. Your reference is RB1234. Is there anything else?',
    });
    c.push(assistant('Done…'), user('cancel my booking'));
    // book_table's result took the flow back to info.
    expect(demoTurn(c, INFO)).toEqual({
      kind: 'tool',
      name: 'cancel_booking',
      arguments: { reference: 'RB1234' },
    });
    c.push(
      call('cancel_booking', { reference: 'RB1234' }, 'c3'),
      result('cancel_booking', { cancelled: true, reference: 'RB1234' }, 'c3'),
    );
    expect(demoTurn(c, BOOKING)).toEqual({
      kind: 'say',
      text: 'Your booking RB1234 is cancelled. Is there anything else?',
    });
    expect(demoState(c).booking).toBeUndefined();
  });

  it('books straight after the check when the name was given with the request', () => {
    const args = { party_size: 2, day: 'sunday', time: '13:00' };
    const c: ConversationMessage[] = [user('book a table for two on sunday at one p m for bob')];
    expect(demoTurn(c, BOOKING)).toEqual({
      kind: 'tool',
      name: 'check_availability',
      arguments: args,
    });
    c.push(
      call('check_availability', args),
      result('check_availability', { ...args, weekday: 'sunday', available: true }),
    );
    expect(demoTurn(c, BOOKING)).toEqual({
      kind: 'tool',
      name: 'book_table',
      arguments: { ...args, name: 'Bob' },
    });
  });

  it('offers other times when full, and checks again with the new time', () => {
    const args = { party_size: 2, day: 'saturday', time: '20:00' };
    const full = {
      ...args,
      weekday: 'saturday',
      available: false,
      reason: 'full',
      alternatives: ['18:30', '21:00'],
    };
    const c: ConversationMessage[] = [
      user('do you have a table for two on saturday at eight'),
      call('check_availability', args),
      result('check_availability', full),
    ];
    expect(demoTurn(c, BOOKING)).toEqual({
      kind: 'say',
      text: 'Sorry, we have no table for 2 on Saturday at 8 pm. I could offer 6:30 pm or 9 pm. What time would suit you?',
    });
    c.push(assistant('Sorry…'), user('at nine'));
    expect(demoTurn(c, BOOKING)).toEqual({
      kind: 'tool',
      name: 'check_availability',
      arguments: { ...args, time: '21:00' },
    });
    const closed = {
      ...args,
      day: 'monday',
      weekday: 'monday',
      available: false,
      reason: 'closed',
    };
    expect(
      demoTurn(
        [
          user('a table for two on monday at eight'),
          call('check_availability', args),
          result('check_availability', closed),
        ],
        BOOKING,
      ),
    ).toEqual({
      kind: 'say',
      text: 'Sorry, we are closed on Mondays. Which other day would suit you?',
    });
  });

  it('drops a request in progress on "never mind", and says so when a tool fails', () => {
    const c = [user('a table for two please'), assistant('For which day?'), user('never mind')];
    // In the booking node it calls drop_request (the engine goes back to info) …
    expect(demoTurn(c, BOOKING)).toEqual({ kind: 'tool', name: 'drop_request', arguments: {} });
    const dropped = {
      kind: 'say',
      text: 'All right, I have dropped that request. Is there anything else?',
    };
    expect(demoTurn([...c, call('drop_request', {}), result('drop_request', {})], INFO)).toEqual(
      dropped,
    );
    expect(demoState([...c, call('drop_request', {}), result('drop_request', {})]).request).toEqual(
      {},
    );
    // … without the flow it says so at once.
    expect(demoTurn(c, ['check_availability', 'book_table'])).toEqual(dropped);
    expect(
      demoTurn(
        [
          user('is there a table for four on friday at seven thirty'),
          call('check_availability', FRIDAY),
          result('check_availability', { error: { code: 'TOOL_TIMEOUT', message: 'timed out' } }),
        ],
        BOOKING,
      ),
    ).toMatchObject({ text: /^Sorry, the booking system did not answer/ });
  });

  it('keeps the request from its own tool call when the context was trimmed before the words', () => {
    // The server trims the agent's context to its last 4 messages under degradation.
    const trimmed = [
      call('check_availability', FRIDAY),
      result('check_availability', FREE),
      assistant('Good news… What name shall I put the booking under?'),
      user('my name is alice'),
    ];
    expect(demoTurn(trimmed, BOOKING)).toEqual({
      kind: 'tool',
      name: 'book_table',
      arguments: { ...FRIDAY, name: 'Alice' },
    });
  });
});
