import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentRunRequest, ConversationMessage, ToolDefinition } from '../../interfaces.js';
import { createOpenAiCompatibleAgent } from './openai-compatible-agent.js';
import { collectRun, spokenText } from './testing/collect.js';
import type { ProtocolReply, RecordedRequest, TestServer } from './testing/http-test-server.js';
import { openAiErrorBody, sseData, startOpenAiChatServer } from './testing/openai-chat-server.js';
import type { OpenAiTurn } from './testing/openai-chat-server.js';

const KEY = 'sk-test-0123456789abcdef';
let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(
  reply: (request: RecordedRequest) => ProtocolReply<OpenAiTurn>,
  env: Record<string, string> = { OPENAI_API_KEY: KEY },
) {
  const running = await startOpenAiChatServer({ apiKey: KEY, reply });
  server = running;
  const clock = new SimulatedClock();
  const agent = createOpenAiCompatibleAgent({ clock, env });
  const controller = new AbortController();
  const request = (extra: Partial<AgentRunRequest> = {}): AgentRunRequest => ({
    conversation: [{ role: 'user', content: 'Hi there' }],
    tools: [],
    signal: controller.signal,
    options: { base_url: `${running.url}/v1`, model: 'gpt-test' },
    ...extra,
  });
  return { server: running, clock, agent, controller, request };
}

const weatherTool: ToolDefinition = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

function voiceError(error: unknown): VoiceError {
  expect(VoiceError.is(error)).toBe(true);
  return error as VoiceError;
}

