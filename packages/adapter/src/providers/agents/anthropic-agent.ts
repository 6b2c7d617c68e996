/**
 * The `anthropic` agent: Anthropic Messages streaming (`POST /v1/messages`
 * with `stream: true`) — text deltas as tokens, `tool_use` blocks assembled
 * from their `input_json_delta` pieces, usage from `message_start` and
 * `message_delta`, and `error` events mapped to provider errors.
 */
import { z } from 'zod';
import type { VoiceError } from '@prx-voice/types';
import { providerError } from '../../interfaces.js';
import type {
  AgentEvent,
  AgentProvider,
  AgentRunRequest,
  ConversationMessage,
} from '../../interfaces.js';
import { isAborted } from '../../internal/clock-delay.js';
import { noApiKey, probeHttp, safeProbe } from '../health.js';
import { optionsValidator, parseProviderOptions } from '../../internal/options.js';
import { sseMessages } from './framing.js';
import { redact, streamPost } from './http-stream.js';
import type { ProviderErrorBody } from './http-stream.js';
import {
  cutOff,
  headersOption,
  joinUrl,
  malformedChunk,
  missingApiKey,
  parseJson,
  parseToolArguments,
  resolveApiKey,
  timeoutOptionsShape,
  usageEvent,
  validateChunk,
} from './remote-agent-common.js';
import type { RemoteAgentDeps } from './remote-agent-common.js';

const PROVIDER = 'anthropic';
const LABEL = 'Anthropic';
const API_KEY_VARIABLE = 'ANTHROPIC_API_KEY';

/** The options of the `anthropic` agent (`agent.options`). */
const anthropicOptionsSchema = z.object({
  /** The API root; `/v1/messages` is appended. */
  base_url: z.url().default('https://api.anthropic.com'),
  model: z.string().min(1),
  max_tokens: z.number().int().positive().default(1024),
  /** Overrides ANTHROPIC_API_KEY. */
  api_key: z.string().min(1).optional(),
  anthropic_version: z.string().min(1).default('2023-06-01'),
  temperature: z.number().min(0).max(1).optional(),
  /** Extra headers, e.g. `anthropic-beta`. */
  headers: headersOption,
  ...timeoutOptionsShape,
});

const errorSchema = z.object({ type: z.string(), message: z.string() });
const errorBodySchema = z.object({ error: errorSchema });
const eventTypeSchema = z.object({ type: z.string() });
const messageStartSchema = z.object({
  message: z.object({
    usage: z.object({
      input_tokens: z.number().int().min(0),
      output_tokens: z.number().int().min(0).nullish(),
    }),
  }),
});
const blockStartSchema = z.object({
  index: z.number().int().min(0),
  content_block: z.object({
    type: z.string(),
    text: z.string().nullish(),
    id: z.string().nullish(),
    name: z.string().nullish(),
    input: z.unknown().optional(),
  }),
});
const blockDeltaSchema = z.object({
  index: z.number().int().min(0),
  delta: z.object({
    type: z.string(),
    text: z.string().nullish(),
    partial_json: z.string().nullish(),
  }),
});
const blockStopSchema = z.object({ index: z.number().int().min(0) });
const messageDeltaSchema = z.object({
  delta: z.object({ stop_reason: z.string().nullish() }),
  usage: z
    .object({
      output_tokens: z.number().int().min(0),
      input_tokens: z.number().int().min(0).nullish(),
    })
    .nullish(),
});

/** Dependencies of {@link createAnthropicAgent}. */
export type AnthropicAgentDeps = RemoteAgentDeps;

type Block = Readonly<Record<string, unknown>>;
interface WireMessage {
  readonly role: 'user' | 'assistant';
  readonly content: Block[];
}

