import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentRunRequest, ConversationMessage, ToolDefinition } from '../../interfaces.js';
import { createAnthropicAgent } from './anthropic-agent.js';
import {
  anthropicErrorBody,
  anthropicEvent,
  startAnthropicMessagesServer,
} from './testing/anthropic-messages-server.js';
import type { AnthropicTurn } from './testing/anthropic-messages-server.js';
import { collectRun, spokenText } from './testing/collect.js';
import type { ProtocolReply, RecordedRequest, TestServer } from './testing/http-test-server.js';

const KEY = 'sk-ant-test-0123456789abcdef';
let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(
  reply: (request: RecordedRequest) => ProtocolReply<AnthropicTurn>,
  env: Record<string, string> = { ANTHROPIC_API_KEY: KEY },
) {
  const running = await startAnthropicMessagesServer({ apiKey: KEY, reply });
  server = running;
  const clock = new SimulatedClock();
  const agent = createAnthropicAgent({ clock, env });
  const controller = new AbortController();
  const request = (extra: Partial<AgentRunRequest> = {}): AgentRunRequest => ({
    conversation: [{ role: 'user', content: 'Hi there' }],
    tools: [],
    signal: controller.signal,
    options: { base_url: running.url, model: 'claude-test' },
    ...extra,
  });
  return { server: running, clock, agent, controller, request };
}

const text = (fragments: string[]) => ({ type: 'text' as const, fragments });

function voiceError(error: unknown): VoiceError {
  expect(VoiceError.is(error)).toBe(true);
  return error as VoiceError;
}

