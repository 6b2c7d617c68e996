/**
 * An assistant's secrets at rest: the `{secret}` header values of its tools (HTTP tools
 * and MCP servers by URL) and the secret signing its tool requests are stored sealed
 * with the operator's master key (`@prx-voice/audit`'s secret box, bound to the tenant)
 * and never shown (`********`). A client that read, edited and saved an assistant gives
 * the mask back: the stored secret of the same tool and header is kept — and sealed anew
 * when it was stored in plaintext (before sealing) or under a rotated-out key. A session
 * gets its tools in their stored form; their secrets are opened only when a call (or an
 * MCP connect) needs them. Without a master key secrets are stored as given.
 */
import { createSecretBox } from '@prx-voice/audit';
import type { SecretBox } from '@prx-voice/audit';
import { VoiceError } from '@prx-voice/types';
import type { AssistantTool } from './assistant-definition.js';

/** How a stored secret is shown: never its value. */
export const SECRET_MASK = '********';

/** The definition field holding the secret signing the assistant's tool requests. */
export const SIGNING_SECRET = 'signing_secret';

/** The `aad` every secret of a tenant is sealed with. */
function aadOf(tenantId: string): string {
  return `prx-voice assistant secret ${tenantId}`;
}

type HeaderValue = string | { secret: string };
type Headers = Record<string, HeaderValue>;

/** The headers of a tool that may carry secrets (an HTTP tool's, an MCP server URL's). */
function headersOf(tool: AssistantTool): Headers | undefined {
  if (tool.type === 'http') return tool.http.headers;
  return 'url' in tool.server ? tool.server.headers : undefined;
}

function withHeaders(tool: AssistantTool, headers: Headers): AssistantTool {
  if (tool.type === 'http') return { ...tool, http: { ...tool.http, headers } };
  if ('url' in tool.server) return { ...tool, server: { ...tool.server, headers } };
  return tool;
}

/** The tool of `stored` that `tool` is an edit of: an HTTP tool by name, an MCP server by URL. */
function sameTool(tool: AssistantTool, stored: readonly AssistantTool[] | undefined) {
  return stored?.find((s) => {
    if (tool.type === 'http') return s.type === 'http' && s.name === tool.name;
    if (s.type !== 'mcp' || !('url' in tool.server) || !('url' in s.server)) return false;
    return s.server.url === tool.server.url;
  });
}

/** An assistant's tools as the API shows them: every `{secret}` header value masked. */
export function maskedTools(
  tools: readonly AssistantTool[] | undefined,
): AssistantTool[] | undefined {
  return tools?.map((tool) => {
    const headers = headersOf(tool);
    if (headers === undefined) return tool;
    return withHeaders(
      tool,
      Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [
          k,
          typeof v === 'string' ? v : { secret: SECRET_MASK },
        ]),
      ),
    );
  });
}

/** Seals the secrets of a tenant's assistants. */
export interface AssistantSecrets {
  /**
   * The stored form of tools given through the API: each new `{secret}` sealed; a masked
   * one takes the stored secret of the same tool and header (sealed anew if needed).
   *
   * @throws VoiceError `VALIDATION_FAILED` (naming the header) for a masked secret with no
   * stored secret to keep.
   */
  storedTools(
    tenantId: string,
    next: readonly AssistantTool[] | undefined,
    stored: readonly AssistantTool[] | undefined,
  ): AssistantTool[] | undefined;
  /** The stored form of a new secret (sealed). */
  seal(tenantId: string, plaintext: string): string;
  /** A stored secret kept: as it is, or sealed anew when plaintext or under a rotated-out key. */
  keep(tenantId: string, stored: string): string;
  /** Opens a stored secret of the tenant (plaintext ones as they are). */
  open(tenantId: string, stored: string): string;
}

/**
 * The assistant secrets over a secret box (without one: stored as given).
 *
 * @example
 * const secrets = assistantSecrets(createSecretBox({ masterKey }));
 * const tools = secrets.storedTools(tenantId, body.tools, current.tools);
 */
export function assistantSecrets(box: SecretBox = createSecretBox()): AssistantSecrets {
  const keep = (tenantId: string, stored: string): string =>
    box.needsReseal(stored) ? box.seal(box.open(stored, aadOf(tenantId)), aadOf(tenantId)) : stored;
  return {
    storedTools(tenantId, next, stored) {
      return next?.map((tool, index) => {
        const headers = headersOf(tool);
        if (headers === undefined) return tool;
        const before = sameTool(tool, stored);
        const old = before === undefined ? undefined : headersOf(before);
        const sealed: Headers = {};
        for (const [name, value] of Object.entries(headers)) {
          if (typeof value === 'string') {
            sealed[name] = value;
            continue;
          }
          if (value.secret !== SECRET_MASK) {
            sealed[name] = { secret: box.seal(value.secret, aadOf(tenantId)) };
            continue;
          }
          const kept = old?.[name];
          if (kept === undefined || typeof kept === 'string') {
            const path = `tools.${String(index)}.${tool.type === 'http' ? 'http' : 'server'}.headers.${name}`;
            throw new VoiceError('VALIDATION_FAILED', {
              message: `Invalid body.${path}: the secret is masked but no secret is stored for this tool and header; give its value.`,
              details: {
                location: 'body',
                issues: [{ path, message: 'masked secret with nothing stored to keep' }],
              },
            });
          }
          sealed[name] = { secret: keep(tenantId, kept.secret) };
        }
        return withHeaders(tool, sealed);
      });
    },
    seal: (tenantId, plaintext) => box.seal(plaintext, aadOf(tenantId)),
    keep,
    open(tenantId, stored) {
      return box.open(stored, aadOf(tenantId));
    },
  };
}

/** A stored tool whose `{secret}` values are replaced by handles, and the resolver of those. */
export interface HandledTool {
  /** The tool, each `{secret}` value a handle (`#0`, `#1`, …) that passes its schema. */
  readonly tool: Readonly<Record<string, unknown>>;
  /** Opens the stored secret a handle stands for (called when a request needs it). */
  readonly secret: (ref: { secret: string }) => string;
}

/**
 * Replaces the `{secret}` values of a stored (unparsed) tool by handles, so a sealed
 * secret — longer than the plaintext the schema allows — is parsed as its handle and
 * opened only when a request needs it.
 */
export function secretHandles(
  raw: Readonly<Record<string, unknown>>,
  open: (stored: string) => string,
): HandledTool {
  const stored: string[] = [];
  const handle = (headers: unknown): unknown => {
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return headers;
    return Object.fromEntries(
      Object.entries(headers as Record<string, unknown>).map(([k, v]) => {
        const secret = (v as { secret?: unknown } | null)?.secret;
        if (typeof v !== 'object' || typeof secret !== 'string') return [k, v];
        stored.push(secret);
        return [k, { secret: `#${String(stored.length - 1)}` }];
      }),
    );
  };
  const part = (key: 'http' | 'server'): Record<string, unknown> => {
    const value = raw[key];
    if (typeof value !== 'object' || value === null || !('headers' in value)) return {};
    return { [key]: { ...value, headers: handle(value.headers) } };
  };
  return {
    tool: { ...raw, ...part('http'), ...part('server') },
    secret(ref) {
      const value = /^#\d+$/.test(ref.secret) ? stored[Number(ref.secret.slice(1))] : undefined;
      if (value === undefined) throw new Error('not a secret of this tool');
      return open(value);
    },
  };
}