function readErrorBody(body: unknown): ProviderErrorBody | undefined {
  const parsed = errorBodySchema.safeParse(body);
  return parsed.success ? parsed.data.error : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The conversation as a top-level `system` prompt (every system message, in
 * order) and `messages` of content blocks: tool calls become `tool_use`
 * blocks, tool results `tool_result` blocks of a user message, consecutive
 * messages of one role are merged, and a trailing assistant message (a reply
 * to continue) loses its trailing whitespace, which the API refuses there.
 */
function anthropicConversation(conversation: readonly ConversationMessage[]): {
  system: string;
  messages: WireMessage[];
} {
  const system: string[] = [];
  const messages: WireMessage[] = [];
  const add = (role: WireMessage['role'], blocks: Block[]): void => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const message of conversation) {
    switch (message.role) {
      case 'system':
        if (message.content !== '') system.push(message.content);
        break;
      case 'user':
        add('user', message.content === '' ? [] : [{ type: 'text', text: message.content }]);
        break;
      case 'assistant':
        add('assistant', [
          ...(message.content === '' ? [] : [{ type: 'text', text: message.content }]),
          ...(message.toolCalls ?? []).map((call) => ({
            type: 'tool_use',
            id: call.id,
            name: call.name,
            input: isRecord(call.arguments) ? call.arguments : {},
          })),
        ]);
        break;
      case 'tool':
        add('user', [
          { type: 'tool_result', tool_use_id: message.toolCallId, content: message.content },
        ]);
        break;
    }
  }
  const last = messages.at(-1);
  const lastBlock = last?.content.at(-1);
  if (last?.role === 'assistant' && lastBlock?.['type'] === 'text') {
    const text = String(lastBlock['text']).trimEnd();
    last.content.pop();
    if (text !== '') last.content.push({ type: 'text', text });
    if (last.content.length === 0) messages.pop();
  }
  return { system: system.join('\n\n'), messages };
}

/** The error for an `error` event in the middle of the stream. */
function streamError(type: string, message: string, secrets: readonly string[]): VoiceError {
  const options = {
    provider: PROVIDER,
    message: `${LABEL} reported ${type} in the middle of the answer: ${redact(message, secrets)}`,
    details: { partial: true, provider_error: type },
  };
  switch (type) {
    case 'rate_limit_error':
      return providerError('PROVIDER_RATE_LIMITED', {
        ...options,
        fallback: true,
        retryable: true,
      });
    case 'authentication_error':
    case 'permission_error':
      return providerError('PROVIDER_AUTH_FAILED', {
        ...options,
        fallback: true,
        retryable: false,
      });
    case 'invalid_request_error':
    case 'request_too_large':
      return providerError('PROVIDER_ERROR', { ...options, fallback: false, retryable: false });
    case 'timeout_error':
      return providerError('PROVIDER_TIMEOUT', { ...options, fallback: true, retryable: true });
    default:
      return providerError('PROVIDER_UNAVAILABLE', { ...options, fallback: true, retryable: true });
  }
}

function finishReasonOf(
  stopReason: string | undefined,
  toolCalls: number,
): 'stop' | 'tool_calls' | 'length' {
  if (toolCalls > 0 || stopReason === 'tool_use') return 'tool_calls';
  if (stopReason === 'max_tokens' || stopReason === 'model_context_window_exceeded')
    return 'length';
  return 'stop';
}

/**
 * Creates the `anthropic` agent: tokens from `text_delta`s, a `tool_call` as
 * each `tool_use` block stops, then `usage` (input tokens from
 * `message_start`, output tokens from the last `message_delta`) and `done` at
 * `message_stop`. Errors are provider errors; an aborted run cancels the
 * request and ends without throwing.
 *
 * @example
 * const agent = createAnthropicAgent({ clock: systemClock });
 * agent.run({ conversation, tools, signal, options: { model: 'claude-haiku-4-5' } });
 */
