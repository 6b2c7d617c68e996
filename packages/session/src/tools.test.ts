import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import { createToolRegistry, toolResultContent } from './tools.js';
import type { ToolCallResult, ToolRegistration, ToolRegistry } from './tools.js';

/** Lets settled promises run their callbacks (no time passes). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Advances simulated time in steps, letting promise callbacks run after each, so completions are seen when they happen. */
async function advanceBy(clock: SimulatedClock, ms: number, step = 10): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    await settle();
  }
}

/** A promise that resolves after `ms` of simulated time, or rejects when `signal` aborts. */
function wait(clock: SimulatedClock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clock.clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });
}

const WEATHER: Omit<ToolRegistration, 'handler'> = {
  name: 'get_weather',
  description: 'Current weather for a city.',
  parameters: {
    type: 'object',
    properties: {
      city: { type: 'string', minLength: 1, description: 'City name' },
      unit: { type: 'string', enum: ['c', 'f'] },
      days: { type: 'integer', minimum: 1, maximum: 7 },
      tags: { type: 'array', items: { type: 'string', maxLength: 5 }, maxItems: 3 },
      where: {
        type: 'object',
        properties: { lat: { type: 'number' }, lon: { type: 'number' } },
        required: ['lat', 'lon'],
        additionalProperties: false,
      },
      verbose: { type: 'boolean' },
    },
    required: ['city'],
    additionalProperties: false,
  },
};

function setup(): {
  clock: SimulatedClock;
  tools: ToolRegistry;
  run: AbortController;
  started: string[];
} {
  const clock = new SimulatedClock({ start: 0 });
  const tools = createToolRegistry();
  const started: string[] = [];
  tools.register({
    ...WEATHER,
    handler: async (args, { signal }) => {
      started.push(`weather:${String(args.city)}`);
      await wait(clock, 100, signal);
      return { city: args.city, tempC: 21 };
    },
  });
  tools.register({
    name: 'slow',
    description: 'Takes a while.',
    parameters: {
      type: 'object',
      properties: { ms: { type: 'integer', minimum: 0 } },
      required: ['ms'],
    },
    timeoutMs: 1000,
    handler: async (args, { signal, callId }) => {
      started.push(`slow:${callId}`);
      await wait(clock, Number(args.ms), signal);
      return `slept ${String(args.ms)}`;
    },
  });
  tools.register({
    name: 'book',
    description: 'Books a table; must not be cut short.',
    parameters: { type: 'object' },
    continueOnInterrupt: true,
    handler: async (_args, { signal }) => {
      await wait(clock, 300, signal);
      return { booked: true };
    },
  });
  return { clock, tools, run: new AbortController(), started };
}

describe('tool registry', () => {
  it('lists definitions in registration order, with frozen copies of the schemas', () => {
    const { tools } = setup();
    const definitions = tools.definitions();
    expect(definitions.map((d) => d.name)).toEqual(['get_weather', 'slow', 'book']);
    expect(definitions[0]).toEqual({ ...WEATHER });
    expect(definitions[0]?.parameters).not.toBe(WEATHER.parameters);
    expect(Object.isFrozen(definitions[0]?.parameters.properties)).toBe(true);
    expect(tools.has('slow')).toBe(true);
    expect(tools.has('nope')).toBe(false);
  });
});

