/**
 * Tools the agent may call: a registry with JSON-Schema parameters (checked at
 * registration, arguments validated on every call) and an executor that runs one
 * round of calls in parallel, each with its own timeout on the injected clock, and
 * cancels them when the run is interrupted unless a tool opts out.
 *
 * Every call resolves to a {@link ToolCallResult}; nothing a tool does makes the
 * round reject. Results and errors are plain JSON, ready for an event or the log.
 */
import type { ToolCall, ToolDefinition } from '@prx-voice/adapter';
import { MAX_TIMER_DELAY_MS } from '@prx-voice/core';
import type { Clock } from '@prx-voice/core';
import { VoiceError } from '@prx-voice/types';
import type { VoiceErrorBody } from '@prx-voice/types';
import { jsonProblem } from './tools-json.js';
import { compileToolSchema, formatPath } from './tools-schema.js';
import type { SchemaValidator } from './tools-schema.js';

/** What a tool handler gets besides its arguments. */
export interface ToolContext {
  /** Aborts on the call's timeout, or on barge-in unless the tool set `continueOnInterrupt`. */
  readonly signal: AbortSignal;
  /** The agent's id of this call. */
  readonly callId: string;
}

/** Runs a tool with validated arguments; resolves to a JSON-serialisable result. */
export type ToolHandler = (args: Record<string, unknown>, ctx: ToolContext) => Promise<unknown>;

/** A tool to register. */
export interface ToolRegistration {
  /** `^[a-zA-Z0-9_-]{1,64}$`, unique in the registry. */
  readonly name: string;
  /** What the tool does, for the agent. */
  readonly description: string;
  /** JSON Schema of the arguments, `type: "object"`, in the subset of `tools-schema.ts`. */
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly handler: ToolHandler;
  /** Per-call timeout; the round's `defaultTimeoutMs` when absent. */
  readonly timeoutMs?: number;
  /** Keep running when the run is interrupted (barge-in); default false: the call is cancelled. */
  readonly continueOnInterrupt?: boolean;
}

/** The outcome of one tool call; `ok: false` carries the error's wire form. */
export type ToolCallResult =
  | {
      readonly callId: string;
      readonly name: string;
      readonly ok: true;
      /** The handler's result as JSON (`undefined` becomes `null`). */
      readonly result: unknown;
      readonly error?: undefined;
      readonly durationMs: number;
    }
  | {
      readonly callId: string;
      readonly name: string;
      readonly ok: false;
      readonly result?: undefined;
      readonly error: VoiceErrorBody;
      readonly durationMs: number;
    };

/** Options of {@link ToolRegistry.runToolCalls}. */
export interface RunToolCallsOptions {
  /** The calls of one agent turn; results come back in this order. */
  readonly calls: readonly ToolCall[];
  readonly clock: Clock;
  /** The run's abort signal: barge-in cancels every call whose tool did not opt out. */
  readonly signal: AbortSignal;
  /** Cancels every call, opted-out ones too (the session ends, the round is dropped). */
  readonly stopSignal?: AbortSignal;
  /** Timeout of calls whose tool sets none. */
  readonly defaultTimeoutMs: number;
}

/** A set of tools; see {@link createToolRegistry}. */
export interface ToolRegistry {
  /** Adds a tool; throws `VALIDATION_FAILED` for a bad or taken name, a bad schema or timeout. */
  register(tool: ToolRegistration): void;
  /** Whether a tool of that name is registered. */
  has(name: string): boolean;
  /** The tools as the agent sees them, in registration order. */
  definitions(): ToolDefinition[];
  /** Runs one round of calls in parallel; never rejects. Throws only for a bad `defaultTimeoutMs`. */
  runToolCalls(options: RunToolCallsOptions): Promise<ToolCallResult[]>;
}

interface RegisteredTool {
  readonly definition: ToolDefinition;
  readonly validate: SchemaValidator;
  readonly handler: ToolHandler;
  readonly timeoutMs: number | undefined;
  readonly continueOnInterrupt: boolean;
}

type Outcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: VoiceErrorBody };

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function invalid(message: string, details: Record<string, unknown>): VoiceError {
  return new VoiceError('VALIDATION_FAILED', { message, details });
}

function checkTimeout(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0 || value > MAX_TIMER_DELAY_MS) {
    throw invalid(
      `${name} is ${String(value)}; expected a positive number of ms up to ${String(MAX_TIMER_DELAY_MS)}.`,
      {
        [name]: value,
      },
    );
  }
  return value;
}

