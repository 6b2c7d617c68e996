/** The `agents` section: what tenants' assistants may reach with their tools. */
import { z } from 'zod';
import { integerIn, nonEmptyString } from './schema-helpers.js';

/** An operator-configured MCP server run over stdio (tenants name it; they never supply commands). */
const stdioServerSchema = z.strictObject({
  command: nonEmptyString('a command'),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).optional(),
  cwd: nonEmptyString('a directory').optional(),
});

/** The `agents` section. */
export const agentsSchema = z.strictObject({
  tools: z
    .strictObject({
      /**
       * Hosts tools may reach even though they resolve to private, loopback or link-local
       * addresses (and over plain http); `true` allows every host. Default: none.
       */
      allow_private_hosts: z
        .union([z.literal(true), z.array(nonEmptyString('a host'))])
        .default([]),
      /**
       * How long a tool round may run before its tool's `speak_while_waiting` line is said
       * (a faster tool says nothing), in ms: 0–10000, default 300.
       */
      filler_grace_ms: integerIn(0, 10_000).default(300),
    })
    .prefault({}),
  mcp: z
    .strictObject({
      /** MCP servers run over stdio, by the name assistants use (`{"stdio": name}`). */
      stdio_servers: z
        .record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/), stdioServerSchema)
        .default({}),
    })
    .prefault({}),
});

/** The validated `agents` section. */
export type AgentsConfig = z.output<typeof agentsSchema>;
