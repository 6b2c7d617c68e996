/**
 * MCP tools for agents: an assistant names an MCP server (a tenant's streamable-HTTP
 * URL, or an operator's stdio command by name) and the tools it allows; this
 * connects with the MCP SDK and offers those tools as {@link ToolRegistration}s.
 *
 * - Names: the server's own tool names, unchanged (the allow-list can only hold
 *   registry-valid names). A clash with another tool is the registry's
 *   `VALIDATION_FAILED` at `register`.
 * - Schemas: fitted into the registry's JSON Schema subset by `fitToolSchema`
 *   (`mcp-schema.ts`), loosening what the subset cannot say; the server still
 *   validates every call. A tool whose schema cannot be fitted is skipped and
 *   reported (in `skipped` and through `onError`), never offered with a guessed schema.
 * - Tool list: read once at connect; `notifications/tools/list_changed` is ignored.
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ToolContext, ToolRegistration } from '@prx-voice/session';
import { VoiceError } from '@prx-voice/types';
import { z } from 'zod';
import { createMcpToolSpecSchema } from './mcp-spec.js';
import type { McpToolSpec } from './mcp-spec.js';
import { isConnectionLoss, openMcpConnection } from './mcp-connection.js';
import { isMcpError, isStreamableHttpError } from './mcp-sdk.js';
import type { McpConnection, McpEndpoint, McpLink } from './mcp-connection.js';
import { contentText, toolOutput, truncateText } from './mcp-result.js';
import { fitToolSchema } from './mcp-schema.js';
import { abortable } from './abortable.js';

export { createMcpToolSpecSchema, mcpToolSpecSchema } from './mcp-spec.js';
export type { McpToolSpec, McpToolSpecSchemaOptions } from './mcp-spec.js';

const MAX_DESCRIPTION_CHARS = 2_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

/** An operator-configured stdio MCP server: never tenant-supplied. */
export interface McpStdioServer {
  readonly command: string;
  readonly args?: readonly string[] | undefined;
  /** Added to the SDK's small default environment (HOME, PATH, SHELL, TERM, USER, LOGNAME). */
  readonly env?: Readonly<Record<string, string>> | undefined;
  readonly cwd?: string | undefined;
}

/** What {@link connectMcpTools} needs from its caller. */
export interface McpToolsContext {
  /** Operator-configured stdio servers by name. */
  readonly stdioServers: Readonly<Record<string, McpStdioServer>>;
  /** Reads a secret that a header names. */
  readonly secret: (value: { secret: string }) => string;
  /** SSRF check for URL servers: throws VoiceError when the URL's host is not allowed. Runs before every (re)connect. */
  readonly checkUrl: (url: URL) => Promise<void>;
  /** Reports what does not fail the caller: skipped tools, a server that closed, transport errors. */
  readonly onError?: (error: unknown, context: string) => void;
  /** Accept `http:` URLs (the spec is checked again here); default false. */
  readonly allowHttp?: boolean;
  /** Timeout of `initialize` and `tools/list` on each (re)connect; default 15 000 ms. */
  readonly connectTimeoutMs?: number;
}

/** An allowed tool that is not offered, and why. */
export interface McpSkippedTool {
  readonly name: string;
  readonly reason: 'not_listed' | 'task_required' | 'unsupported_schema';
  readonly message: string;
}

/** A live connection to one MCP server, offering its allowed tools as registrations. */
export interface McpToolSet {
  /** The allowed tools that the server lists, in allow-list order, under the server's names. */
  readonly registrations: readonly ToolRegistration[];
  /** The allowed tools that are not offered. */
  readonly skipped: readonly McpSkippedTool[];
  /** Ends the session (HTTP `DELETE`, or stops the child); later calls fail with PROVIDER_UNAVAILABLE. */
  close(): Promise<void>;
}

function invalid(message: string, details: Record<string, unknown>): VoiceError {
  return new VoiceError('VALIDATION_FAILED', { message, details });
}

