import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentRunRequest, ConversationMessage, ToolDefinition } from '../../interfaces.js';
import { createOllamaAgent } from './ollama-agent.js';
import { collectRun, spokenText } from './testing/collect.js';
import type { ProtocolReply, RecordedRequest, TestServer } from './testing/http-test-server.js';
import { ndjsonLine, startOllamaChatServer } from './testing/ollama-chat-server.js';
import type { OllamaTurn } from './testing/ollama-chat-server.js';

let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(reply: (request: RecordedRequest) => ProtocolReply<OllamaTurn>) {
  const running = await startOllamaChatServer({ reply });
  server = running;
  const clock = new SimulatedClock();
  const agent = createOllamaAgent({ clock });
  const controller = new AbortController();
  const request = (extra: Partial<AgentRunRequest> = {}): AgentRunRequest => ({
    conversation: [{ role: 'user', content: 'Hi there' }],
    tools: [],
    signal: controller.signal,
    options: { base_url: running.url, model: 'llama3.2' },
    ...extra,
  });
  const withModel = (model: string, extra: Record<string, unknown> = {}) =>
    request({ options: { base_url: running.url, model, ...extra } });
  return { server: running, clock, agent, controller, request, withModel };
}

function voiceError(error: unknown): VoiceError {
  expect(VoiceError.is(error)).toBe(true);
  return error as VoiceError;
}

