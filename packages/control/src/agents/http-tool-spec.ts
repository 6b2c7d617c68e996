/**
 * The stored form of an HTTP tool: a JSON-Schema function a tenant binds to an HTTPS
 * endpoint, as it appears in an assistant (API field names in snake_case).
 */
import { z } from 'zod';
import { compileToolSchema } from '@prx-voice/session';

/** HTTP methods an HTTP tool may use. */
export const HTTP_TOOL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** An RFC 9110 token: the characters of a header name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/** A header value: visible characters, spaces and tabs; no CR, LF or NUL. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers the engine sets or the HTTP layer owns; a tool may not set them. */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'user-agent',
  'proxy-authorization',
  'proxy-connection',
]);

/** Whether a string may be sent as a header value (also checked on resolved secrets). */
export function isHeaderValue(value: string): boolean {
  return HEADER_VALUE.test(value) && value.length <= 8192;
}

const secretRefSchema = z.strictObject({ secret: z.string().min(1).max(512) });

const headersSchema = z
  .record(
    z.string().regex(HEADER_NAME, 'must be an HTTP header name'),
    z.union([
      z.string().max(8192).regex(HEADER_VALUE, 'must not contain control characters'),
      secretRefSchema,
    ]),
  )
  .superRefine((headers, ctx) => {
    const seen = new Set<string>();
    for (const name of Object.keys(headers)) {
      const lower = name.toLowerCase();
      if (RESERVED_HEADERS.has(lower) || lower.startsWith('x-prx-')) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is set by PRX Voice' });
      } else if (seen.has(lower)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is given twice' });
      }
      seen.add(lower);
    }
    if (seen.size > 32) ctx.addIssue({ code: 'custom', message: 'at most 32 headers' });
  });

const urlSchema = z
  .string()
  .max(2048)
  .superRefine((text, ctx) => {
    const problem = urlProblem(text);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

function urlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https:// URL';
  if (url.username !== '' || url.password !== '') {
    return 'must not carry credentials; use a secret header';
  }
  if (url.hash !== '') return 'must not have a fragment';
  return undefined;
}

/** A JSON Pointer (`/properties/a~1b`) as path segments (`['properties', 'a/b']`). */
function pointerPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((t) => (/^(0|[1-9]\d*)$/.test(t) ? Number(t) : t));
}

const parametersSchema = z.record(z.string(), z.unknown()).superRefine((schema, ctx) => {
  const compiled = compileToolSchema(schema);
  if (compiled.kind === 'valid') return;
  for (const issue of compiled.issues) {
    ctx.addIssue({ code: 'custom', path: pointerPath(issue.path), message: issue.message });
  }
});

/** The zod schema of an HTTP tool definition as a tenant stores it in an assistant (API field names snake_case). */
export const httpToolSpecSchema = z.strictObject({
  type: z.literal('http'),
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
  description: z.string().min(1).max(1024).regex(/\S/, 'must not be blank'),
  /** JSON Schema of the arguments (`type: "object"`, the session's tool-schema subset). */
  parameters: parametersSchema,
  http: z.strictObject({
    method: z.enum(HTTP_TOOL_METHODS).default('POST'),
    /** `https://`; `http://` is accepted here but only called for hosts the operator allows. */
    url: urlSchema,
    /** Extra request headers; a `{ secret }` value is resolved at call time and never echoed. */
    headers: headersSchema.optional(),
    /** Timeout of one attempt. */
    timeout_ms: z.number().int().min(100).max(30_000).default(5000),
    /** Retries after a timeout, a 5xx or a connection error. */
    retries: z.number().int().min(0).max(3).default(0),
  }),
  continue_on_interrupt: z.boolean().default(false),
  /**
   * A filler line the session says while the call runs, once per tool round, when the
   * result is not back within `agents.tools.filler_grace_ms`.
   */
  speak_while_waiting: z.string().min(1).max(200).regex(/\S/, 'must not be blank').optional(),
});

/** An HTTP tool definition, parsed (defaults applied). */
export type HttpToolSpec = z.output<typeof httpToolSpecSchema>;

/** A header value that names a stored secret instead of carrying it. */
export type SecretRef = z.output<typeof secretRefSchema>;
