import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VoiceError } from '@prx-voice/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMcpTools, mcpToolSpecSchema } from './mcp-tools.js';
import type { McpToolSet, McpToolsContext } from './mcp-tools.js';

/** The SDK's ESM entry points, by absolute URL, so the child finds them from a temp dir. */
const sdkUrl = (entry: string): string => import.meta.resolve(`@modelcontextprotocol/sdk/${entry}`);

/** A stdio MCP server: `whoami` answers its pid, `add` adds; every spawn is logged to a file. */
const serverScript = (spawnLog: string): string => `
import { appendFileSync } from 'node:fs';
import { Server } from ${JSON.stringify(sdkUrl('server/index.js'))};
import { StdioServerTransport } from ${JSON.stringify(sdkUrl('server/stdio.js'))};
import { CallToolRequestSchema, ListToolsRequestSchema } from ${JSON.stringify(sdkUrl('types.js'))};

appendFileSync(${JSON.stringify(spawnLog)}, process.pid + '\\n');
process.stderr.write('stdio test server up\\n');
const server = new Server({ name: 'stdio-test', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, () => ({
  tools: [
    { name: 'whoami', description: 'The server pid.', inputSchema: { type: 'object', properties: {} } },
    {
      name: 'add',
      description: 'Adds two numbers.',
      inputSchema: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { a: { type: 'number' }, b: { type: 'number' }, note: { type: ['string', 'null'], format: 'uuid' } },
        required: ['a', 'b'],
        additionalProperties: false,
      },
    },
  ],
}));
server.setRequestHandler(CallToolRequestSchema, (request) => {
  const args = request.params.arguments ?? {};
  if (request.params.name === 'whoami') return { content: [{ type: 'text', text: String(process.pid) }] };
  return { content: [{ type: 'text', text: String(Number(args.a) + Number(args.b)) }] };
});
await server.connect(new StdioServerTransport());
`;

let dir: string;
let spawnLog: string;
const reported: { error: unknown; context: string }[] = [];
let ctx: McpToolsContext;

const spec = (stdio: string) =>
  mcpToolSpecSchema.parse({ type: 'mcp', server: { stdio }, allow: ['whoami', 'add'] });

async function spawned(): Promise<number[]> {
  const text = await readFile(spawnLog, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
}

async function callText(
  set: McpToolSet,
  name: string,
  args: Record<string, unknown> = {},
): Promise<unknown> {
  const registration = set.registrations.find((r) => r.name === name);
  if (registration === undefined) throw new Error(`no tool ${name}`);
  return registration.handler(args, { signal: new AbortController().signal, callId: name });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'prx-mcp-stdio-'));
  spawnLog = join(dir, 'spawns.log');
  const script = join(dir, 'server.mjs');
  await writeFile(script, serverScript(spawnLog));
  ctx = {
    stdioServers: {
      calc: { command: process.execPath, args: [script] },
      missing: { command: join(dir, 'no-such-command') },
    },
    secret: () => {
      throw new Error('no secrets here');
    },
    checkUrl: () => Promise.reject(new Error('no URLs here')),
    onError: (error, context) => reported.push({ error, context }),
  };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('connectMcpTools over stdio', () => {
  it('lists and calls tools, and respawns a killed server on the next call', async () => {
    const set = await connectMcpTools(spec('calc'), ctx);
    try {
      expect(set.registrations.map((r) => r.name)).toEqual(['whoami', 'add']);
      const add = set.registrations[1];
      expect(add?.parameters).toEqual({
        type: 'object',
        properties: {
          a: { type: 'number' },
          b: { type: 'number' },
          note: { type: 'string', description: '(format: uuid)' },
        },
        required: ['a', 'b'],
        additionalProperties: false,
      });
      await expect(callText(set, 'add', { a: 2, b: 3 })).resolves.toBe('5');
      const first = Number(await callText(set, 'whoami'));
      expect(await spawned()).toEqual([first]);

      process.kill(first, 'SIGKILL');
      await until(() => reported.some((r) => r.context.endsWith('closed')));
      expect(alive(first)).toBe(false);

      const second = Number(await callText(set, 'whoami'));
      expect(second).not.toBe(first);
      expect(await spawned()).toEqual([first, second]);
      await expect(callText(set, 'add', { a: 1, b: 1 })).resolves.toBe('2');
    } finally {
      await set.close();
    }
    const pids = await spawned();
    await until(() => pids.every((pid) => !alive(pid)));
  });

  it('fails clearly when the command does not exist', async () => {
    const error = await connectMcpTools(spec('missing'), ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(VoiceError.is(error) && error.code).toBe('PROVIDER_UNAVAILABLE');
    expect((error as VoiceError).message).toMatch(/stdio:missing.*ENOENT/);
  });

  it('refuses a stdio name the operator did not configure', async () => {
    const error = await connectMcpTools(spec('nope'), ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(VoiceError.is(error) && error.code).toBe('VALIDATION_FAILED');
    expect((error as VoiceError).message).toContain('"nope"');
    expect((error as VoiceError).details).toMatchObject({
      server: 'nope',
      reason: 'unknown_stdio_server',
    });
  });
});
