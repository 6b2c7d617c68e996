/**
 * A session's tools: its assistant's HTTP tools (signed with the assistant's secret,
 * reaching only public addresses unless `agents.tools.allow_private_hosts` says
 * otherwise) and MCP servers' tools, in one registry the session's agent sees. A tool
 * that cannot be set up (an MCP server that does not answer) is left out and reported;
 * the session starts without it.
 */
import type { Clock, Config } from '@prx-voice/core';
import { createToolRegistry } from '@prx-voice/session';
import type { ToolRegistry } from '@prx-voice/session';
import { VoiceError } from '@prx-voice/types';
import type { AssistantTool } from './assistant-definition.js';
import { assistantToolSchema } from './assistant-definition.js';
import { httpTool } from './http-tool.js';
import { connectMcpTools, createMcpToolSpecSchema } from './mcp-tools.js';
import type { McpToolSet } from './mcp-tools.js';
import { isPrivateAllowed, resolveTarget, systemLookup } from './ssrf.js';

/** What a session's tools are built from. */
export interface SessionToolsOptions {
  readonly config: Config;
  readonly clock: Pick<Clock, 'now'>;
  readonly tenantId: string;
  readonly sessionId: string;
  readonly tools: readonly Readonly<Record<string, unknown>>[];
  /** Signs the HTTP tools' requests (the assistant's secret). */
  readonly signingSecret: string | undefined;
  /** The turn in progress, for the requests' `x-prx-turn-id`. */
  readonly turnId: () => string | undefined;
  /** A tool left out, and why. */
  readonly onProblem: (tool: string, error: unknown) => void;
}

/** A session's tools, and what to close when it ends. */
export interface SessionTools {
  readonly registry: ToolRegistry;
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
  const closers: (() => Promise<void>)[] = [];
  const allowPrivate = o.config.agents.tools.allow_private_hosts;
  for (const raw of o.tools) {
    const name = typeof raw['name'] === 'string' ? raw['name'] : String(raw['type']);
    try {
      const tool: AssistantTool = assistantToolSchema.parse(raw);
      if (tool.type === 'http') {
        if (o.signingSecret === undefined) throw new Error('the assistant has no signing secret');
        registry.register(
          httpTool(tool, {
            tenantId: o.tenantId,
            sessionId: o.sessionId,
            turnId: o.turnId,
            signingSecret: o.signingSecret,
            secret: (ref) => ref.secret,
            allowPrivate,
            now: () => o.clock.now(),
          }),
        );
      } else {
        const set = await mcpTools(tool, o);
        closers.push(() => set.close());
        for (const registration of set.registrations) registry.register(registration);
      }
    } catch (err) {
      o.onProblem(name, err);
    }
  }
  return {
    registry,
    async close() {
      await Promise.allSettled(closers.map((close) => close()));
    },
  };
}

/** The tools of an MCP server: an operator's stdio server, or a tenant's URL under the same address rules as HTTP tools. */
async function mcpTools(
  tool: Extract<AssistantTool, { type: 'mcp' }>,
  o: SessionToolsOptions,
): Promise<McpToolSet> {
  const allow = o.config.agents.tools.allow_private_hosts;
  const spec = createMcpToolSpecSchema({ allowHttp: true }).parse(tool);
  const host = 'url' in spec.server ? new URL(spec.server.url).hostname : undefined;
  return connectMcpTools(spec, {
    stdioServers: o.config.agents.mcp.stdio_servers,
    secret: (ref) => ref.secret,
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