/** The message of anything thrown, without its stack. */
function messageOf(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === 'string') return thrown;
  return 'The tool failed.';
}

/**
 * Creates an empty tool registry.
 *
 * @example
 * const tools = createToolRegistry();
 * tools.register({ name: 'get_weather', description: 'Current weather for a city.',
 *   parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
 *   handler: async ({ city }, { signal }) => weather.lookup(String(city), { signal }) });
 * const results = await tools.runToolCalls({ calls, clock, signal: run.signal, defaultTimeoutMs: 10_000 });
 */
export function createToolRegistry(): ToolRegistry {
  const tools = new Map<string, RegisteredTool>();

  function register(tool: ToolRegistration): void {
    const { name, description, parameters } = tool;
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw invalid(`Tool name ${JSON.stringify(name)} is invalid; expected ${NAME.source}.`, {
        name,
        reason: 'invalid_name',
      });
    }
    if (tools.has(name)) {
      throw invalid(`A tool named "${name}" is already registered.`, {
        name,
        reason: 'duplicate_name',
      });
    }
    if (typeof description !== 'string' || description.trim() === '') {
      throw invalid(`Tool "${name}" needs a description.`, { name, reason: 'missing_description' });
    }
    if (typeof tool.handler !== 'function') {
      throw invalid(`Tool "${name}" needs a handler function.`, {
        name,
        reason: 'missing_handler',
      });
    }
    const notJson = jsonProblem(parameters);
    if (notJson !== undefined) {
      throw invalid(
        `Tool "${name}" parameters are not JSON: ${formatPath(notJson.path)} ${notJson.message}.`,
        {
          name,
          reason: 'invalid_schema',
          issues: [notJson],
        },
      );
    }
    const snapshot = JSON.parse(JSON.stringify(parameters)) as Record<string, unknown>;
    const compiled = compileToolSchema(snapshot);
    if (compiled.kind === 'invalid') {
      const listed = compiled.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ');
      throw invalid(`Tool "${name}" has an invalid parameters schema: ${listed}.`, {
        name,
        reason: 'invalid_schema',
        issues: compiled.issues,
      });
    }
    const timeoutMs =
      tool.timeoutMs === undefined ? undefined : checkTimeout('timeoutMs', tool.timeoutMs);
    tools.set(name, {
      definition: Object.freeze({ name, description, parameters: deepFreeze(snapshot) }),
      validate: compiled.validate,
      handler: tool.handler,
      timeoutMs,
      continueOnInterrupt: tool.continueOnInterrupt === true,
    });
  }

  function runOne(call: ToolCall, options: RunToolCallsOptions): Promise<ToolCallResult> {
    const { clock, signal: runSignal, stopSignal } = options;
    const started = clock.now();
    const result = (outcome: Outcome): ToolCallResult => ({
      callId: call.id,
      name: call.name,
      ...outcome,
      durationMs: clock.now() - started,
    });
    const failure = (error: VoiceError): ToolCallResult =>
      result({ ok: false, error: error.toJSON() });

    const tool = tools.get(call.name);
    if (tool === undefined) {
      return Promise.resolve(
        failure(
          invalid(`Unknown tool "${call.name}".`, {
            tool: call.name,
            reason: 'unknown_tool',
            available: [...tools.keys()],
          }),
        ),
      );
    }
    const args: unknown = call.arguments ?? {};
    const issues = tool.validate(args);
    const first = issues[0];
    if (first !== undefined) {
      const listed = issues.map((i) => `${formatPath(i.path)} ${i.message}`).join('; ');
      return Promise.resolve(
        failure(
          invalid(`Invalid arguments for tool "${call.name}": ${listed}.`, {
            tool: call.name,
            reason: 'invalid_arguments',
            path: first.path,
            issues,
          }),
        ),
      );
    }
    const cancellable = !tool.continueOnInterrupt;
    const cancelled = (): VoiceError =>
      new VoiceError('INTERNAL', {
        message: `Tool "${call.name}" was cancelled: the run was interrupted.`,
        retryable: false,
        details: { tool: call.name, reason: 'cancelled' },
      });
    if ((cancellable && runSignal.aborted) || stopSignal?.aborted === true)
      return Promise.resolve(failure(cancelled()));

    const timeoutMs = tool.timeoutMs ?? options.defaultTimeoutMs;
    return new Promise<ToolCallResult>((resolve) => {
      const controller = new AbortController();
      let settled = false;
      const settle = (outcome: ToolCallResult): void => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        runSignal.removeEventListener('abort', onInterrupt);
        stopSignal?.removeEventListener('abort', onInterrupt);
        resolve(outcome);
      };
      const stop = (error: VoiceError): void => {
        settle(failure(error));
        controller.abort(error);
      };
      const onInterrupt = (): void => {
        stop(cancelled());
      };
      const timer = clock.setTimeout(() => {
        stop(
          new VoiceError('TOOL_TIMEOUT', {
            message: `Tool "${call.name}" did not finish within ${String(timeoutMs)} ms.`,
            details: { tool: call.name, timeout_ms: timeoutMs },
          }),
        );
      }, timeoutMs);
      if (cancellable) runSignal.addEventListener('abort', onInterrupt, { once: true });
      stopSignal?.addEventListener('abort', onInterrupt, { once: true });

      let pending: Promise<unknown>;
      try {
        pending = Promise.resolve(
          tool.handler(args as Record<string, unknown>, {
            signal: controller.signal,
            callId: call.id,
          }),
        );
      } catch (thrown) {
        pending = Promise.reject(thrown instanceof Error ? thrown : new Error(messageOf(thrown)));
      }
      pending.then(
        (returned) => {
          const value = returned ?? null;
          const problem = jsonProblem(value);
          if (problem !== undefined) {
            settle(
              failure(
                new VoiceError('TOOL_FAILED', {
                  message: `Tool "${call.name}" returned a result that is not JSON-serialisable: ${formatPath(problem.path)} ${problem.message}.`,
                  details: {
                    tool: call.name,
                    reason: 'result_not_serialisable',
                    path: problem.path,
                  },
                }),
              ),
            );
            return;
          }
          settle(result({ ok: true, result: JSON.parse(JSON.stringify(value)) as unknown }));
        },
        (thrown: unknown) => {
          // A tool's own TOOL_* error (an HTTP tool's status, an MCP tool's isError) reaches
          // the agent as it is; anything else is a TOOL_FAILED naming its cause.
          if (VoiceError.is(thrown) && thrown.code.startsWith('TOOL_')) {
            settle(
              failure(
                new VoiceError(thrown.code, {
                  message: thrown.message,
                  details: { ...thrown.details, tool: call.name },
                }),
              ),
            );
            return;
          }
          const details: Record<string, unknown> = { tool: call.name };
          if (VoiceError.is(thrown)) details.cause_code = thrown.code;
          settle(failure(new VoiceError('TOOL_FAILED', { message: messageOf(thrown), details })));
        },
      );
    });
  }

  return {
    register,
    has: (name) => tools.has(name),
    definitions: () => [...tools.values()].map((t) => t.definition),
    runToolCalls(options) {
      checkTimeout('defaultTimeoutMs', options.defaultTimeoutMs);
      return Promise.all(options.calls.map((call) => runOne(call, options)));
    },
  };
}

