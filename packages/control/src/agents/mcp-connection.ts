/**
 * One MCP server connection that survives its server: an SDK `Client` over stdio
 * (an operator's command, spawned) or streamable HTTP, opened with `initialize` and
 * `tools/list`, and opened again — once per caller — when it was found broken.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { VoiceError } from '@prx-voice/types';
import { isMcpError, isStreamableHttpError, loadMcpSdk } from './mcp-sdk.js';

/** Where the server is: a resolved HTTP endpoint or an operator's command. */
export type McpEndpoint =
  | {
      readonly kind: 'http';
      readonly url: URL;
      /** Resolved headers (secrets already read) — built anew for every connect. */
      readonly headers: () => Record<string, string>;
      /** The SSRF check, run before every connect. */
      readonly check: (url: URL) => Promise<void>;
    }
  | {
      readonly kind: 'stdio';
      readonly command: string;
      readonly args: readonly string[];
      readonly env: Readonly<Record<string, string>> | undefined;
      readonly cwd: string | undefined;
    };

/** Options of {@link openMcpConnection}. */
export interface McpConnectionOptions {
  readonly endpoint: McpEndpoint;
  /** How the server is named in errors: the URL's origin or `stdio:<name>`. */
  readonly label: string;
  /** Timeout of `initialize` and of each `tools/list` page. */
  readonly connectTimeoutMs: number;
  readonly onError: (error: unknown, context: string) => void;
}

/** A client that is up, with the tools its server listed when it came up. */
export interface McpLink {
  readonly client: Client;
  readonly tools: readonly Tool[];
  /** Closes the client (ending an HTTP session, stopping a child); never reports a loss. */
  close(): Promise<void>;
}

/** The connection; see {@link openMcpConnection}. */
export interface McpConnection {
  /** The first link's tools. */
  readonly tools: readonly Tool[];
  /** The current link, reconnecting first when it is broken; concurrent callers share one attempt. */
  link(): Promise<McpLink>;
  /** Marks `link` broken (a dropped connection) so the next {@link link} reconnects. */
  invalidate(link: McpLink): void;
  close(): Promise<void>;
}

const CLIENT_INFO = { name: 'prx-voice', version: '0.1.0' };
const MAX_LIST_PAGES = 20;
const STDERR_TAIL_CHARS = 2_000;
const TERMINATE_WAIT_MS = 1_000;

/** Whether an error means the connection is gone rather than the request refused. */
export function isConnectionLoss(error: unknown): boolean {
  if (isMcpError(error)) return isMcpError(error, 'ConnectionClosed');
  if (isStreamableHttpError(error)) return true;
  return (
    error instanceof Error &&
    (error.message === 'Not connected' ||
      (error instanceof TypeError && /fetch/i.test(error.message)))
  );
}

