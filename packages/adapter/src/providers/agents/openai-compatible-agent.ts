/**
 * The `openai` agent: Chat Completions streaming (`stream: true` with
 * `stream_options.include_usage`) against OpenAI or any compatible server
 * (Groq, Together, vLLM, Ollama's `/v1`) through a configurable base URL.
 */
import { z } from 'zod';
import { providerError } from '../../interfaces.js';
import type {
  AgentEvent,
  AgentProvider,
  AgentRunRequest,
  ConversationMessage,
  ToolDefinition,
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

const PROVIDER = 'openai';
const LABEL = 'The OpenAI-compatible server';
const API_KEY_VARIABLE = 'OPENAI_API_KEY';
/** OpenAI's own API; the only base URL that cannot be used without a key. */
const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** The options of the `openai` agent (`agent.options`). */
const openAiOptionsSchema = z.object({
  /** The API root, `/chat/completions` is appended (default OpenAI's). */
  base_url: z.url().default(DEFAULT_BASE_URL),
  model: z.string().min(1),
  /** Overrides OPENAI_API_KEY; optional for servers that need none (vLLM, Ollama). */
  api_key: z.string().min(1).optional(),
  temperature: z.number().min(0).max(2).optional(),
  /** Sent as `max_tokens`, which every compatible server understands. */
  max_tokens: z.number().int().positive().optional(),
  /** Sent as `max_completion_tokens`, which OpenAI's reasoning models require instead. */
  max_completion_tokens: z.number().int().positive().optional(),
  /** Extra headers, e.g. `OpenAI-Organization`; they may override the defaults. */
  headers: headersOption,
  ...timeoutOptionsShape,
});

const errorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string().nullish(),
    code: z.union([z.string(), z.number()]).nullish(),
  }),
});

const toolCallDeltaSchema = z.object({
  index: z.number().int().min(0).optional(),
  id: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});

