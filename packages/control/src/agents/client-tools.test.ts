import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createToolRegistry } from '@prx-voice/session';
import { clientTools } from './client-tools.js';
import type { ClientToolCall } from './client-tools.js';

function serverTools() {
  const registry = createToolRegistry();
  registry.register({
    name: 'lookup',
    description: 'Server-run.',
    parameters: { type: 'object', properties: {} },
    handler: () => Promise.resolve({ found: true }),
  });
  return { registry, fillers: { lookup: 'One moment.' }, close: () => Promise.resolve() };
}

const weather = {
  name: 'get_weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('client tools', () => {
  it('hands the call to the client and resolves with its output, beside the server-run tools', async () => {
    const clock = new SimulatedClock();
    const calls: ClientToolCall[] = [];
    const tools = clientTools({
      tools: [weather],
      base: serverTools(),
      onCall: (c) => calls.push(c),
    });
    expect(tools.registry.definitions().map((d) => d.name)).toEqual(['lookup', 'get_weather']);
    expect(tools.fillers).toEqual({ lookup: 'One moment.' });
    const round = tools.registry.runToolCalls({
      calls: [
        { id: 'c1', name: 'get_weather', arguments: { city: 'Oslo' } },
        { id: 'c2', name: 'lookup', arguments: {} },
      ],
      clock,
      signal: new AbortController().signal,
      defaultTimeoutMs: 1_000,
    });
    await Promise.resolve();
    expect(calls).toEqual([{ callId: 'c1', name: 'get_weather', arguments: { city: 'Oslo' } }]);
    expect(tools.deliver('nope', '1')).toBe(false);
    expect(tools.deliver('c1', '{"sky":"clear"}')).toBe(true);
    const results = await round;
    expect(results.map((r) => [r.callId, r.ok, r.result])).toEqual([
      ['c1', true, { sky: 'clear' }],
      ['c2', true, { found: true }],
    ]);
  });

  it('cancels a waiting call on barge-in and validates arguments before the client sees them', async () => {
    const clock = new SimulatedClock();
    const calls: ClientToolCall[] = [];
    const tools = clientTools({ tools: [weather], onCall: (c) => calls.push(c) });
    const run = new AbortController();
    const round = tools.registry.runToolCalls({
      calls: [
        { id: 'c1', name: 'get_weather', arguments: { city: 'Oslo' } },
        { id: 'c2', name: 'get_weather', arguments: {} },
      ],
      clock,
      signal: run.signal,
      defaultTimeoutMs: 1_000,
    });
    await Promise.resolve();
    expect(calls.map((c) => c.callId)).toEqual(['c1']);
    run.abort();
    const results = await round;
    expect(results.map((r) => r.ok)).toEqual([false, false]);
    expect(tools.deliver('c1', 'late')).toBe(false);
  });

  it('refuses a declaration that clashes with a server-run tool or has a bad schema', () => {
    const onCall = (): void => undefined;
    expect(() => clientTools({ tools: [{ name: 'lookup' }], base: serverTools(), onCall })).toThrow(
      /already one of the session's own tools/,
    );
    expect(() =>
      clientTools({ tools: [{ name: 'x', parameters: { type: 'string' } }], onCall }),
    ).toThrow(/invalid parameters schema/);
  });
});