/** A connect failure as a VoiceError: transport trouble is PROVIDER_UNAVAILABLE, a refusal PROVIDER_ERROR. */
function connectError(error: unknown, label: string): VoiceError {
  if (VoiceError.is(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const details = { server: label, reason: 'connect_failed' };
  if (isStreamableHttpError(error, 401, 403))
    return new VoiceError('PROVIDER_AUTH_FAILED', {
      message: `MCP server ${label} refused the credentials: ${message}`,
      details,
      cause: error,
    });
  if (isMcpError(error) && !isConnectionLoss(error) && !isMcpError(error, 'RequestTimeout'))
    return new VoiceError('PROVIDER_ERROR', {
      message: `MCP server ${label} refused to start a session: ${message}`,
      details,
      cause: error,
    });
  return new VoiceError('PROVIDER_UNAVAILABLE', {
    message: `MCP server ${label} is unavailable: ${message}`,
    details,
    cause: error,
  });
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      resolve(undefined);
    }, ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/** Opens one link: spawn or check, `initialize`, then every page of `tools/list`. */
async function openLink(
  options: McpConnectionOptions,
  onLost: (client: Client) => void,
): Promise<McpLink> {
  const { endpoint, label, connectTimeoutMs, onError } = options;
  const sdk = await loadMcpSdk();
  let transport: Transport;
  let http: StreamableHTTPClientTransport | undefined;
  let stderrTail = '';
  if (endpoint.kind === 'http') {
    await endpoint.check(endpoint.url);
    http = new sdk.StreamableHTTPClientTransport(endpoint.url, {
      requestInit: { headers: endpoint.headers() },
      redirectPolicy: 'same-origin',
    });
    transport = http;
  } else {
    const stdio = new sdk.StdioClientTransport({
      command: endpoint.command,
      args: [...endpoint.args],
      ...(endpoint.env === undefined ? {} : { env: { ...endpoint.env } }),
      ...(endpoint.cwd === undefined ? {} : { cwd: endpoint.cwd }),
      stderr: 'pipe',
    });
    stdio.stderr?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    transport = stdio;
  }
  const client = new sdk.Client(CLIENT_INFO);
  let closing = false;
  client.onerror = (error) => {
    onError(error, `mcp ${label}`);
  };
  client.onclose = () => {
    if (closing) return;
    onError(
      new VoiceError('PROVIDER_UNAVAILABLE', {
        message: `MCP server ${label} closed the connection.`,
        details: { server: label, reason: 'closed', stderr: stderrTail },
      }),
      `mcp ${label} closed`,
    );
    onLost(client);
  };
  const close = async (): Promise<void> => {
    closing = true;
    if (http?.sessionId !== undefined)
      await withTimeout(
        http.terminateSession().catch(() => undefined),
        TERMINATE_WAIT_MS,
      );
    await client.close();
  };
  try {
    await client.connect(transport, { timeout: connectTimeoutMs });
    const tools: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const listed = await client.listTools(cursor === undefined ? {} : { cursor }, {
        timeout: connectTimeoutMs,
      });
      tools.push(...listed.tools);
      cursor = listed.nextCursor;
      if (cursor === undefined) break;
    }
    return { client, tools, close };
  } catch (error) {
    closing = true;
    await client.close().catch(() => undefined);
    throw connectError(error, label);
  }
}

/**
 * Connects to an MCP server; rejects with a VoiceError (the SSRF check's own, or
 * PROVIDER_UNAVAILABLE / PROVIDER_AUTH_FAILED / PROVIDER_ERROR) when it cannot.
 */
export async function openMcpConnection(options: McpConnectionOptions): Promise<McpConnection> {
  let current: McpLink | undefined;
  let broken = false;
  let opening: Promise<McpLink> | undefined;
  let closed = false;
  const lost = (client: Client): void => {
    if (current?.client === client) broken = true;
  };
  const closedError = (): VoiceError =>
    new VoiceError('PROVIDER_UNAVAILABLE', {
      message: `The MCP connection to ${options.label} is closed.`,
      retryable: false,
      details: { server: options.label, reason: 'closed' },
    });

  const first = await openLink(options, lost);
  current = first;

  const reopen = async (): Promise<McpLink> => {
    const stale = current;
    current = undefined;
    if (stale !== undefined) void stale.close().catch(() => undefined); // in the background
    const link = await openLink(options, lost);
    if (closed) {
      await link.close();
      throw closedError();
    }
    current = link;
    broken = false;
    return link;
  };

  return {
    tools: first.tools,
    link() {
      if (closed) return Promise.reject(closedError());
      if (current !== undefined && !broken) return Promise.resolve(current);
      opening ??= reopen().finally(() => {
        opening = undefined;
      });
      return opening;
    },
    invalidate(link) {
      if (current === link) broken = true;
    },
    async close() {
      if (closed) return;
      closed = true;
      const link = current;
      current = undefined;
      if (link !== undefined) await link.close().catch(() => undefined);
    },
  };
}
