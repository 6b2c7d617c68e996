/**
 * A session's tools: the built-in `transfer_call` when its assistant lists transfer
 * destinations, its assistant's HTTP tools (signed with the assistant's secret,
 * reaching only public addresses unless `agents.tools.allow_private_hosts` says
 * otherwise) and MCP servers' tools, in one registry the session's agent sees. A tool
 * that cannot be set up (an MCP server that does not answer) is left out and reported;
 * the session starts without it. Tools come in their stored form: their secrets (and the
 * signing secret) are opened only when a request needs them (`assistant-secrets.ts`).
 */
import type { Clock, Config } from '@prx-voice/core';
import { createToolRegistry } from '@prx-voice/session';
import type { ToolRegistry } from '@prx-voice/session';
import { VoiceError } from '@prx-voice/types';
import type { AssistantTool } from './assistant-definition.js';
import { assistantToolSchema } from './assistant-definition.js';
import { assistantSecrets, secretHandles } from './assistant-secrets.js';
import type { AssistantSecrets } from './assistant-secrets.js';
import type { TransferSettings } from '../sessions/session-manager-types.js';
import { httpTool } from './http-tool.js';
import { connectMcpTools, createMcpToolSpecSchema } from './mcp-tools.js';
import type { McpToolSet } from './mcp-tools.js';
import { isPrivateAllowed, resolveTarget, systemLookup } from './ssrf.js';
import { transferTool } from './transfer-tool.js';
import type { RequestHandoff } from './transfer-tool.js';

/** What a session's tools are built from. */
export interface SessionToolsOptions {
  readonly config: Config;
  readonly clock: Pick<Clock, 'now'>;
  readonly tenantId: string;
  readonly sessionId: string;
  readonly tools: readonly Readonly<Record<string, unknown>>[];
  /** Signs the HTTP tools' requests (the assistant's secret, as stored). */
  readonly signingSecret: string | undefined;
  /** Opens the stored secrets (default: plaintext ones only). */
  readonly secrets?: AssistantSecrets | undefined;
  /** The turn in progress, for the requests' `x-prx-turn-id`. */
  readonly turnId: () => string | undefined;
  /** A tool left out, and why. */
  readonly onProblem: (tool: string, error: unknown) => void;
  /** The assistant's transfer destinations: `transfer_call` is offered over them. */
  readonly transfer?: TransferSettings | undefined;
  /** Hands the session off (what `transfer_call` does with a destination). */
  readonly requestHandoff?: RequestHandoff;
}

/** A session's tools, and what to close when it ends. */
export interface SessionTools {
  readonly registry: ToolRegistry;
  /** The lines to say while a tool runs (`speak_while_waiting`), by registered tool name. */
  readonly fillers: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * Builds a session's tools (see the module's description).
 *
 * @example
 * const tools = await sessionTools({ config, clock, tenantId, sessionId, tools: request.tools, … });
 */
export async function sessionTools(o: SessionToolsOptions): Promise<SessionTools> {
  const registry = createToolRegistry();
  const fillers: Record<string, string> = {};
  const closers: (() => Promise<void>)[] = [];
  const allowPrivate = o.config.agents.tools.allow_private_hosts;
  const secrets = o.secrets ?? assistantSecrets();
  const open = (stored: string) => secrets.open(o.tenantId, stored);
  if (o.transfer !== undefined && o.requestHandoff !== undefined)
    registry.register(transferTool(o.transfer, o.requestHandoff));
  for (const raw of o.tools) {
    const name = typeof raw['name'] === 'string' ? raw['name'] : String(raw['type']);
    try {
      const handled = secretHandles(raw, open);
      const tool: AssistantTool = assistantToolSchema.parse(handled.tool);
      if (tool.type === 'http') {
        const signing = o.signingSecret;
        if (signing === undefined) throw new Error('the assistant has no signing secret');
        registry.register(
          httpTool(tool, {
            tenantId: o.tenantId,
            sessionId: o.sessionId,
            turnId: o.turnId,
            signingSecret: () => open(signing),
            secret: handled.secret,
            allowPrivate,
            now: () => o.clock.now(),
          }),
        );
        if (tool.speak_while_waiting !== undefined) fillers[tool.name] = tool.speak_while_waiting;
      } else {
        const set = await mcpTools(tool, o, handled.secret);
        closers.push(() => set.close());
        for (const registration of set.registrations) {
          registry.register(registration);
          if (tool.speak_while_waiting !== undefined)
            fillers[registration.name] = tool.speak_while_waiting;
        }
      }
    } catch (err) {
      o.onProblem(name, err);
    }
  }
  return {
    registry,
    fillers,
    async close() {
      await Promise.allSettled(closers.map((close) => close()));
    },
  };
}

/** The tools of an MCP server: an operator's stdio server, or a tenant's URL under the same address rules as HTTP tools. */
async function mcpTools(
  tool: Extract<AssistantTool, { type: 'mcp' }>,
  o: SessionToolsOptions,
  secret: (ref: { secret: string }) => string,
): Promise<McpToolSet> {
  const allow = o.config.agents.tools.allow_private_hosts;
  const spec = createMcpToolSpecSchema({ allowHttp: true }).parse(tool);
  const host = 'url' in spec.server ? new URL(spec.server.url).hostname : undefined;
  return connectMcpTools(spec, {
    stdioServers: o.config.agents.mcp.stdio_servers,
    secret,
    allowHttp: host !== undefined && isPrivateAllowed(allow, host),
    checkUrl: async (url) => {
      const target = await resolveTarget(url.hostname, {
        lookup: systemLookup,
        allowPrivate: isPrivateAllowed(allow, url.hostname),
      });
      if (target.kind !== 'ok') {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `MCP server ${url.host} is not reachable from here (${target.kind === 'blocked' ? target.reason : 'unresolved'}).`,
          details: {
            host: url.host,
            reason: target.kind === 'blocked' ? target.reason : 'unresolved',
          },
        });
      }
    },
    onError: (err, context) => o.onProblem(context, err),
  });
}
