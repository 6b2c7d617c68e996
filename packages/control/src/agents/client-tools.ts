/**
 * Tools a client declares and executes itself (the OpenAI Realtime protocol's function
 * tools): registered in the session's registry like any tool — arguments validated,
 * timeout on the session's clock, cancelled on barge-in — but their handler only
 * hands the call to the client and waits for the output it sends back. Joined with
 * the session's own tools (an assistant's HTTP and MCP tools), which stay server-run.
 */
import type { ToolDefinition } from '@prx-voice/adapter';
import { createToolRegistry } from '@prx-voice/session';
import type { ToolCallResult, ToolRegistry } from '@prx-voice/session';
import { VoiceError } from '@prx-voice/types';
import type { SessionTools } from './session-tools.js';

/** How long a client has to answer a call, ms (the engine's timeout of the call). */
export const CLIENT_TOOL_TIMEOUT_MS = 60_000;

/** A tool as the client declares it. */
export interface ClientToolSpec {
  readonly name: string;
  readonly description?: string | undefined;
  readonly parameters?: Readonly<Record<string, unknown>> | undefined;
}

/** A call handed to the client. */
export interface ClientToolCall {
  readonly callId: string;
  readonly name: string;
  readonly arguments: Record<string, unknown>;
}

/** The client's tools as a session tool set, and the way their outputs come back. */
export interface ClientTools extends SessionTools {
  /** The client's output of a call the engine waits on; false when none waits. */
  deliver(callId: string, output: string): boolean;
}

/**
 * Builds the tool set of a client's declarations over the session's own tools
 * (`base`, kept server-run; not closed by this set). A declaration the registry
 * refuses throws `VALIDATION_FAILED` naming it, and nothing is built.
 *
 * @example
 * const tools = clientTools({ tools: session.tools, base: live.tools, onCall: (c) => conn.clientToolCall(c) });
 * tools.deliver('call_1', '{"temperature":21}'); // the agent's call resolves with it
 */
export function clientTools(o: {
  readonly tools: readonly ClientToolSpec[];
  readonly base?: SessionTools | undefined;
  readonly onCall: (call: ClientToolCall) => void;
  readonly timeoutMs?: number;
}): ClientTools {
  const registry = createToolRegistry();
  const pending = new Map<string, (output: unknown) => void>();
  const cancel = new Set<() => void>();
  for (const spec of o.tools) {
    if (o.base?.registry.has(spec.name) === true) {
      throw new VoiceError('VALIDATION_FAILED', {
        message: `Tool "${spec.name}" is already one of the session's own tools.`,
        details: { name: spec.name, reason: 'duplicate_name' },
      });
    }
    registry.register({
      name: spec.name,
      description: spec.description?.trim() || `The client's ${spec.name} function.`,
      parameters: spec.parameters ?? { type: 'object', properties: {} },
      timeoutMs: o.timeoutMs ?? CLIENT_TOOL_TIMEOUT_MS,
      handler: (args, ctx) =>
        new Promise((resolve, reject) => {
          const stop = (): void => {
            pending.delete(ctx.callId);
            cancel.delete(stop);
            const reason: unknown = ctx.signal.reason;
            reject(
              reason instanceof Error
                ? reason
                : new VoiceError('TOOL_FAILED', { message: 'The client tool call was cancelled.' }),
            );
          };
          if (ctx.signal.aborted) return stop();
          ctx.signal.addEventListener('abort', stop, { once: true });
          cancel.add(stop);
          pending.set(ctx.callId, (output) => {
            ctx.signal.removeEventListener('abort', stop);
            cancel.delete(stop);
            resolve(output);
          });
          o.onCall({ callId: ctx.callId, name: spec.name, arguments: args });
        }),
    });
  }
  return {
    registry: o.base === undefined ? registry : joinRegistries(o.base.registry, registry),
    fillers: o.base?.fillers ?? {},
    deliver(callId, output) {
      const resolve = pending.get(callId);
      if (resolve === undefined) return false;
      pending.delete(callId);
      resolve(parseOutput(output));
      return true;
    },
    close() {
      for (const stop of [...cancel]) stop();
      return Promise.resolve();
    },
  };
}

/** A client's output as the tool's result: its JSON when it is JSON, else the text. */
function parseOutput(output: string): unknown {
  try {
    return JSON.parse(output) as unknown;
  } catch {
    return output;
  }
}

/** Two registries as one: each call runs in the one that has its tool; results in call order. */
function joinRegistries(first: ToolRegistry, second: ToolRegistry): ToolRegistry {
  return {
    register: (tool) => second.register(tool),
    has: (name) => first.has(name) || second.has(name),
    definitions: (): ToolDefinition[] => [...first.definitions(), ...second.definitions()],
    async runToolCalls(options) {
      const inSecond = options.calls.map((c) => !first.has(c.name) && second.has(c.name));
      const [a, b] = await Promise.all([
        first.runToolCalls({ ...options, calls: options.calls.filter((_, i) => !inSecond[i]) }),
        second.runToolCalls({ ...options, calls: options.calls.filter((_, i) => inSecond[i]) }),
      ]);
      const out: ToolCallResult[] = [];
      let i = 0;
      let j = 0;
      for (const second of inSecond) {
        const r = second ? b[j++] : a[i++];
        if (r !== undefined) out.push(r);
      }
      return out;
    },
  };
}