describe('runToolCalls', () => {
  it('runs calls in parallel: two 100 ms calls finish at 100 ms, not 200', async () => {
    const { clock, tools, run } = setup();
    let done = false;
    const round = tools
      .runToolCalls({
        calls: [
          { id: 'c1', name: 'get_weather', arguments: { city: 'Oslo' } },
          { id: 'c2', name: 'get_weather', arguments: { city: 'Rome' } },
        ],
        clock,
        signal: run.signal,
        defaultTimeoutMs: 5000,
      })
      .finally(() => (done = true));
    clock.advance(100);
    await settle();
    expect(done).toBe(true);
    expect(await round).toEqual([
      {
        callId: 'c1',
        name: 'get_weather',
        ok: true,
        result: { city: 'Oslo', tempC: 21 },
        durationMs: 100,
      },
      {
        callId: 'c2',
        name: 'get_weather',
        ok: true,
        result: { city: 'Rome', tempC: 21 },
        durationMs: 100,
      },
    ]);
    expect(clock.pendingCount).toBe(0);
  });

  it('returns results in the order of the calls, not of completion', async () => {
    const { clock, tools, run } = setup();
    const round = tools.runToolCalls({
      calls: [
        { id: 'a', name: 'slow', arguments: { ms: 300 } },
        { id: 'b', name: 'slow', arguments: { ms: 10 } },
        { id: 'c', name: 'slow', arguments: { ms: 200 } },
      ],
      clock,
      signal: run.signal,
      defaultTimeoutMs: 5000,
    });
    await advanceBy(clock, 300);
    const results = await round;
    expect(results.map((r) => [r.callId, r.ok && r.result, r.durationMs])).toEqual([
      ['a', 'slept 300', 300],
      ['b', 'slept 10', 10],
      ['c', 'slept 200', 200],
    ]);
  });

  it('times a call out on the clock, aborting its signal', async () => {
    const { clock, tools, run } = setup();
    let reason: unknown;
    tools.register({
      name: 'stuck',
      description: 'Never answers.',
      parameters: { type: 'object' },
      handler: (_args, { signal }) =>
        new Promise(() => {
          signal.addEventListener('abort', () => {
            reason = signal.reason as unknown;
          });
        }),
    });
    const round = tools.runToolCalls({
      calls: [
        { id: 's1', name: 'slow', arguments: { ms: 5000 } }, // own timeout: 1000
        { id: 's2', name: 'stuck', arguments: {} }, // default: 250
      ],
      clock,
      signal: run.signal,
      defaultTimeoutMs: 250,
    });
    clock.advance(1000);
    const [slow, stuck] = await round;
    expect(slow).toMatchObject({
      ok: false,
      durationMs: 1000,
      error: { code: 'TOOL_TIMEOUT', details: { timeout_ms: 1000 } },
    });
    expect(stuck).toMatchObject({
      ok: false,
      durationMs: 250,
      error: { code: 'TOOL_TIMEOUT', retryable: true },
    });
    expect(VoiceError.is(reason) && reason.code).toBe('TOOL_TIMEOUT');
    expect(clock.pendingCount).toBe(0);
  });

  it('cancels calls on barge-in, except tools that opted out', async () => {
    const { clock, tools, run } = setup();
    const round = tools.runToolCalls({
      calls: [
        { id: 'w', name: 'get_weather', arguments: { city: 'Oslo' } },
        { id: 'b', name: 'book', arguments: {} },
      ],
      clock,
      signal: run.signal,
      defaultTimeoutMs: 5000,
    });
    await advanceBy(clock, 40);
    run.abort();
    await advanceBy(clock, 300);
    const [weather, book] = await round;
    expect(weather).toEqual({
      callId: 'w',
      name: 'get_weather',
      ok: false,
      durationMs: 40,
      error: {
        code: 'INTERNAL',
        message: 'Tool "get_weather" was cancelled: the run was interrupted.',
        retryable: false,
        details: { tool: 'get_weather', reason: 'cancelled' },
      },
    });
    expect(book).toEqual({
      callId: 'b',
      name: 'book',
      ok: true,
      result: { booked: true },
      durationMs: 300,
    });
  });

  it('does not start cancellable calls when the run is already aborted', async () => {
    const { clock, tools, run, started } = setup();
    run.abort();
    const round = tools.runToolCalls({
      calls: [
        { id: 'x', name: 'slow', arguments: { ms: 1 } },
        { id: 'y', name: 'book', arguments: {} },
      ],
      clock,
      signal: run.signal,
      defaultTimeoutMs: 5000,
    });
    clock.advance(300);
    const [slow, book] = await round;
    expect(started).toEqual([]);
    expect(slow).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL', details: { reason: 'cancelled' } },
    });
    expect(book).toMatchObject({ ok: true, result: { booked: true } });
  });

  it('reports invalid arguments with their paths', async () => {
    const { clock, tools, run, started } = setup();
    const results = await tools.runToolCalls({
      calls: [
        {
          id: 'v1',
          name: 'get_weather',
          arguments: {
            city: '',
            unit: 'k',
            days: 1.5,
            tags: ['ok', 'toolong', 3],
            where: { lat: 1, extra: true },
            verbose: 'yes',
            zip: '0150',
          },
        },
        { id: 'v2', name: 'get_weather', arguments: 'Oslo' },
        { id: 'v3', name: 'get_weather', arguments: {} },
      ],
      clock,
      signal: run.signal,
      defaultTimeoutMs: 5000,
    });
    expect(started).toEqual([]);
    const [v1, v2, v3] = results as [ToolCallResult, ToolCallResult, ToolCallResult];
    expect(v1.ok).toBe(false);
    if (v1.ok) return;
    expect(v1.error.code).toBe('VALIDATION_FAILED');
    expect(v1.error.details.path).toBe('/city');
    expect(v1.error.details.issues).toEqual([
      { path: '/city', message: 'must be at least 1 characters long' },
      { path: '/unit', message: 'must be one of "c", "f"' },
      { path: '/days', message: 'must be an integer, got number' },
      { path: '/tags/1', message: 'must be at most 5 characters long' },
      { path: '/tags/2', message: 'must be a string, got number' },
      { path: '/where/lon', message: 'is required' },
      { path: '/where/extra', message: 'is not allowed (additionalProperties is false)' },
      { path: '/verbose', message: 'must be a boolean, got string' },
      { path: '/zip', message: 'is not allowed (additionalProperties is false)' },
    ]);
    expect(v2).toMatchObject({
      ok: false,
      error: {
        code: 'VALIDATION_FAILED',
        message: expect.stringMatching(/\(root\) must be an object, got string/),
      },
    });
    expect(v3).toMatchObject({
      ok: false,
      error: { details: { path: '/city', reason: 'invalid_arguments' } },
    });
  });

  it('treats missing arguments as an empty object', async () => {
    const { clock, tools, run } = setup();
    const round = tools.runToolCalls({
      calls: [{ id: 'b', name: 'book', arguments: undefined }],
      clock,
      signal: run.signal,
      defaultTimeoutMs: 5000,
    });
    clock.advance(300);
    expect(await round).toMatchObject([{ ok: true }]);
  });

  it('answers an unknown tool with VALIDATION_FAILED and the available names', async () => {
    const { clock, tools, run } = setup();
    const [result] = await tools.runToolCalls({
      calls: [{ id: 'u', name: 'launch_rockets', arguments: {} }],
      clock,
      signal: run.signal,
      defaultTimeoutMs: 5000,
    });
    expect(result).toMatchObject({
      callId: 'u',
      name: 'launch_rockets',
      ok: false,
      durationMs: 0,
      error: {
        code: 'VALIDATION_FAILED',
        details: { reason: 'unknown_tool', available: ['get_weather', 'slow', 'book'] },
      },
    });
  });

  it("turns a throwing handler into TOOL_FAILED (a tool's own TOOL_* error as it is), keeping the message but not the stack", async () => {
    const clock = new SimulatedClock({ start: 0 });
    const tools = createToolRegistry();
    const base = { description: 'd', parameters: { type: 'object' } };
    tools.register({
      ...base,
      name: 'rejects',
      handler: () => Promise.reject(new Error('database is down')),
    });
    tools.register({
      ...base,
      name: 'throws',
      handler: () => {
        throw new VoiceError('PROVIDER_UNAVAILABLE', { message: 'upstream 503' });
      },
    });
    tools.register({
      ...base,
      name: 'own',
      handler: () =>
        Promise.reject(
          new VoiceError('TOOL_TIMEOUT', { message: 'no answer', details: { status: 504 } }),
        ),
    });
    const results = await tools.runToolCalls({
      calls: [
        { id: '1', name: 'rejects', arguments: {} },
        { id: '2', name: 'throws', arguments: {} },
        { id: '3', name: 'own', arguments: {} },
      ],
      clock,
      signal: new AbortController().signal,
      defaultTimeoutMs: 100,
    });
    expect(results).toEqual([
      {
        callId: '1',
        name: 'rejects',
        ok: false,
        durationMs: 0,
        error: {
          code: 'TOOL_FAILED',
          message: 'database is down',
          retryable: false,
          details: { tool: 'rejects' },
        },
      },
      {
        callId: '2',
        name: 'throws',
        ok: false,
        durationMs: 0,
        error: {
          code: 'TOOL_FAILED',
          message: 'upstream 503',
          retryable: false,
          details: { tool: 'throws', cause_code: 'PROVIDER_UNAVAILABLE' },
        },
      },
      {
        callId: '3',
        name: 'own',
        ok: false,
        durationMs: 0,
        error: {
          code: 'TOOL_TIMEOUT',
          message: 'no answer',
          retryable: true,
          details: { status: 504, tool: 'own' },
        },
      },
    ]);
    expect(JSON.stringify(results)).not.toMatch(/at .*tools\.test/);
    expect(clock.pendingCount).toBe(0);
  });

  it('refuses results that are not JSON-serialisable, and snapshots those that are', async () => {
    const clock = new SimulatedClock({ start: 0 });
    const tools = createToolRegistry();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const returns = (name: string, value: unknown): void => {
      tools.register({
        name,
        description: 'd',
        parameters: { type: 'object' },
        handler: () => Promise.resolve(value),
      });
    };
    const live = { n: 1, when: new Date(0), skip: undefined };
    returns('bigint', { total: 10n });
    returns('cycle', cyclic);
    returns('map', { m: new Map([[1, 2]]) });
    returns('nan', [1, Number.NaN]);
    returns('live', live);
    returns('nothing', undefined);
    const results = await tools.runToolCalls({
      calls: ['bigint', 'cycle', 'map', 'nan', 'live', 'nothing'].map((name) => ({
        id: name,
        name,
        arguments: {},
      })),
      clock,
      signal: new AbortController().signal,
      defaultTimeoutMs: 100,
    });
    live.n = 2;
    const errors = results.map((r) =>
      r.ok ? r.result : `${r.error.code} ${String(r.error.details.path)}`,
    );
    expect(errors).toEqual([
      'TOOL_FAILED /total',
      'TOOL_FAILED /self',
      'TOOL_FAILED /m',
      'TOOL_FAILED /1',
      { n: 1, when: '1970-01-01T00:00:00.000Z' },
      null,
    ]);
    expect(results[0]).toMatchObject({
      error: { message: expect.stringMatching(/\/total is a bigint/) },
    });
    expect(JSON.parse(JSON.stringify(results))).toEqual(results);
  });

  it('rejects a bad defaultTimeoutMs', () => {
    const { clock, tools, run } = setup();
    expect(() =>
      tools.runToolCalls({ calls: [], clock, signal: run.signal, defaultTimeoutMs: Number.NaN }),
    ).toThrow(/defaultTimeoutMs/);
  });
});

