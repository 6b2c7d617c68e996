import { describe, expect, it } from 'vitest';
import type { ConversationMessage } from '@prx-voice/adapter';
import { bookingFlow } from '../testing/flow-fixtures.js';
import {
  chooseTransition,
  contextOnEntry,
  conversationSummary,
  initialFlowModel,
  nodeTools,
  ownResult,
  resultValue,
} from './flow-engine.js';

const flow = bookingFlow();
const fn = (node: string, name: string) => {
  const found = [...(flow.nodes[node]?.functions ?? []), ...flow.global_functions].find(
    (f) => f.name === name,
  );
  if (found === undefined) throw new Error(name);
  return found;
};

describe('flow engine', () => {
  it('starts in the initial node with its pre-actions waiting', () => {
    expect(initialFlowModel(flow, 5)).toEqual({
      node: 'greeting',
      collected: {},
      history: [{ node: 'greeting', from: null, reason: 'start', at: 5 }],
      enteredTurn: 0,
      postQueued: true,
      queue: [],
      inline: null,
    });
  });

  it('offers a node’s functions, then the global ones', () => {
    expect(nodeTools(flow, 'confirm').map((t) => t.name)).toEqual([
      'get_hours',
      'start_over',
      'talk_to_person',
    ]);
  });

  it('answers an own function with its arguments, after checking them', () => {
    const set = fn('greeting', 'set_party_size');
    expect(ownResult(set, { id: 'c', name: 'set_party_size', arguments: { size: 2 } })).toEqual({
      callId: 'c',
      name: 'set_party_size',
      ok: true,
      result: { size: 2 },
      content: '{"size":2}',
      durationMs: 0,
    });
    const bad = ownResult(set, { id: 'c', name: 'set_party_size', arguments: { size: 'two' } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(bad.error?.message).toMatch(/Invalid arguments for set_party_size: \/size/);
  });

  it('chooses a transition by transition_to, or by a result field (strings, numbers, booleans)', () => {
    expect(chooseTransition(fn('greeting', 'set_party_size'), {})).toEqual({
      to: 'booking',
      reason: 'transition_to',
    });
    const check = fn('booking', 'check_time');
    expect(chooseTransition(check, { available: true })).toEqual({
      to: 'confirm',
      reason: 'transition_on',
    });
    expect(chooseTransition(check, { available: 'false' })?.to).toBe('full');
    expect(chooseTransition(check, { available: 'maybe' })).toBeNull();
    expect(chooseTransition(check, 'text')).toBeNull();
    expect(chooseTransition(fn('greeting', 'get_hours'), {})).toBeNull();
    expect(
      chooseTransition(
        { ...check, transition_on: { field: 'n', cases: { '2': 'a' }, default: 'b' } },
        { n: 3 },
      ),
    ).toEqual({ to: 'b', reason: 'transition_on' });
  });

  it('reads a result’s value from its content when the value is not carried', () => {
    const base = { callId: 'c', name: 'x', ok: true, durationMs: 1 } as const;
    expect(resultValue({ ...base, content: '{"available":false}' })).toEqual({ available: false });
    expect(resultValue({ ...base, content: 'plain words' })).toBe('plain words');
    expect(resultValue({ ...base, result: { a: 1 }, content: '' })).toEqual({ a: 1 });
  });

  it('summarises the last six exchanges (cut to 200 characters) and the collected values', () => {
    const conversation: ConversationMessage[] = [
      { role: 'system', content: 'ignored' },
      ...Array.from({ length: 8 }, (_, i): ConversationMessage =>
        i % 2 === 0
          ? { role: 'user', content: `u${String(i)}` }
          : { role: 'assistant', content: `a${String(i)}` },
      ),
      { role: 'assistant', content: '', toolCalls: [{ id: 'c', name: 'f', arguments: {} }] },
      { role: 'tool', toolCallId: 'c', name: 'f', content: 'r' },
      { role: 'user', content: 'x'.repeat(300) },
    ];
    const summary = conversationSummary(conversation, { f: { a: 1 } });
    const lines = summary?.content.split('\n') ?? [];
    expect(lines[0]).toBe('Summary of the conversation so far:');
    expect(lines.slice(1, 6)).toEqual([
      '- Assistant: a3',
      '- User: u4',
      '- Assistant: a5',
      '- User: u6',
      '- Assistant: a7',
    ]);
    expect(lines[6]).toBe(`- User: ${'x'.repeat(199)}…`);
    expect(lines[7]).toBe('Collected: {"f":{"a":1}}');
    expect(conversationSummary([], {})).toBeNull();
  });

  it('applies each context strategy on entry', () => {
    const conversation: ConversationMessage[] = [
      { role: 'system', content: 'P' },
      { role: 'user', content: 'hi' },
    ];
    const node = flow.nodes.booking;
    if (node === undefined) throw new Error('no booking');
    const entry = (strategy: 'append' | 'reset' | 'reset_with_summary') =>
      contextOnEntry({
        node: { ...node, role_messages: ['R'], context_strategy: strategy },
        conversation,
        systemPrompt: 'P',
        collected: {},
      });
    expect(entry('append')).toEqual([
      ...conversation,
      { role: 'system', content: 'R' },
      { role: 'system', content: 'Ask for the time.' },
    ]);
    expect(entry('reset')).toEqual([
      { role: 'system', content: 'P' },
      { role: 'system', content: 'R' },
      { role: 'system', content: 'Ask for the time.' },
    ]);
    expect(entry('reset_with_summary')).toEqual([
      { role: 'system', content: 'P' },
      { role: 'system', content: 'R' },
      { role: 'system', content: 'Summary of the conversation so far:\n- User: hi' },
      { role: 'system', content: 'Ask for the time.' },
    ]);
  });
});
