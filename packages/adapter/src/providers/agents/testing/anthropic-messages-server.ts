/**
 * A local server speaking Anthropic Messages streaming as documented:
 * `x-api-key` and `anthropic-version` headers, named SSE events —
 * `message_start` (a Message with empty content and the input usage), `ping`,
 * per content block `content_block_start` / `content_block_delta`
 * (`text_delta` or `input_json_delta`) / `content_block_stop`,
 * `message_delta` (stop reason and cumulative output usage), `message_stop` —
 * and errors as `{ type: 'error', error: { type, message } }`.
 */
import { protocolReply, startTestServer } from './http-test-server.js';
import type { ProtocolReply, RecordedRequest, TestServer } from './http-test-server.js';

/** One content block of a scripted answer. */
export type AnthropicTurnBlock =
  | { readonly type: 'text'; readonly fragments: readonly string[] }
  | {
      readonly type: 'tool_use';
      readonly id: string;
      readonly name: string;
      readonly jsonFragments: readonly string[];
    };

/** A scripted answer. */
export interface AnthropicTurn {
  readonly blocks: readonly AnthropicTurnBlock[];
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Default `tool_use` when a block is a tool use, else `end_turn`. */
  readonly stopReason?: string;
}

/** One named SSE event whose data is the JSON `data` (which carries the same `type`). */
export function anthropicEvent(data: { readonly type: string } & Record<string, unknown>): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The documented error body. */
export function anthropicErrorBody(type: string, message: string): unknown {
  return { type: 'error', error: { type, message } };
}

function defaultErrorBody(status: number): unknown {
  switch (status) {
    case 401:
      return anthropicErrorBody('authentication_error', 'invalid x-api-key');
    case 403:
      return anthropicErrorBody('permission_error', 'Your API key does not have permission.');
    case 429:
      return anthropicErrorBody(
        'rate_limit_error',
        'Number of requests has exceeded your rate limit.',
      );
    case 500:
      return anthropicErrorBody('api_error', 'Internal server error');
    case 529:
      return anthropicErrorBody('overloaded_error', 'Overloaded');
    default:
      return anthropicErrorBody('invalid_request_error', 'Invalid request');
  }
}

/** The events of a turn as Anthropic streams them. */
export function anthropicFrames(turn: AnthropicTurn): string[] {
  const frames = [
    anthropicEvent({
      type: 'message_start',
      message: {
        id: 'msg_test01',
        type: 'message',
        role: 'assistant',
        content: [],
        model: 'claude-test',
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: turn.inputTokens, output_tokens: 1 },
      },
    }),
    anthropicEvent({ type: 'ping' }),
  ];
  turn.blocks.forEach((block, index) => {
    if (block.type === 'text') {
      frames.push(
        anthropicEvent({
          type: 'content_block_start',
          index,
          content_block: { type: 'text', text: '' },
        }),
      );
      for (const text of block.fragments) {
        frames.push(
          anthropicEvent({
            type: 'content_block_delta',
            index,
            delta: { type: 'text_delta', text },
          }),
        );
      }
    } else {
      frames.push(
        anthropicEvent({
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        }),
      );
      for (const partial_json of block.jsonFragments) {
        frames.push(
          anthropicEvent({
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json },
          }),
        );
      }
    }
    frames.push(anthropicEvent({ type: 'content_block_stop', index }));
  });
  const stopReason =
    turn.stopReason ?? (turn.blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
  frames.push(
    anthropicEvent({
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: turn.outputTokens },
    }),
    anthropicEvent({ type: 'message_stop' }),
  );
  return frames;
}

function requestProblem(request: RecordedRequest): string | undefined {
  const body = request.body as Record<string, unknown> | null;
  if (request.method !== 'POST' || request.path !== '/v1/messages') return 'not found';
  if (typeof request.headers['anthropic-version'] !== 'string')
    return 'anthropic-version: header is required';
  if (typeof body !== 'object' || body === null) return 'the body must be a JSON object';
  if (typeof body['model'] !== 'string') return 'model: Field required';
  if (typeof body['max_tokens'] !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body['messages'])) return 'messages: Field required';
  for (const message of body['messages'] as { role?: unknown }[]) {
    if (message.role !== 'user' && message.role !== 'assistant')
      return `Unexpected role "${String(message.role)}"`;
  }
  if (body['stream'] !== true) return 'this server only streams';
  return undefined;
}

const protocol = {
  contentType: 'text/event-stream; charset=utf-8',
  frames: anthropicFrames,
  errorBody: defaultErrorBody,
};

/** Starts the server; it accepts only `apiKey`. */
export function startAnthropicMessagesServer(options: {
  readonly apiKey: string;
  readonly reply: (request: RecordedRequest) => ProtocolReply<AnthropicTurn>;
}): Promise<TestServer> {
  return startTestServer((request) => {
    if (request.headers['x-api-key'] !== options.apiKey)
      return protocolReply({ status: 401 }, protocol);
    const problem = requestProblem(request);
    if (problem !== undefined) {
      return protocolReply(
        { status: 400, body: anthropicErrorBody('invalid_request_error', problem) },
        protocol,
      );
    }
    return protocolReply(options.reply(request), protocol);
  });
}
