/**
 * The `ollama` agent: Ollama's native `POST /api/chat` streaming
 * (newline-delimited JSON objects with `message.content` and
 * `message.tool_calls`, ending with a `done: true` object carrying
 * `prompt_eval_count` and `eval_count`). A local Ollama needs no key.
 */
import { z } from 'zod';
import { providerError } from '../../interfaces.js';
import type {
  AgentEvent,
  AgentProvider,
  AgentRunRequest,
  ConversationMessage,
} from '../../interfaces.js';
import { isAborted } from '../../internal/clock-delay.js';
import { probeHttp, safeProbe } from '../health.js';
import { optionsValidator, parseProviderOptions } from '../../internal/options.js';
import { ndjsonValues } from './framing.js';
import { redact, streamPost } from './http-stream.js';
import type { ProviderErrorBody } from './http-stream.js';
import {
  cutOff,
  headersOption,
  joinUrl,
  malformedChunk,
  parseToolArguments,
  timeoutOptionsShape,
  usageEvent,
  validateChunk,
} from './remote-agent-common.js';
import type { RemoteAgentDeps } from './remote-agent-common.js';

const PROVIDER = 'ollama';
const LABEL = 'Ollama';

/** The options of the `ollama` agent (`agent.options`). */
const ollamaOptionsSchema = z.object({
  /** The server root; `/api/chat` is appended. */
  base_url: z.url().default('http://127.0.0.1:11434'),
  model: z.string().min(1),
  /** Sent as `options.temperature`. */
  temperature: z.number().min(0).optional(),
  /** Sent as `options.num_predict`. */
  max_tokens: z.number().int().positive().optional(),
  /** How long the model stays loaded after the request, e.g. `10m` or seconds. */
  keep_alive: z.union([z.string().min(1), z.number()]).optional(),
  /** Whether a thinking model thinks first (`false` answers sooner, which a voice turn wants). */
  think: z.boolean().optional(),
  /** Extra headers, e.g. for an authenticating proxy in front of Ollama. */
  headers: headersOption,
  ...timeoutOptionsShape,
});

const errorBodySchema = z.object({ error: z.string() });
const lineSchema = z.object({
  message: z
    .object({
      content: z.string().nullish(),
      tool_calls: z
        .array(
          z.object({
            id: z.string().nullish(),
            function: z.object({
              name: z.string().min(1),
              arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
            }),
          }),
        )
        .nullish(),
    })
    .nullish(),
  done: z.boolean(),
  done_reason: z.string().nullish(),
  prompt_eval_count: z.number().int().min(0).nullish(),
  eval_count: z.number().int().min(0).nullish(),
});

/** Dependencies of {@link createOllamaAgent} (no API key: no environment). */
export type OllamaAgentDeps = Omit<RemoteAgentDeps, 'env'>;

function readErrorBody(body: unknown): ProviderErrorBody | undefined {
  const parsed = errorBodySchema.safeParse(body);
  return parsed.success ? { message: parsed.data.error } : undefined;
}

/** The conversation as `/api/chat` messages (tool results name their tool in `tool_name`). */
function ollamaMessages(conversation: readonly ConversationMessage[]): unknown[] {
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
          content: message.content,
          tool_calls: calls.map((call) => ({
            function: { name: call.name, arguments: call.arguments ?? {} },
          })),
        };
      }
      case 'tool':
        return { role: 'tool', content: message.content, tool_name: message.name };
    }
  });
}

/**
 * Creates the `ollama` agent: a token per streamed `message.content`, a
 * `tool_call` per entry of `message.tool_calls` as it arrives (Ollama sends
 * them whole; an id is made up when it gives none), then at `done: true`
 * `usage` (`prompt_eval_count`, `eval_count`) and `done`. Errors are provider
 * errors; an aborted run cancels the request and ends without throwing.
 *
 * @example
 * const agent = createOllamaAgent({ clock: systemClock });
 * agent.run({ conversation, tools, signal, options: { model: 'llama3.2', think: false } });
 */
