/**
 * The spec by which an assistant names an MCP server and the tools it may use:
 * a tenant's streamable-HTTP URL (with headers, secrets by reference) or an
 * operator-configured stdio server by name, and an explicit allow-list.
 */
import { z } from 'zod';

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const SERVER_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/;
/** Headers the transport sets itself; a spec may not set them. */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'connection',
  'content-length',
  'content-type',
  'host',
  'last-event-id',
  'mcp-protocol-version',
  'mcp-session-id',
  'transfer-encoding',
]);

const secretRefSchema = z.strictObject({ secret: z.string().min(1).max(256) });

/** Options of {@link createMcpToolSpecSchema}. */
export interface McpToolSpecSchemaOptions {
  /** Accept `http:` server URLs too (development, loopback tests); default false: `https:` only. */
  readonly allowHttp?: boolean;
}

/** Builds the MCP tool spec schema; {@link mcpToolSpecSchema} is the `https:`-only one. */
export function createMcpToolSpecSchema(options: McpToolSpecSchemaOptions = {}) {
  const protocol = options.allowHttp === true ? /^https?$/ : /^https$/;
  const urlServer = z.strictObject({
    url: z
      .url({ protocol, normalize: true })
      .max(2_048)
      .refine((u) => {
        const parsed = new URL(u);
        return parsed.username === '' && parsed.password === '';
      }, 'credentials in the URL are not allowed; use headers with a secret'),
    headers: z
      .record(
        z
          .string()
          .regex(HEADER_NAME, 'not a valid header name')
          .refine((n) => !RESERVED_HEADERS.has(n.toLowerCase()), 'this header is set by MCP'),
        z.union([
          z
            .string()
            .max(8_192)
            .regex(/^[^\r\n\0]*$/, 'no line breaks'),
          secretRefSchema,
        ]),
      )
      .refine((h) => Object.keys(h).length <= 32, 'at most 32 headers')
      .optional(),
  });
  const stdioServer = z.strictObject({ stdio: z.string().regex(SERVER_NAME) });
  return z.strictObject({
    type: z.literal('mcp'),
    server: z.union([urlServer, stdioServer]),
    /** The tools offered: the per-tenant allow-list (at least one; no wildcard). */
    allow: z
      .array(z.string().regex(TOOL_NAME, 'a tool name is 1-64 of a-z A-Z 0-9 _ -'))
      .min(1)
      .max(128)
      .refine((a) => new Set(a).size === a.length, 'tool names must be unique'),
    timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
    max_output_chars: z.number().int().min(100).max(100_000).default(8_000),
    continue_on_interrupt: z.boolean().default(false),
    /** A filler line the session says while one of these tools runs (after a short grace). */
    speak_while_waiting: z.string().min(1).max(200).regex(/\S/, 'must not be blank').optional(),
  });
}

/** How an assistant names an MCP server: a tenant's streamable-HTTP URL, or an operator-configured stdio server by name. */
export const mcpToolSpecSchema = createMcpToolSpecSchema();

/** A parsed MCP tool spec. */
export type McpToolSpec = z.output<typeof mcpToolSpecSchema>;