const chunkSchema = z.object({
  choices: z
    .array(
      z.object({
        index: z.number().int().min(0).optional(),
        delta: z
          .object({
            content: z.string().nullish(),
            refusal: z.string().nullish(),
            tool_calls: z.array(toolCallDeltaSchema).nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: z
    .object({
      prompt_tokens: z.number().int().min(0),
      completion_tokens: z.number().int().min(0),
    })
    .nullish(),
});

/** Dependencies of {@link createOpenAiCompatibleAgent}. */
export type OpenAiCompatibleAgentDeps = RemoteAgentDeps;

/** A tool call being assembled from its streamed fragments. */
interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

function readErrorBody(body: unknown): ProviderErrorBody | undefined {
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) return undefined;
  const { message, type, code } = parsed.data.error;
  const kind = type ?? (code === null || code === undefined ? undefined : String(code));
  return kind === undefined ? { message } : { message, type: kind };
}

/** The conversation as Chat Completions `messages`. */
function openAiMessages(conversation: readonly ConversationMessage[]): unknown[] {
  return conversation.map((message) => {
    switch (message.role) {
      case 'system':
      case 'user':
        return { role: message.role, content: message.content };
      case 'assistant': {
        const calls = message.toolCalls ?? [];
        if (calls.length === 0) return { role: 'assistant', content: message.content };
        return {
          role: 'assistant',
          content: message.content === '' ? null : message.content,
          tool_calls: calls.map((call) => ({
            id: call.id,
            type: 'function',
            function: { name: call.name, arguments: JSON.stringify(call.arguments ?? {}) },
          })),
        };
      }
      case 'tool':
        return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
    }
  });
}

/** The tools as Chat Completions function tools. */
function openAiTools(tools: readonly ToolDefinition[]): unknown[] {
  return tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  }));
}

function finishReasonOf(
  reason: string | undefined,
  toolCalls: number,
): 'stop' | 'tool_calls' | 'length' {
  if (toolCalls > 0) return 'tool_calls';
  return reason === 'length' ? 'length' : 'stop';
}

/**
 * Creates the `openai` agent: tokens as the server streams them, tool calls
 * reassembled from their fragments and emitted (in index order) when the
 * choice finishes, then `usage` exactly as the server reported it (when it
 * did) and `done`. Errors are provider errors (see `http-stream.ts`); an
 * aborted run cancels the request and ends without throwing.
 *
 * @example
 * const agent = createOpenAiCompatibleAgent({ clock: systemClock });
 * agent.run({ conversation, tools, signal, options: { model: 'gpt-4o-mini' } });
 * // Groq: options { base_url: 'https://api.groq.com/openai/v1', model: 'llama-3.1-8b-instant', api_key }
 */
export function createOpenAiCompatibleAgent(deps: OpenAiCompatibleAgentDeps): AgentProvider {
  const env = deps.env ?? process.env;
  const fetchImpl = deps.fetch ?? globalThis.fetch;

  async function* run(request: AgentRunRequest): AsyncGenerator<AgentEvent> {
    const { signal } = request;
    const options = parseProviderOptions(openAiOptionsSchema, request.options, PROVIDER);
    const apiKey = resolveApiKey(options.api_key, env, API_KEY_VARIABLE);
    if (apiKey === undefined && options.base_url === DEFAULT_BASE_URL) {
      throw missingApiKey(PROVIDER, API_KEY_VARIABLE);
    }
    const secrets = [...(apiKey === undefined ? [] : [apiKey]), ...Object.values(options.headers)];
    const body = {
      model: options.model,
      messages: openAiMessages(request.conversation),
      stream: true,
      stream_options: { include_usage: true },
      ...(request.tools.length === 0 ? {} : { tools: openAiTools(request.tools) }),
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.max_tokens === undefined ? {} : { max_tokens: options.max_tokens }),
      ...(options.max_completion_tokens === undefined
        ? {}
        : { max_completion_tokens: options.max_completion_tokens }),
    };
    const chunks = streamPost({
      provider: PROVIDER,
      label: LABEL,
      url: joinUrl(options.base_url, '/chat/completions'),
      headers: {
        accept: 'text/event-stream',
        ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }),
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
    const where = { provider: PROVIDER, label: LABEL, what: 'chunk' };
    const pending: PendingCall[] = [];
    let emittedCalls = 0;
    let finishReason: string | undefined;
    let usage: AgentEvent | undefined;
    let sawDone = false;

    /** Emits the assembled tool calls not emitted yet, in index order. */
    function* flushCalls(): Generator<AgentEvent> {
      for (const call of pending.slice(emittedCalls)) {
        if (call.name === '') throw malformedChunk(PROVIDER, LABEL, 'a tool call without a name');
        const id = call.id === '' ? `call_${emittedCalls}` : call.id;
        emittedCalls += 1;
        const args = parseToolArguments(call.arguments, { ...where, tool: call.name });
        yield { type: 'tool_call', call: { id, name: call.name, arguments: args } };
      }
    }

    for await (const message of sseMessages(chunks)) {
      if (message.data.trim() === '[DONE]') {
        sawDone = true;
        break;
      }
      const json = parseJson(message.data);
      if (json === undefined) throw malformedChunk(PROVIDER, LABEL, 'a chunk that is not JSON');
      const streamError = readErrorBody(json.value);
      if (streamError !== undefined) {
        throw providerError('PROVIDER_UNAVAILABLE', {
          provider: PROVIDER,
          message: `${LABEL} failed in the middle of the answer: ${redact(streamError.message, secrets)}`,
          fallback: true,
          retryable: true,
          details: { partial: true },
        });
      }
      const chunk = validateChunk(chunkSchema, json.value, where);
      if (chunk.usage !== null && chunk.usage !== undefined) {
        usage = usageEvent(chunk.usage.prompt_tokens, chunk.usage.completion_tokens);
      }
      const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
      if (choice === undefined) continue;
      const text = `${choice.delta?.content ?? ''}${choice.delta?.refusal ?? ''}`;
      if (text !== '') {
        yield { type: 'token', text };
        if (isAborted(signal)) return;
      }
      for (const [position, fragment] of (choice.delta?.tool_calls ?? []).entries()) {
        const index = fragment.index ?? position;
        if (index < emittedCalls) {
          throw malformedChunk(PROVIDER, LABEL, `a fragment of finished tool call ${index}`);
        }
        while (pending.length <= index) pending.push({ id: '', name: '', arguments: '' });
        const call = pending[index] as PendingCall;
        if (call.id === '' && fragment.id) call.id = fragment.id;
        if (call.name === '' && fragment.function?.name) call.name = fragment.function.name;
        call.arguments += fragment.function?.arguments ?? '';
      }
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
        finishReason = choice.finish_reason;
        for (const event of flushCalls()) {
          yield event;
          if (isAborted(signal)) return;
        }
      }
    }
    if (isAborted(signal)) return;
    if (!sawDone && finishReason === undefined) throw cutOff(PROVIDER, LABEL);
    for (const event of flushCalls()) {
      yield event;
      if (isAborted(signal)) return;
    }
    if (usage !== undefined) {
      yield usage;
      if (isAborted(signal)) return;
    }
    yield { type: 'done', finishReason: finishReasonOf(finishReason, emittedCalls) };
  }

  return {
    id: PROVIDER,
    validateOptions: optionsValidator(openAiOptionsSchema, PROVIDER),
    run,
    // `GET /models`: cheap, authenticated, offered by every OpenAI-compatible server.
    healthCheck: ({ options: raw, signal }) =>
      safeProbe(async () => {
        const options = parseProviderOptions(openAiOptionsSchema, raw, PROVIDER);
        const apiKey = resolveApiKey(options.api_key, env, API_KEY_VARIABLE);
        if (apiKey === undefined && options.base_url === DEFAULT_BASE_URL)
          return noApiKey(API_KEY_VARIABLE);
        return probeHttp({
          url: joinUrl(options.base_url, '/models'),
          headers: {
            ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }),
            ...options.headers,
          },
          signal,
          fetch: fetchImpl,
          secrets: [...(apiKey === undefined ? [] : [apiKey]), ...Object.values(options.headers)],
        });
      }),
  };
}