export function createOllamaAgent(deps: OllamaAgentDeps): AgentProvider {
  const fetchImpl = deps.fetch ?? globalThis.fetch;
  let callCount = 0;

  async function* run(request: AgentRunRequest): AsyncGenerator<AgentEvent> {
    const { signal } = request;
    const options = parseProviderOptions(ollamaOptionsSchema, request.options, PROVIDER);
    const modelOptions = {
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.max_tokens === undefined ? {} : { num_predict: options.max_tokens }),
    };
    const body = {
      model: options.model,
      messages: ollamaMessages(request.conversation),
      stream: true,
      ...(request.tools.length === 0
        ? {}
        : {
            tools: request.tools.map((tool) => ({
              type: 'function',
              function: {
                name: tool.name,
                description: tool.description,
                parameters: tool.parameters,
              },
            })),
          }),
      ...(Object.keys(modelOptions).length === 0 ? {} : { options: modelOptions }),
      ...(options.keep_alive === undefined ? {} : { keep_alive: options.keep_alive }),
      ...(options.think === undefined ? {} : { think: options.think }),
    };
    const secrets = Object.values(options.headers);
    const chunks = streamPost({
      provider: PROVIDER,
      label: LABEL,
      url: joinUrl(options.base_url, '/api/chat'),
      headers: { accept: 'application/x-ndjson', ...options.headers },
      body,
      signal,
      clock: deps.clock,
      fetch: fetchImpl,
      firstByteTimeoutMs: options.first_byte_timeout_ms,
      idleTimeoutMs: options.idle_timeout_ms,
      secrets,
      readErrorBody,
    });
    const where = { provider: PROVIDER, label: LABEL, what: 'line' };
    let toolCalls = 0;
    let final: z.output<typeof lineSchema> | undefined;

    for await (const line of ndjsonValues(chunks)) {
      if (line.kind === 'invalid') throw malformedChunk(PROVIDER, LABEL, 'a line that is not JSON');
      const streamError = readErrorBody(line.value);
      if (streamError !== undefined) {
        throw providerError('PROVIDER_UNAVAILABLE', {
          provider: PROVIDER,
          message: `${LABEL} failed in the middle of the answer: ${redact(streamError.message, secrets)}`,
          fallback: true,
          retryable: true,
          details: { partial: true },
        });
      }
      const chunk = validateChunk(lineSchema, line.value, where);
      const text = chunk.message?.content ?? '';
      if (text !== '') {
        yield { type: 'token', text };
        if (isAborted(signal)) return;
      }
      for (const call of chunk.message?.tool_calls ?? []) {
        const raw = call.function.arguments ?? {};
        const args =
          typeof raw === 'string'
            ? parseToolArguments(raw, {
                provider: PROVIDER,
                label: LABEL,
                tool: call.function.name,
              })
            : raw;
        const id = call.id ?? `ollama_call_${callCount}`;
        callCount += 1;
        toolCalls += 1;
        yield { type: 'tool_call', call: { id, name: call.function.name, arguments: args } };
        if (isAborted(signal)) return;
      }
      if (chunk.done) {
        final = chunk;
        break;
      }
    }
    if (isAborted(signal)) return;
    if (final === undefined) throw cutOff(PROVIDER, LABEL);
    const { prompt_eval_count: prompt, eval_count: completion } = final;
    if (typeof prompt === 'number' || typeof completion === 'number') {
      yield usageEvent(prompt ?? 0, completion ?? 0);
      if (isAborted(signal)) return;
    }
    const finishReason =
      toolCalls > 0 ? 'tool_calls' : final.done_reason === 'length' ? 'length' : 'stop';
    yield { type: 'done', finishReason };
  }

  return {
    id: PROVIDER,
    validateOptions: optionsValidator(ollamaOptionsSchema, PROVIDER),
    run,
    // `GET /api/tags`: lists the pulled models; answers when the server is up.
    healthCheck: ({ options: raw, signal }) =>
      safeProbe(async () => {
        const options = parseProviderOptions(ollamaOptionsSchema, raw, PROVIDER);
        return probeHttp({
          url: joinUrl(options.base_url, '/api/tags'),
          headers: { ...options.headers },
          signal,
          fetch: fetchImpl,
          secrets: Object.values(options.headers),
        });
      }),
  };
}