export function createAnthropicAgent(deps: AnthropicAgentDeps): AgentProvider {
  const env = deps.env ?? process.env;
  const fetchImpl = deps.fetch ?? globalThis.fetch;

  async function* run(request: AgentRunRequest): AsyncGenerator<AgentEvent> {
    const { signal } = request;
    const options = parseProviderOptions(anthropicOptionsSchema, request.options, PROVIDER);
    const apiKey = resolveApiKey(options.api_key, env, API_KEY_VARIABLE);
    if (apiKey === undefined) throw missingApiKey(PROVIDER, API_KEY_VARIABLE);
    const secrets = [apiKey, ...Object.values(options.headers)];
    const { system, messages } = anthropicConversation(request.conversation);
    const body = {
      model: options.model,
      max_tokens: options.max_tokens,
      ...(system === '' ? {} : { system }),
      messages,
      ...(request.tools.length === 0
        ? {}
        : {
            tools: request.tools.map((tool) => ({
              name: tool.name,
              description: tool.description,
              input_schema: tool.parameters,
            })),
          }),
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      stream: true,
    };
    const chunks = streamPost({
      provider: PROVIDER,
      label: LABEL,
      url: joinUrl(options.base_url, '/v1/messages'),
      headers: {
        accept: 'text/event-stream',
        'x-api-key': apiKey,
        'anthropic-version': options.anthropic_version,
        ...options.headers,
      },
      body,
      signal,
      clock: deps.clock,
      fetch: fetchImpl,
      firstByteTimeoutMs: options.first_byte_timeout_ms,
      idleTimeoutMs: options.idle_timeout_ms,
      secrets,
      readErrorBody,
    });
    const where = (what: string) => ({ provider: PROVIDER, label: LABEL, what });
    const tools = new Map<number, { id: string; name: string; json: string; input: unknown }>();
    let toolCalls = 0;
    let inputTokens: number | undefined;
    let outputTokens: number | undefined;
    let stopReason: string | undefined;
    let stopped = false;

    for await (const message of sseMessages(chunks)) {
      const json = parseJson(message.data);
      if (json === undefined) throw malformedChunk(PROVIDER, LABEL, 'an event that is not JSON');
      const { type } = validateChunk(eventTypeSchema, json.value, where('event'));
      if (type === 'message_start') {
        const { usage } = validateChunk(messageStartSchema, json.value, where(type)).message;
        inputTokens = usage.input_tokens;
        outputTokens = usage.output_tokens ?? undefined;
      } else if (type === 'content_block_start') {
        const { index, content_block: block } = validateChunk(
          blockStartSchema,
          json.value,
          where(type),
        );
        if (block.type === 'tool_use') {
          if (!block.id || !block.name)
            throw malformedChunk(PROVIDER, LABEL, 'a tool_use block without id or name');
          tools.set(index, { id: block.id, name: block.name, json: '', input: block.input });
        } else if (block.type === 'text' && block.text) {
          yield { type: 'token', text: block.text };
          if (isAborted(signal)) return;
        }
      } else if (type === 'content_block_delta') {
        const { index, delta } = validateChunk(blockDeltaSchema, json.value, where(type));
        if (delta.type === 'text_delta' && delta.text) {
          yield { type: 'token', text: delta.text };
          if (isAborted(signal)) return;
        } else if (delta.type === 'input_json_delta') {
          const tool = tools.get(index);
          if (tool === undefined)
            throw malformedChunk(
              PROVIDER,
              LABEL,
              `input_json_delta for block ${index}, which is not tool_use`,
            );
          tool.json += delta.partial_json ?? '';
        }
      } else if (type === 'content_block_stop') {
        const { index } = validateChunk(blockStopSchema, json.value, where(type));
        const tool = tools.get(index);
        if (tool === undefined) continue;
        tools.delete(index);
        const args =
          tool.json === '' && isRecord(tool.input)
            ? tool.input
            : parseToolArguments(tool.json, { provider: PROVIDER, label: LABEL, tool: tool.name });
        toolCalls += 1;
        yield { type: 'tool_call', call: { id: tool.id, name: tool.name, arguments: args } };
        if (isAborted(signal)) return;
      } else if (type === 'message_delta') {
        const delta = validateChunk(messageDeltaSchema, json.value, where(type));
        stopReason = delta.delta.stop_reason ?? stopReason;
        if (delta.usage) {
          outputTokens = delta.usage.output_tokens;
          inputTokens = delta.usage.input_tokens ?? inputTokens;
        }
      } else if (type === 'message_stop') {
        stopped = true;
        break;
      } else if (type === 'error') {
        const { error } = validateChunk(errorBodySchema, json.value, where(type));
        throw streamError(error.type, error.message, secrets);
      }
      // `ping`, thinking blocks and event types added later are ignored, as the API's versioning policy asks.
    }
    if (isAborted(signal)) return;
    if (!stopped) throw cutOff(PROVIDER, LABEL);
    if (inputTokens !== undefined) {
      yield usageEvent(inputTokens, outputTokens ?? 0);
      if (isAborted(signal)) return;
    }
    yield { type: 'done', finishReason: finishReasonOf(stopReason, toolCalls) };
  }

  return {
    id: PROVIDER,
    validateOptions: optionsValidator(anthropicOptionsSchema, PROVIDER),
    run,
    // `GET /v1/models`: authenticated, costs no tokens.
    healthCheck: ({ options: raw, signal }) =>
      safeProbe(async () => {
        const options = parseProviderOptions(anthropicOptionsSchema, raw, PROVIDER);
        const apiKey = resolveApiKey(options.api_key, env, API_KEY_VARIABLE);
        if (apiKey === undefined) return noApiKey(API_KEY_VARIABLE);
        return probeHttp({
          url: joinUrl(options.base_url, '/v1/models'),
          headers: {
            'x-api-key': apiKey,
            'anthropic-version': options.anthropic_version,
            ...options.headers,
          },
          signal,
          fetch: fetchImpl,
          secrets: [apiKey, ...Object.values(options.headers)],
        });
      }),
  };
}
