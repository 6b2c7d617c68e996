/**
 * A local server speaking Ollama's native `POST /api/chat` streaming as
 * documented: one JSON object per line (`model`, `created_at`, `message` with
 * `role` and `content`, `done: false`), tool calls whole in
 * `message.tool_calls[].function.{name, arguments}` (arguments an object),
 * and a final `done: true` object with `done_reason`, the durations,
 * `prompt_eval_count` and `eval_count`. Errors are `{ "error": "…" }`.
 */
import { protocolReply, startTestServer } from './http-test-server.js';
import type { ProtocolReply, RecordedRequest, TestServer } from './http-test-server.js';

/** A scripted answer. */
export interface OllamaTurn {
  /** Content pieces, one line each. */
  readonly text?: readonly string[];
  /** Tool calls, all in one line after the text. */
  readonly toolCalls?: readonly {
    readonly name: string;
    readonly arguments: Record<string, unknown>;
  }[];
  readonly promptEvalCount: number;
  readonly evalCount: number;
  readonly doneReason?: string;
}

const MODEL = 'llama3.2';
const CREATED_AT = '2026-01-01T00:00:00.000000Z';

/** One NDJSON line. */
export function ndjsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/** The lines of a turn as Ollama streams them. */
export function ollamaLines(turn: OllamaTurn): string[] {
  const lines = (turn.text ?? []).map((content) =>
    ndjsonLine({
      model: MODEL,
      created_at: CREATED_AT,
      message: { role: 'assistant', content },
      done: false,
    }),
  );
  if (turn.toolCalls !== undefined && turn.toolCalls.length > 0) {
    lines.push(
      ndjsonLine({
        model: MODEL,
        created_at: CREATED_AT,
        message: {
          role: 'assistant',
          content: '',
          tool_calls: turn.toolCalls.map((call) => ({
            function: { name: call.name, arguments: call.arguments },
          })),
        },
        done: false,
      }),
    );
  }
  lines.push(
    ndjsonLine({
      model: MODEL,
      created_at: CREATED_AT,
      message: { role: 'assistant', content: '' },
      done_reason: turn.doneReason ?? 'stop',
      done: true,
      total_duration: 4_883_583_458,
      load_duration: 1_334_875,
      prompt_eval_count: turn.promptEvalCount,
      prompt_eval_duration: 342_546_000,
      eval_count: turn.evalCount,
      eval_duration: 4_535_599_000,
    }),
  );
  return lines;
}

function defaultErrorBody(status: number): unknown {
  if (status === 404) return { error: `model "${MODEL}" not found, try pulling it first` };
  if (status === 401) return { error: 'unauthorized' };
  return { error: status >= 500 ? 'llama runner process has terminated' : 'invalid request' };
}

function requestProblem(request: RecordedRequest): string | undefined {
  const body = request.body as Record<string, unknown> | null;
  if (request.method !== 'POST' || request.path !== '/api/chat') return 'not found';
  if (typeof body !== 'object' || body === null) return 'invalid request body';
  if (typeof body['model'] !== 'string') return 'model is required';
  if (!Array.isArray(body['messages'])) return 'messages is required';
  return undefined;
}

const protocol = {
  contentType: 'application/x-ndjson',
  frames: ollamaLines,
  errorBody: defaultErrorBody,
};

/** Starts the server (Ollama has no authentication). */
export function startOllamaChatServer(options: {
  readonly reply: (request: RecordedRequest) => ProtocolReply<OllamaTurn>;
}): Promise<TestServer> {
  return startTestServer((request) => {
    const problem = requestProblem(request);
    if (problem !== undefined)
      return protocolReply({ status: 400, body: { error: problem } }, protocol);
    return protocolReply(options.reply(request), protocol);
  });
}
