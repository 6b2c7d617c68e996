/**
 * The MCP SDK, loaded when the first MCP server is connected. Its modules build the whole
 * protocol's schemas when imported — a noticeable share of a server start that serves no
 * MCP tool. Errors of the SDK's kinds can only exist once it has loaded, so the checks
 * below answer false before then.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

/** The SDK's classes and codes the MCP tools use. */
export interface McpSdk {
  readonly Client: typeof Client;
  readonly StdioClientTransport: typeof StdioClientTransport;
  readonly StreamableHTTPClientTransport: typeof StreamableHTTPClientTransport;
  readonly StreamableHTTPError: typeof StreamableHTTPError;
  readonly McpError: typeof McpError;
  readonly ErrorCode: typeof ErrorCode;
}

let loaded: McpSdk | undefined;
let loading: Promise<McpSdk> | undefined;

/** Loads the SDK once; later calls share the first. */
export function loadMcpSdk(): Promise<McpSdk> {
  loading ??= Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/stdio.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]).then(([client, stdio, http, types]) => {
    loaded = {
      Client: client.Client,
      StdioClientTransport: stdio.StdioClientTransport,
      StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
      StreamableHTTPError: http.StreamableHTTPError,
      McpError: types.McpError,
      ErrorCode: types.ErrorCode,
    };
    return loaded;
  });
  return loading;
}

/** Whether `error` is the SDK's McpError (with `code` when given: an ErrorCode name). */
export function isMcpError(
  error: unknown,
  code?: 'ConnectionClosed' | 'RequestTimeout',
): error is McpError {
  if (loaded === undefined || !(error instanceof loaded.McpError)) return false;
  return code === undefined || error.code === (loaded.ErrorCode[code] as number);
}

/** Whether `error` is the SDK's Streamable HTTP transport error (with that HTTP status when given). */
export function isStreamableHttpError(
  error: unknown,
  ...statuses: number[]
): error is StreamableHTTPError {
  if (loaded === undefined || !(error instanceof loaded.StreamableHTTPError)) return false;
  return statuses.length === 0 || statuses.includes(error.code as number);
}