const weatherTool: ToolDefinition = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('anthropic agent', () => {
  it('streams text deltas as tokens, then usage exactly as reported, then done', async () => {
    const pieces = ['Hello', '! How', ' can I', ' help?'];
    const t = await setup(() => ({
      turn: { blocks: [text(pieces)], inputTokens: 25, outputTokens: 12 },
    }));
    const { events, error } = await collectRun(
      t.agent.run(
        t.request({ options: { base_url: t.server.url, model: 'claude-test', temperature: 0.2 } }),
      ),
    );
    expect(error).toBeUndefined();
    expect(events).toEqual([
      ...pieces.map((piece) => ({ type: 'token', text: piece })),
      { type: 'usage', promptTokens: 25, completionTokens: 12 },
      { type: 'done', finishReason: 'stop' },
    ]);
    expect(spokenText(events)).toBe(pieces.join(''));
    const received = t.server.exchanges[0]?.request;
    expect(received?.headers['x-api-key']).toBe(KEY);
    expect(received?.headers['anthropic-version']).toBe('2023-06-01');
    expect(received?.body).toEqual({
      model: 'claude-test',
      max_tokens: 1024,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi there' }] }],
      temperature: 0.2,
      stream: true,
    });
    expect(t.clock.pendingCount).toBe(0);
  });

  it('assembles parallel tool_use blocks from input_json_delta pieces', async () => {
    const t = await setup(() => ({
      turn: {
        blocks: [
          text(['Checking both.']),
          {
            type: 'tool_use',
            id: 'toolu_01',
            name: 'get_weather',
            jsonFragments: ['', '{"city": "Pa', 'ris"}'],
          },
          {
            type: 'tool_use',
            id: 'toolu_02',
            name: 'get_weather',
            jsonFragments: ['{"ci', 'ty": "Rome"}'],
          },
          { type: 'tool_use', id: 'toolu_03', name: 'get_time', jsonFragments: [] },
        ],
        inputTokens: 400,
        outputTokens: 96,
      },
    }));
    const { events, error } = await collectRun(t.agent.run(t.request({ tools: [weatherTool] })));
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'token', text: 'Checking both.' },
      {
        type: 'tool_call',
        call: { id: 'toolu_01', name: 'get_weather', arguments: { city: 'Paris' } },
      },
      {
        type: 'tool_call',
        call: { id: 'toolu_02', name: 'get_weather', arguments: { city: 'Rome' } },
      },
      { type: 'tool_call', call: { id: 'toolu_03', name: 'get_time', arguments: {} } },
      { type: 'usage', promptTokens: 400, completionTokens: 96 },
      { type: 'done', finishReason: 'tool_calls' },
    ]);
    expect((t.server.exchanges[0]?.request.body as { tools: unknown }).tools).toEqual([
      {
        name: 'get_weather',
        description: 'Current weather for a city',
        input_schema: weatherTool.parameters,
      },
    ]);
  });

  it('sends system prompts top-level and tool results as tool_result blocks of a user message', async () => {
    const t = await setup(() => ({
      turn: { blocks: [text(['Sunny.'])], inputTokens: 1, outputTokens: 1 },
    }));
    const conversation: ConversationMessage[] = [
      { role: 'system', content: 'You are a voice assistant.' },
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Let me check.',
        toolCalls: [
          { id: 'toolu_1', name: 'get_weather', arguments: { city: 'Paris' } },
          { id: 'toolu_2', name: 'get_weather', arguments: { city: 'Rome' } },
        ],
      },
      { role: 'tool', toolCallId: 'toolu_1', name: 'get_weather', content: 'sunny, 21 °C' },
      { role: 'tool', toolCallId: 'toolu_2', name: 'get_weather', content: 'cloudy, 18 °C' },
      { role: 'assistant', content: 'Paris is sunny and Rome ' },
      { role: 'system', content: 'Continue from exactly that point.' },
    ];
    const { error } = await collectRun(t.agent.run(t.request({ conversation })));
    expect(error).toBeUndefined();
    const body = t.server.exchanges[0]?.request.body as Record<string, unknown>;
    expect(body['system']).toBe('You are a voice assistant.\n\nContinue from exactly that point.');
    expect(body['messages']).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny, 21 °C' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: 'cloudy, 18 °C' },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'Paris is sunny and Rome' }] },
    ]);
  });

  it('reports max_tokens as length and takes the api_key and anthropic_version options', async () => {
    const t = await setup(
      () => ({
        turn: {
          blocks: [text(['Once'])],
          inputTokens: 3,
          outputTokens: 1,
          stopReason: 'max_tokens',
        },
      }),
      {},
    );
    const { events } = await collectRun(
      t.agent.run(
        t.request({
          options: {
            base_url: t.server.url,
            model: 'claude-test',
            api_key: KEY,
            anthropic_version: '2023-01-01',
            max_tokens: 1,
          },
        }),
      ),
    );
    expect(events.at(-1)).toEqual({ type: 'done', finishReason: 'length' });
    expect(t.server.exchanges[0]?.request.headers['anthropic-version']).toBe('2023-01-01');
    expect(t.server.exchanges[0]?.request.body).toMatchObject({ max_tokens: 1 });
  });

  it('refuses to run without a key, naming ANTHROPIC_API_KEY', async () => {
    const t = await setup(() => 'stall', {});
    const { error } = await collectRun(t.agent.run(t.request()));
    expect(voiceError(error).code).toBe('PROVIDER_AUTH_FAILED');
    expect((error as Error).message).toContain('ANTHROPIC_API_KEY');
    expect(t.server.exchanges).toHaveLength(0);
  });

  it('maps 401 to PROVIDER_AUTH_FAILED without revealing the key, even when the body repeats it', async () => {
    const wrong = 'sk-ant-wrong-key-5555555555';
    const t = await setup(() => ({ turn: { blocks: [], inputTokens: 0, outputTokens: 0 } }), {
      ANTHROPIC_API_KEY: wrong,
    });
    const first = voiceError((await collectRun(t.agent.run(t.request()))).error);
    expect(first.code).toBe('PROVIDER_AUTH_FAILED');
    expect(first.retryable).toBe(false);
    expect(first.details).toMatchObject({
      fallback: true,
      status: 401,
      provider_error: 'authentication_error',
    });
    expect(JSON.stringify(first)).not.toContain(wrong);
    const echo = await startAnthropicMessagesServer({
      apiKey: wrong,
      reply: () => ({
        status: 401,
        body: anthropicErrorBody('authentication_error', `bad key ${wrong}`),
      }),
    });
    try {
      const err = voiceError(
        (await collectRun(t.agent.run(t.request({ options: { base_url: echo.url, model: 'm' } }))))
          .error,
      );
      expect(err.message).toContain('bad key [redacted]');
      expect(JSON.stringify(err)).not.toContain(wrong);
    } finally {
      await echo.close();
    }
  });

  it('maps 429 with Retry-After, 529 overloaded and 400', async () => {
    const t = await setup((request) => {
      const model = (request.body as { model: string }).model;
      if (model === 'limited') return { status: 429, headers: { 'retry-after': '12' } };
      if (model === 'overloaded') return { status: 529 };
      return { status: 400 };
    });
    const run = async (model: string) =>
      voiceError(
        (await collectRun(t.agent.run(t.request({ options: { base_url: t.server.url, model } }))))
          .error,
      );
    const limited = await run('limited');
    expect(limited.code).toBe('PROVIDER_RATE_LIMITED');
    expect(limited.details).toMatchObject({ fallback: true, retry_after_ms: 12_000 });
    const overloaded = await run('overloaded');
    expect(overloaded.code).toBe('PROVIDER_UNAVAILABLE');
    expect(overloaded.details).toMatchObject({ fallback: true, status: 529 });
    const bad = await run('bad');
    expect(bad.code).toBe('PROVIDER_ERROR');
    expect(bad.details).toMatchObject({ fallback: false, status: 400 });
  });

  it('maps an error event mid-stream by its type (overloaded → PROVIDER_UNAVAILABLE, partial)', async () => {
    const t = await setup(() => ({
      frames: [
        anthropicEvent({
          type: 'message_start',
          message: {
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            content: [],
            usage: { input_tokens: 5, output_tokens: 1 },
          },
        }),
        anthropicEvent({
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'text', text: '' },
        }),
        anthropicEvent({
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: 'Hel' },
        }),
        anthropicEvent({
          type: 'error',
          error: { type: 'overloaded_error', message: 'Overloaded' },
        }),
      ],
    }));
    const { events, error } = await collectRun(t.agent.run(t.request()));
    expect(spokenText(events)).toBe('Hel');
    const err = voiceError(error);
    expect(err.code).toBe('PROVIDER_UNAVAILABLE');
    expect(err.details).toMatchObject({
      fallback: true,
      partial: true,
      provider_error: 'overloaded_error',
    });
  });

  it('fails with PROVIDER_UNAVAILABLE (partial) on a disconnect or an answer cut before message_stop', async () => {
    const turn = { blocks: [text(['One', ' two', ' three'])], inputTokens: 1, outputTokens: 3 };
    const t = await setup((request) =>
      (request.body as { model: string }).model === 'cut'
        ? { turn, cutAfter: 5, then: 'end' }
        : { turn, cutAfter: 5, then: 'destroy' },
    );
    const dropped = await collectRun(t.agent.run(t.request()));
    expect(spokenText(dropped.events)).toBe('One two');
    expect(voiceError(dropped.error).code).toBe('PROVIDER_UNAVAILABLE');
    expect(voiceError(dropped.error).details).toMatchObject({ fallback: true, partial: true });
    const cut = await collectRun(
      t.agent.run(t.request({ options: { base_url: t.server.url, model: 'cut' } })),
    );
    expect(spokenText(cut.events)).toBe('One two');
    expect(voiceError(cut.error).details).toMatchObject({ partial: true });
  });

  it('times out on the clock when the server accepts and never answers', async () => {
    const t = await setup(() => 'stall');
    const iterator = t.agent.run(t.request())[Symbol.asyncIterator]();
    const next = iterator.next();
    const exchange = await t.server.nextExchange();
    t.clock.advance(10_000);
    const err = await next.then(
      () => undefined,
      (error: unknown) => voiceError(error),
    );
    expect(err?.code).toBe('PROVIDER_TIMEOUT');
    expect(err?.details).toMatchObject({ fallback: true, timeout_ms: 10_000 });
    await exchange.closed;
  });

  it('ends without throwing on abort mid-stream, and the server sees the connection close', async () => {
    const t = await setup(() => ({
      turn: { blocks: [text(['Hello', ' world'])], inputTokens: 1, outputTokens: 2 },
      cutAfter: 4,
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

  it('rejects events of an unexpected shape with PROVIDER_ERROR and ignores unknown event types', async () => {
    const t = await setup((request) =>
      (request.body as { model: string }).model === 'bad'
        ? {
            frames: [
              anthropicEvent({
                type: 'message_start',
                message: { usage: { input_tokens: 'many' } },
              }),
            ],
          }
        : {
            frames: [
              anthropicEvent({
                type: 'message_start',
                message: { usage: { input_tokens: 2, output_tokens: 1 } },
              }),
              anthropicEvent({ type: 'brand_new_event', anything: true }),
              anthropicEvent({
                type: 'content_block_start',
                index: 0,
                content_block: { type: 'thinking', thinking: '' },
              }),
              anthropicEvent({
                type: 'content_block_delta',
                index: 0,
                delta: { type: 'thinking_delta', thinking: 'hmm' },
              }),
              anthropicEvent({ type: 'content_block_stop', index: 0 }),
              anthropicEvent({
                type: 'message_delta',
                delta: { stop_reason: 'end_turn' },
                usage: { output_tokens: 9 },
              }),
              anthropicEvent({ type: 'message_stop' }),
            ],
          },
    );
    const bad = await collectRun(
      t.agent.run(t.request({ options: { base_url: t.server.url, model: 'bad' } })),
    );
    expect(voiceError(bad.error).code).toBe('PROVIDER_ERROR');
    expect((bad.error as Error).message).toContain('message.usage.input_tokens');
    const good = await collectRun(t.agent.run(t.request()));
    expect(good.events).toEqual([
      { type: 'usage', promptTokens: 2, completionTokens: 9 },
      { type: 'done', finishReason: 'stop' },
    ]);
  });
});