/** Options of {@link runToolCalls}: a round's options plus the registry to run it on. */
export interface RunToolCallsWithRegistryOptions extends RunToolCallsOptions {
  readonly registry: ToolRegistry;
}

/** Runs one round of tool calls on `registry`; the same as `registry.runToolCalls(options)`. */
export function runToolCalls(options: RunToolCallsWithRegistryOptions): Promise<ToolCallResult[]> {
  return options.registry.runToolCalls(options);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

/** What {@link toolResultContent} reads of a result; every {@link ToolCallResult} is one. */
export type ToolResultContentInput =
  | { readonly ok: true; readonly result?: unknown }
  | {
      readonly ok: false;
      readonly error: {
        readonly code: string;
        readonly message: string;
        readonly details?: Readonly<Record<string, unknown>>;
      };
    };

/** The content of the conversation's tool message for a result: the result as text, or the error as JSON. */
export function toolResultContent(result: ToolResultContentInput): string {
  if (result.ok) {
    return typeof result.result === 'string'
      ? result.result
      : JSON.stringify(result.result ?? null);
  }
  const { code, message, details = {} } = result.error;
  const { tool: _tool, ...rest } = details;
  return JSON.stringify({
    error: Object.keys(rest).length > 0 ? { code, message, details: rest } : { code, message },
  });
}
