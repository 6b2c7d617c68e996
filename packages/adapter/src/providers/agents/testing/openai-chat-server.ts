/**
 * A local server speaking OpenAI Chat Completions streaming as documented:
 * Bearer auth, `data:` chunks of `chat.completion.chunk` objects whose first
 * delta carries the role, text in `delta.content`, tool calls as
 * `delta.tool_calls[i]` fragments (id, type and name first, then argument
 * pieces), a chunk with `finish_reason`, with `stream_options.include_usage`
 * a final chunk with empty `choices` and the usage (other chunks then carry
 * `usage: null`), and `data: [DONE]`. Errors are `{ error: { message, type,
 * param, code } }`.
 */
import { protocolReply, startTestServer } from './http-test-server.js';
import type { ProtocolReply, RecordedRequest, TestServer } from './http-test-server.js';

/** A scripted answer. */
export interface OpenAiTurn {
  /** Content pieces, one chunk each. */
  readonly text?: readonly string[];
  /** Tool calls, streamed one after the other, each in argument fragments. */
  readonly toolCalls?: readonly {
    readonly id: string;
    readonly name: string;
    readonly argumentFragments: readonly string[];
  }[];
  /** Default `tool_calls` when there are tool calls, else `stop`. */
  readonly finishReason?: string;
  readonly usage?: { readonly prompt_tokens: number; readonly completion_tokens: number };
}

const COMPLETION_ID = 'chatcmpl-test123';
const CREATED = 1_767_225_600;
const MODEL = 'gpt-test';

/** The SSE `data:` frame of a JSON value. */
export function sseData(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

/** The documented error body. */
export function openAiErrorBody(message: string, type: string, code: string | null): unknown {
  return { error: { message, type, param: null, code } };
}

function defaultErrorBody(status: number): unknown {
  if (status === 401) {
    return openAiErrorBody(
      'Incorrect API key provided.',
      'invalid_request_error',
      'invalid_api_key',
    );
  }
  if (status === 429) {
    return openAiErrorBody('Rate limit reached for requests.', 'requests', 'rate_limit_exceeded');
  }
  if (status >= 500) {
    return openAiErrorBody(
      'The server had an error while processing your request.',
      'server_error',
      null,
    );
  }
  return openAiErrorBody('Invalid request.', 'invalid_request_error', null);
}

/** The frames of a turn as OpenAI streams it. */
export function openAiFrames(turn: OpenAiTurn, includeUsage: boolean): string[] {
  const usageField = includeUsage ? { usage: null } : {};
  const chunk = (delta: unknown, finishReason: string | null = null): string =>
    sseData({
      id: COMPLETION_ID,
      object: 'chat.completion.chunk',
      created: CREATED,
      model: MODEL,
      system_fingerprint: 'fp_test',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...usageField,
    });
  const frames = [chunk({ role: 'assistant', content: '', refusal: null })];
  for (const text of turn.text ?? []) frames.push(chunk({ content: text }));
  const calls = turn.toolCalls ?? [];
  calls.forEach((call, index) => {
    frames.push(
      chunk({
        tool_calls: [
          { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } },
        ],
      }),
    );
    for (const fragment of call.argumentFragments) {
      frames.push(chunk({ tool_calls: [{ index, function: { arguments: fragment } }] }));
    }
  });
  frames.push(chunk({}, turn.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop')));
  if (includeUsage && turn.usage !== undefined) {
    const { prompt_tokens, completion_tokens } = turn.usage;
    frames.push(
      sseData({
        id: COMPLETION_ID,
        object: 'chat.completion.chunk',
        created: CREATED,
        model: MODEL,
        system_fingerprint: 'fp_test',
        choices: [],
        usage: {
          prompt_tokens,
          completion_tokens,
          total_tokens: prompt_tokens + completion_tokens,
        },
      }),
    );
  }
  frames.push('data: [DONE]\n\n');
  return frames;
}

function requestProblem(request: RecordedRequest): string | undefined {
  const body = request.body as Record<string, unknown> | null;
  if (request.method !== 'POST' || !request.path.endsWith('/chat/completions')) return 'not found';
  if (typeof body !== 'object' || body === null) return 'the body must be a JSON object';
  if (typeof body['model'] !== 'string') return 'model is required';
  if (!Array.isArray(body['messages'])) return 'messages is required';
  if (body['stream'] !== true) return 'this server only streams';
  return undefined;
}

/** Starts the server; `apiKey` is the only key it accepts (`undefined`: no auth). */
export function startOpenAiChatServer(options: {
  readonly apiKey?: string;
  readonly reply: (request: RecordedRequest) => ProtocolReply<OpenAiTurn>;
}): Promise<TestServer> {
  return startTestServer((request) => {
    if (
      options.apiKey !== undefined &&
      request.headers.authorization !== `Bearer ${options.apiKey}`
    ) {
      return protocolReply({ status: 401 }, protocolOf(false));
    }
    const problem = requestProblem(request);
    if (problem !== undefined) {
      return protocolReply(
        { status: 400, body: openAiErrorBody(problem, 'invalid_request_error', null) },
        protocolOf(false),
      );
    }
    const body = request.body as { stream_options?: { include_usage?: boolean } };
    return protocolReply(
      options.reply(request),
      protocolOf(body.stream_options?.include_usage === true),
    );
  });
}

function protocolOf(includeUsage: boolean): Parameters<typeof protocolReply<OpenAiTurn>>[1] {
  return {
    contentType: 'text/event-stream',
    frames: (turn) => openAiFrames(turn, includeUsage),
    errorBody: defaultErrorBody,
  };
}