/** The endpoint and label of a checked spec. */
function endpointOf(
  spec: McpToolSpec,
  ctx: McpToolsContext,
): { endpoint: McpEndpoint; label: string } {
  const { server } = spec;
  if ('stdio' in server) {
    const name = server.stdio;
    const configured = Object.hasOwn(ctx.stdioServers, name) ? ctx.stdioServers[name] : undefined;
    if (configured === undefined)
      throw invalid(`MCP stdio server "${name}" is not configured on this server.`, {
        server: name,
        reason: 'unknown_stdio_server',
      });
    const { command, args = [], env, cwd } = configured;
    return {
      endpoint: { kind: 'stdio', command, args, env, cwd },
      label: `stdio:${name}`,
    };
  }
  const url = new URL(server.url);
  const headers = server.headers ?? {};
  return {
    endpoint: {
      kind: 'http',
      url,
      headers: () =>
        Object.fromEntries(
          Object.entries(headers).map(([k, v]) => [k, typeof v === 'string' ? v : ctx.secret(v)]),
        ),
      check: ctx.checkUrl,
    },
    label: url.origin,
  };
}

interface CallDeps {
  readonly spec: McpToolSpec;
  readonly connection: McpConnection;
  readonly label: string;
}

/** A failed call as a VoiceError. */
function callError(error: unknown, name: string, deps: CallDeps, signal: AbortSignal): VoiceError {
  const details = { tool: name, server: deps.label };
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return VoiceError.is(reason)
      ? reason
      : new VoiceError('TOOL_FAILED', {
          message: `Tool "${name}" was cancelled.`,
          details: { ...details, reason: 'cancelled' },
          cause: reason,
        });
  }
  if (VoiceError.is(error)) return error;
  if (isMcpError(error, 'RequestTimeout'))
    return new VoiceError('TOOL_TIMEOUT', {
      message: `Tool "${name}" did not finish within ${deps.spec.timeout_ms} ms.`,
      details: { ...details, timeout_ms: deps.spec.timeout_ms },
      cause: error,
    });
  const message = error instanceof Error ? error.message : String(error);
  if (isConnectionLoss(error))
    return new VoiceError('PROVIDER_UNAVAILABLE', {
      message: `MCP server ${deps.label} dropped the call to "${name}": ${message}`,
      details: { ...details, reason: 'connection_lost' },
      cause: error,
    });
  return new VoiceError('TOOL_FAILED', {
    message: `Tool "${name}" failed: ${message}`,
    details: isMcpError(error) ? { ...details, mcp_code: error.code } : details,
    cause: error,
  });
}

/** The result of a call, or the TOOL_FAILED of an `isError` result. */
function outcome(result: CallToolResult, name: string, deps: CallDeps): unknown {
  const max = deps.spec.max_output_chars;
  if (result.isError !== true) return toolOutput(result, max);
  const text = contentText(result);
  throw new VoiceError('TOOL_FAILED', {
    message: text === '' ? `Tool "${name}" reported an error.` : truncateText(text, max),
    details: { tool: name, server: deps.label, reason: 'tool_error' },
  });
}

/** Calls one tool: reconnects first when the link is broken; a session the server forgot is renewed once. */
async function callTool(
  name: string,
  args: Record<string, unknown>,
  ctx: ToolContext,
  deps: CallDeps,
): Promise<unknown> {
  const local = new AbortController(); // the SDK never removes its abort listener
  const forward = (): void => {
    local.abort(ctx.signal.reason);
  };
  ctx.signal.addEventListener('abort', forward, { once: true });
  try {
    for (let attempt = 0; ; attempt++) {
      let link: McpLink | undefined;
      try {
        link = await abortable(deps.connection.link(), ctx.signal);
        const result = (await link.client.callTool({ name, arguments: args }, undefined, {
          signal: local.signal,
          timeout: deps.spec.timeout_ms,
        })) as CallToolResult;
        return outcome(result, name, deps);
      } catch (error) {
        if (link !== undefined && !ctx.signal.aborted && isConnectionLoss(error)) {
          deps.connection.invalidate(link);
          const expired = isStreamableHttpError(error, 404);
          if (expired && attempt === 0) continue; // the request never ran: a new session
        }
        throw callError(error, name, deps, ctx.signal);
      }
    }
  } finally {
    ctx.signal.removeEventListener('abort', forward);
  }
}