describe('toolResultContent', () => {
  const content = (result: ToolCallResult): string => toolResultContent(result);

  it('puts strings as they are, other results as JSON, errors as a JSON error object', () => {
    expect(
      content({
        callId: 'a',
        name: 't',
        ok: true,
        result: 'It is sunny.',
        durationMs: 1,
      }),
    ).toBe('It is sunny.');
    expect(
      content({ callId: 'a', name: 't', ok: true, result: { tempC: 21 }, durationMs: 1 }),
    ).toBe('{"tempC":21}');
    expect(content({ callId: 'a', name: 't', ok: true, result: null, durationMs: 1 })).toBe('null');
    expect(
      content({
        callId: 'a',
        name: 't',
        ok: false,
        durationMs: 1,
        error: {
          code: 'TOOL_TIMEOUT',
          message: 'Too slow.',
          retryable: true,
          details: { tool: 't', timeout_ms: 5 },
        },
      }),
    ).toBe('{"error":{"code":"TOOL_TIMEOUT","message":"Too slow.","details":{"timeout_ms":5}}}');
    expect(
      content({
        callId: 'a',
        name: 't',
        ok: false,
        durationMs: 1,
        error: { code: 'TOOL_FAILED', message: 'Boom.', retryable: false, details: { tool: 't' } },
      }),
    ).toBe('{"error":{"code":"TOOL_FAILED","message":"Boom."}}');
  });
});