const weatherTool: ToolDefinition = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('ollama agent', () => {
  it('streams message.content as tokens, then prompt_eval_count/eval_count as usage, then done', async () => {
    const pieces = ['The', ' sky', ' is', ' blue.'];
    const t = await setup(() => ({ turn: { text: pieces, promptEvalCount: 26, evalCount: 282 } }));
    const { events, error } = await collectRun(
      t.agent.run(
        t.withModel('llama3.2', {
          temperature: 0.5,
          max_tokens: 64,
          keep_alive: '10m',
          think: false,
        }),
      ),
    );
    expect(error).toBeUndefined();
    expect(events).toEqual([
      ...pieces.map((piece) => ({ type: 'token', text: piece })),
      { type: 'usage', promptTokens: 26, completionTokens: 282 },
      { type: 'done', finishReason: 'stop' },
    ]);
    expect(spokenText(events)).toBe('The sky is blue.');
    const received = t.server.exchanges[0]?.request;
    expect(received?.path).toBe('/api/chat');
    expect(received?.body).toEqual({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'Hi there' }],
      stream: true,
      options: { temperature: 0.5, num_predict: 64 },
      keep_alive: '10m',
      think: false,
    });
    expect(t.clock.pendingCount).toBe(0);
  });

  it('emits parallel tool calls with their argument objects and finishes with tool_calls', async () => {
    const t = await setup(() => ({
      turn: {
        toolCalls: [
          { name: 'get_weather', arguments: { city: 'Paris' } },
          { name: 'get_weather', arguments: { city: 'Toronto', format: 'celsius' } },
        ],
        promptEvalCount: 122,
        evalCount: 33,
      },
    }));
    const { events, error } = await collectRun(t.agent.run(t.request({ tools: [weatherTool] })));
    expect(error).toBeUndefined();
    expect(events).toEqual([
      {
        type: 'tool_call',
        call: { id: 'ollama_call_0', name: 'get_weather', arguments: { city: 'Paris' } },
      },
      {
        type: 'tool_call',
        call: {
          id: 'ollama_call_1',
          name: 'get_weather',
          arguments: { city: 'Toronto', format: 'celsius' },
        },
      },
      { type: 'usage', promptTokens: 122, completionTokens: 33 },
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

  it('maps tool calls and tool results to /api/chat messages (tool_name on results)', async () => {
    const t = await setup(() => ({
      turn: { text: ['Sunny.'], promptEvalCount: 1, evalCount: 1, doneReason: 'length' },
    }));
    const conversation: ConversationMessage[] = [
      { role: 'system', content: 'You are a voice assistant.' },
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'ollama_call_0', name: 'get_weather', arguments: { city: 'Paris' } }],
      },
      { role: 'tool', toolCallId: 'ollama_call_0', name: 'get_weather', content: 'sunny, 21 °C' },
    ];
    const { events } = await collectRun(t.agent.run(t.request({ conversation })));
    expect(events.at(-1)).toEqual({ type: 'done', finishReason: 'length' });
    expect((t.server.exchanges[0]?.request.body as { messages: unknown }).messages).toEqual([
      { role: 'system', content: 'You are a voice assistant.' },
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }],
      },
      { role: 'tool', content: 'sunny, 21 °C', tool_name: 'get_weather' },
    ]);
  });

  it('maps HTTP errors: 401, 429 with Retry-After, 500, 404 (fallback) and 400 (no fallback)', async () => {
    const t = await setup((request) => {
      const model = (request.body as { model: string }).model;
      if (model === 'auth') return { status: 401 };
      if (model === 'limited') return { status: 429, headers: { 'retry-after': '2' } };
      if (model === 'crashed') return { status: 500 };
      if (model === 'missing') return { status: 404 };
      return { status: 400 };
    });
    const errorOf = async (model: string) =>
      voiceError((await collectRun(t.agent.run(t.withModel(model)))).error);
    expect((await errorOf('auth')).code).toBe('PROVIDER_AUTH_FAILED');
    const limited = await errorOf('limited');
    expect(limited.code).toBe('PROVIDER_RATE_LIMITED');
    expect(limited.details).toMatchObject({ fallback: true, retry_after_ms: 2000 });
    const crashed = await errorOf('crashed');
    expect(crashed.code).toBe('PROVIDER_UNAVAILABLE');
    expect(crashed.message).toContain('llama runner process has terminated');
    const missing = await errorOf('missing');
    expect(missing.code).toBe('PROVIDER_ERROR');
    expect(missing.details).toMatchObject({ fallback: true, status: 404 });
    const bad = await errorOf('bad');
    expect(bad.code).toBe('PROVIDER_ERROR');
    expect(bad.details).toMatchObject({ fallback: false, status: 400 });
  });

  it('fails with PROVIDER_UNAVAILABLE (partial) on a disconnect, a cut answer or an error line', async () => {
    const turn = { text: ['One', ' two', ' three'], promptEvalCount: 1, evalCount: 3 };
    const t = await setup((request) => {
      const model = (request.body as { model: string }).model;
      if (model === 'drop') return { turn, cutAfter: 2, then: 'destroy' };
      if (model === 'cut') return { turn, cutAfter: 2, then: 'end' };
      return {
        frames: [
          ndjsonLine({ message: { role: 'assistant', content: 'One' }, done: false }),
          ndjsonLine({ error: 'an error was encountered while running the model' }),
        ],
      };
    });
    for (const model of ['drop', 'cut', 'error']) {
      const { events, error } = await collectRun(t.agent.run(t.withModel(model)));
      expect(spokenText(events)).toBe(model === 'error' ? 'One' : 'One two');
      expect(voiceError(error).code).toBe('PROVIDER_UNAVAILABLE');
      expect(voiceError(error).details).toMatchObject({ fallback: true, partial: true });
    }
  });

  it('rejects a line of an unexpected shape with PROVIDER_ERROR', async () => {
    const t = await setup(() => ({
      frames: [ndjsonLine({ message: { content: ['x'] }, done: false })],
    }));
    const { error } = await collectRun(t.agent.run(t.request()));
    expect(voiceError(error).code).toBe('PROVIDER_ERROR');
    expect((error as Error).message).toContain('message.content');
  });

  it('times out on the clock when the server accepts and never answers', async () => {
    const t = await setup(() => 'stall');
    const run = t.agent.run(t.withModel('llama3.2', { first_byte_timeout_ms: 3_000 }));
    const iterator = run[Symbol.asyncIterator]();
    const next = iterator.next();
    const exchange = await t.server.nextExchange();
    t.clock.advance(3_000);
    const err = await next.then(
      () => undefined,
      (error: unknown) => voiceError(error),
    );
    expect(err?.code).toBe('PROVIDER_TIMEOUT');
    expect(err?.details).toMatchObject({ fallback: true, timeout_ms: 3_000 });
    await exchange.closed;
  });

  it('ends without throwing on abort mid-stream, and the server sees the connection close', async () => {
    const t = await setup(() => ({
      turn: { text: ['Hello', ' world'], promptEvalCount: 1, evalCount: 2 },
      cutAfter: 1,
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
  });
});