function descriptionOf(tool: Tool): string {
  const text = [tool.description, tool.title, tool.annotations?.title]
    .map((d) => d?.trim() ?? '')
    .find((d) => d !== '');
  return truncateText(text ?? `The MCP tool "${tool.name}".`, MAX_DESCRIPTION_CHARS);
}

/**
 * Connects (initialize + tools/list), filters by the allow-list, and builds
 * registrations whose handlers call `tools/call` with the spec's timeout and the
 * call's abort signal (an abort sends `notifications/cancelled`).
 *
 * A result is `structuredContent` when present (else the content items' text),
 * cut to `max_output_chars` with a marker; `isError: true` becomes TOOL_FAILED
 * with the tool's text; the SDK's timeout TOOL_TIMEOUT. A server that crashed or
 * dropped is reconnected on the next call (one attempt per call, shared by
 * concurrent calls; failing, PROVIDER_UNAVAILABLE); a call cut off by the drop
 * fails with PROVIDER_UNAVAILABLE and is not repeated — except an HTTP 404 (the
 * server forgot the session before running the request), retried once on a new
 * session. Rejects with VALIDATION_FAILED for a bad spec or an unknown stdio
 * name, with `checkUrl`'s error before any request, and PROVIDER_* when the
 * server cannot be reached or refuses.
 *
 * @example
 * const spec = mcpToolSpecSchema.parse({ type: 'mcp', server: { url: 'https://mcp.example.com/mcp',
 *   headers: { authorization: { secret: 'acme-mcp-token' } } }, allow: ['lookup_order'] });
 * const set = await connectMcpTools(spec, { stdioServers: {}, secret, checkUrl });
 * for (const tool of set.registrations) registry.register(tool);
 * // … when the session ends:
 * await set.close();
 */
export async function connectMcpTools(
  spec: McpToolSpec,
  ctx: McpToolsContext,
): Promise<McpToolSet> {
  const checked = createMcpToolSpecSchema({ allowHttp: ctx.allowHttp === true }).safeParse(spec);
  if (!checked.success)
    throw invalid(`Invalid MCP tool spec: ${z.prettifyError(checked.error)}`, {
      reason: 'invalid_spec',
      issues: checked.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  const valid = checked.data;
  const { endpoint, label } = endpointOf(valid, ctx);
  const onError = ctx.onError ?? ((): void => undefined);
  const connection = await openMcpConnection({
    endpoint,
    label,
    connectTimeoutMs: ctx.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    onError,
  });
  const deps: CallDeps = { spec: valid, connection, label };
  const listed = new Map(connection.tools.map((t) => [t.name, t]));
  const registrations: ToolRegistration[] = [];
  const skipped: McpSkippedTool[] = [];
  const skip = (name: string, reason: McpSkippedTool['reason'], message: string): void => {
    skipped.push({ name, reason, message });
    onError(invalid(message, { server: label, tool: name, reason }), `mcp ${label} tools`);
  };
  for (const name of valid.allow) {
    const tool = listed.get(name);
    if (tool === undefined) {
      skip(name, 'not_listed', `MCP server ${label} does not list a tool "${name}".`);
      continue;
    }
    if (tool.execution?.taskSupport === 'required') {
      skip(
        name,
        'task_required',
        `MCP tool "${name}" runs only as a task, which is not supported.`,
      );
      continue;
    }
    const fitted = fitToolSchema(tool.inputSchema);
    if (fitted.kind === 'unsupported') {
      const why = fitted.issues.map((i) => `${i.path === '' ? '(root)' : i.path}: ${i.message}`);
      skip(
        name,
        'unsupported_schema',
        `MCP tool "${name}" has an unsupported input schema: ${why.join('; ')}.`,
      );
      continue;
    }
    registrations.push({
      name,
      description: descriptionOf(tool),
      parameters: fitted.schema,
      handler: (args, call) => callTool(name, args, call, deps),
      timeoutMs: valid.timeout_ms,
      continueOnInterrupt: valid.continue_on_interrupt,
    });
  }
  return { registrations, skipped, close: () => connection.close() };
}