describe('openai-compatible agent', () => {
  it('streams tokens in order, then usage exactly as reported, then done', async () => {
    const text = ['Hello', ' there', ', how', ' can I', ' help?'];
    const t = await setup(() => ({
      turn: { text, usage: { prompt_tokens: 17, completion_tokens: 6 } },
    }));
    const { events, error } = await collectRun(
      t.agent.run(
        t.request({
          options: {
            base_url: `${t.server.url}/v1/`,
            model: 'gpt-test',
            temperature: 0.3,
            max_tokens: 200,
            max_completion_tokens: 300,
            headers: { 'OpenAI-Organization': 'org-test' },
          },
        }),
      ),
    );
    expect(error).toBeUndefined();
    expect(events).toEqual([
      ...text.map((piece) => ({ type: 'token', text: piece })),
      { type: 'usage', promptTokens: 17, completionTokens: 6 },
      { type: 'done', finishReason: 'stop' },
    ]);
    expect(spokenText(events)).toBe(text.join(''));
    const [exchange] = t.server.exchanges;
    expect(exchange?.request.path).toBe('/v1/chat/completions');
    expect(exchange?.request.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(exchange?.request.headers['openai-organization']).toBe('org-test');
    expect(exchange?.request.body).toEqual({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'Hi there' }],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.3,
      max_tokens: 200,
      max_completion_tokens: 300,
    });
    expect(t.clock.pendingCount).toBe(0);
  });

  it('reassembles parallel tool calls streamed in fragments and finishes with tool_calls', async () => {
    const t = await setup(() => ({
      turn: {
        text: ['Let me check.'],
        toolCalls: [
          { id: 'call_a1', name: 'get_weather', argumentFragments: ['{"ci', 'ty": "Par', 'is"}'] },
          { id: 'call_b2', name: 'get_weather', argumentFragments: ['{"city":', ' "Zürich"', '}'] },
          { id: 'call_c3', name: 'get_time', argumentFragments: [] },
        ],
        usage: { prompt_tokens: 80, completion_tokens: 41 },
      },
    }));
    const { events, error } = await collectRun(t.agent.run(t.request({ tools: [weatherTool] })));
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'token', text: 'Let me check.' },
      {
        type: 'tool_call',
        call: { id: 'call_a1', name: 'get_weather', arguments: { city: 'Paris' } },
      },
      {
        type: 'tool_call',
        call: { id: 'call_b2', name: 'get_weather', arguments: { city: 'Zürich' } },
      },
      { type: 'tool_call', call: { id: 'call_c3', name: 'get_time', arguments: {} } },
      { type: 'usage', promptTokens: 80, completionTokens: 41 },
      { type: 'done', finishReason: 'tool_calls' },
    ]);
    expect((t.server.exchanges[0]?.request.body as { tools: unknown }).tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather for a city',
          parameters: weatherTool.parameters,
        },
      },
    ]);
  });

  it('maps system, user, assistant tool calls and tool results to Chat Completions messages', async () => {
    const t = await setup(() => ({ turn: { text: ['It is sunny.'] } }));
    const conversation: ConversationMessage[] = [
      { role: 'system', content: 'You are a voice assistant.' },
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } },
          { id: 'call_2', name: 'get_weather', arguments: { city: 'Rome' } },
        ],
      },
      { role: 'tool', toolCallId: 'call_1', name: 'get_weather', content: 'sunny, 21 °C' },
      { role: 'tool', toolCallId: 'call_2', name: 'get_weather', content: 'cloudy, 18 °C' },
      { role: 'assistant', content: 'Paris is sunny.' },
      { role: 'user', content: 'Thanks' },
    ];
    const { events } = await collectRun(t.agent.run(t.request({ conversation })));
    expect(spokenText(events)).toBe('It is sunny.');
    expect(events.at(-1)).toEqual({ type: 'done', finishReason: 'stop' });
    expect((t.server.exchanges[0]?.request.body as { messages: unknown }).messages).toEqual([
      { role: 'system', content: 'You are a voice assistant.' },
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
          {
            id: 'call_2',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny, 21 °C' },
      { role: 'tool', tool_call_id: 'call_2', content: 'cloudy, 18 °C' },
      { role: 'assistant', content: 'Paris is sunny.' },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  it('reports finish_reason length, and no usage event when the server reported none', async () => {
    const t = await setup((request) => {
      expect(request.body).toMatchObject({ stream_options: { include_usage: true } });
      return { turn: { text: ['Once upon'], finishReason: 'length' } };
    });
    const { events } = await collectRun(t.agent.run(t.request()));
    expect(events).toEqual([
      { type: 'token', text: 'Once upon' },
      { type: 'done', finishReason: 'length' },
    ]);
  });

  it('prefers the api_key option over OPENAI_API_KEY, and sends no key to a keyless server', async () => {
    const t = await setup(() => ({ turn: { text: ['ok'] } }), { OPENAI_API_KEY: 'sk-wrong' });
    const withOption = await collectRun(
      t.agent.run(t.request({ options: { base_url: t.server.url, model: 'm', api_key: KEY } })),
    );
    expect(spokenText(withOption.events)).toBe('ok');
    const local = await startOpenAiChatServer({ reply: () => ({ turn: { text: ['local'] } }) });
    try {
      const agent = createOpenAiCompatibleAgent({ clock: t.clock, env: {} });
      const run = await collectRun(
        agent.run(t.request({ options: { base_url: local.url, model: 'llama3.2' } })),
      );
      expect(spokenText(run.events)).toBe('local');
      expect(local.exchanges[0]?.request.headers.authorization).toBeUndefined();
    } finally {
      await local.close();
    }
  });

  it('refuses to call OpenAI itself without a key, naming the variable', async () => {
    const agent = createOpenAiCompatibleAgent({ clock: new SimulatedClock(), env: {} });
    const { error } = await collectRun(
      agent.run({
        conversation: [],
        tools: [],
        signal: new AbortController().signal,
        options: { model: 'gpt-4o-mini' },
      }),
    );
    expect(voiceError(error).code).toBe('PROVIDER_AUTH_FAILED');
    expect((error as Error).message).toContain('OPENAI_API_KEY');
  });

  it('rejects a missing model as invalid options', async () => {
    const t = await setup(() => ({ turn: {} }));
    const { error } = await collectRun(
      t.agent.run(t.request({ options: { base_url: t.server.url } })),
    );
    expect(voiceError(error).code).toBe('VALIDATION_FAILED');
    expect(t.server.exchanges).toHaveLength(0);
  });

  it('maps 401 to PROVIDER_AUTH_FAILED (fallback, no retry) without revealing the key', async () => {
    const t = await setup(() => ({ turn: {} }), { OPENAI_API_KEY: 'sk-wrong-key-987654321' });
    const { events, error } = await collectRun(t.agent.run(t.request()));
    expect(events).toEqual([]);
    const err = voiceError(error);
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.details).toMatchObject({ provider: 'openai', fallback: true, status: 401 });
    expect(JSON.stringify(err)).not.toContain('sk-wrong-key-987654321');
  });

  it('redacts the key when the error body repeats it', async () => {
    const t = await setup(() => ({
      status: 401,
      body: openAiErrorBody(
        `Incorrect API key provided: ${KEY}.`,
        'invalid_request_error',
        'invalid_api_key',
      ),
    }));
    const { error } = await collectRun(t.agent.run(t.request()));
    const err = voiceError(error);
    expect(err.message).toContain('Incorrect API key provided: [redacted]');
    expect(`${err.message}${JSON.stringify(err.details)}`).not.toContain(KEY);
  });

  it('maps 429 to PROVIDER_RATE_LIMITED with the Retry-After delay', async () => {
    const t = await setup(() => ({ status: 429, headers: { 'retry-after': '7' } }));
    const { error } = await collectRun(t.agent.run(t.request()));
    const err = voiceError(error);
    expect(err.code).toBe('PROVIDER_RATE_LIMITED');
    expect(err.retryable).toBe(true);
    expect(err.details).toMatchObject({
      fallback: true,
      retry_after_ms: 7000,
      provider_error: 'requests',
    });
  });

  it('reads an HTTP-date Retry-After against the injected clock', async () => {
    const clockStart = new SimulatedClock().now();
    const t = await setup(() => ({
      status: 429,
      headers: { 'retry-after': new Date(clockStart + 5000).toUTCString() },
    }));
    const { error } = await collectRun(t.agent.run(t.request()));
    expect(voiceError(error).details['retry_after_ms']).toBe(5000);
  });

  it('maps 500 to PROVIDER_UNAVAILABLE and 400 to PROVIDER_ERROR without fallback', async () => {
    const t = await setup((request) =>
      (request.body as { model: string }).model === 'bad' ? { status: 400 } : { status: 500 },
    );
    const unavailable = voiceError((await collectRun(t.agent.run(t.request()))).error);
    expect(unavailable.code).toBe('PROVIDER_UNAVAILABLE');
    expect(unavailable.details).toMatchObject({ fallback: true, status: 500 });
    const bad = voiceError(
      (
        await collectRun(
          t.agent.run(t.request({ options: { base_url: t.server.url, model: 'bad' } })),
        )
      ).error,
    );
    expect(bad.code).toBe('PROVIDER_ERROR');
    expect(bad.details).toMatchObject({ fallback: false, status: 400 });
  });

  it('fails with PROVIDER_UNAVAILABLE (partial) when the connection drops mid-stream', async () => {
    const t = await setup(() => ({
      turn: { text: ['Hello', ' world', ' again'] },
      cutAfter: 3,
      then: 'destroy',
    }));
    const { events, error } = await collectRun(t.agent.run(t.request()));
    expect(spokenText(events)).toBe('Hello world');
    const err = voiceError(error);
    expect(err.code).toBe('PROVIDER_UNAVAILABLE');
    expect(err.details).toMatchObject({ fallback: true, partial: true });
  });

  it('fails with PROVIDER_UNAVAILABLE (partial) when the body ends before finish_reason and [DONE]', async () => {
    const t = await setup(() => ({
      turn: { text: ['Hello', ' world'] },
      cutAfter: 2,
      then: 'end',
    }));
    const { events, error } = await collectRun(t.agent.run(t.request()));
    expect(spokenText(events)).toBe('Hello');
    expect(voiceError(error).details).toMatchObject({ partial: true });
    expect(voiceError(error).code).toBe('PROVIDER_UNAVAILABLE');
  });

  it('fails with PROVIDER_UNAVAILABLE when nothing listens', async () => {
    const t = await setup(() => ({ turn: {} }));
    const url = t.server.url;
    await t.server.close();
    const { error } = await collectRun(
      t.agent.run(t.request({ options: { base_url: url, model: 'm' } })),
    );
    expect(voiceError(error).code).toBe('PROVIDER_UNAVAILABLE');
    expect(voiceError(error).details).toMatchObject({ fallback: true, partial: false });
  });

  it('times out on the clock when the server accepts and never answers', async () => {
    const t = await setup(() => 'stall');
    const iterator = t.agent.run(t.request())[Symbol.asyncIterator]();
    const next = iterator.next();
    const exchange = await t.server.nextExchange();
    t.clock.advance(9_999);
    expect(t.clock.pendingCount).toBe(1);
    t.clock.advance(1);
    const err = await next.then(
      () => undefined,
      (error: unknown) => voiceError(error),
    );
    expect(err?.code).toBe('PROVIDER_TIMEOUT');
    expect(err?.details).toMatchObject({ fallback: true, timeout_ms: 10_000, partial: false });
    await exchange.closed;
    expect(t.clock.pendingCount).toBe(0);
  });

  it('honours first_byte_timeout_ms and times out a stream that stalls midway (idle_timeout_ms)', async () => {
    const t = await setup(() => ({
      turn: { text: ['Hello', ' world'] },
      cutAfter: 2,
      then: 'hold',
    }));
    const run = t.agent.run(
      t.request({
        options: {
          base_url: t.server.url,
          model: 'm',
          first_byte_timeout_ms: 500,
          idle_timeout_ms: 2_000,
        },
      }),
    );
    const iterator = run[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: { type: 'token', text: 'Hello' } });
    const next = iterator.next();
    const exchange = await t.server.nextExchange();
    t.clock.advance(2_000);
    const err = await next.then(
      () => undefined,
      (error: unknown) => voiceError(error),
    );
    expect(err?.code).toBe('PROVIDER_TIMEOUT');
    expect(err?.details).toMatchObject({ timeout_ms: 2_000, partial: true });
    await exchange.closed;
  });

  it('ends at once without throwing on abort mid-stream, and the server sees the connection close', async () => {
    const t = await setup(() => ({
      turn: { text: ['Hello', ' world'] },
      cutAfter: 2,
      then: 'hold',
    }));
    const iterator = t.agent.run(t.request())[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: { type: 'token', text: 'Hello' } });
    const pending = iterator.next();
    const exchange = await t.server.nextExchange();
    t.controller.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
    await exchange.closed;
    expect(exchange.abandoned()).toBe(true);
    expect(t.clock.pendingCount).toBe(0);
  });

  it('rejects unexpected chunk shapes and unparseable tool arguments with PROVIDER_ERROR', async () => {
    const t = await setup((request) =>
      (request.body as { model: string }).model === 'shape'
        ? { frames: [sseData({ choices: [{ index: 0, delta: { content: 42 } }] })] }
        : { turn: { toolCalls: [{ id: 'c1', name: 'f', argumentFragments: ['{"a":'] }] } },
    );
    const shape = await collectRun(
      t.agent.run(t.request({ options: { base_url: t.server.url, model: 'shape' } })),
    );
    expect(voiceError(shape.error).code).toBe('PROVIDER_ERROR');
    expect((shape.error as Error).message).toContain('choices.0.delta.content');
    const args = await collectRun(t.agent.run(t.request()));
    expect(voiceError(args.error).code).toBe('PROVIDER_ERROR');
    expect((args.error as Error).message).toContain("tool call 'f'");
  });

  it('turns an error chunk in the stream into PROVIDER_UNAVAILABLE (partial)', async () => {
    const t = await setup(() => ({
      frames: [
        sseData({ choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] }),
        sseData(openAiErrorBody('The server is overloaded.', 'server_error', null)),
      ],
    }));
    const { events, error } = await collectRun(t.agent.run(t.request()));
    expect(spokenText(events)).toBe('Hi');
    expect(voiceError(error).code).toBe('PROVIDER_UNAVAILABLE');
    expect((error as Error).message).toContain('The server is overloaded.');
  });
});
