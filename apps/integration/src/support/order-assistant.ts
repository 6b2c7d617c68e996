/**
 * The Pipecat clients' shared fixture: a `prx-voice serve` process (mock ASR, agent and
 * TTS; energy VAD) with a stored assistant whose HTTP tool `lookup_order` answers from a
 * local signed endpoint, and the RTVI messages every Pipecat transport must show when a
 * spoken `call lookup_order {"order_id":"A1"}` runs it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { RtviLog } from './pipecat-node.ts';
import { startServerProcess } from './server-process.ts';
import type { ServerProcess } from './server-process.ts';
import { startHttpToolEndpoint } from './tool-endpoints.ts';

/** A running server with the order assistant; `stop` ends both processes and cleans up. */
export interface OrderAssistantServer {
  readonly server: ServerProcess;
  readonly assistantId: string;
  stop(): Promise<void>;
}

/** Starts the server with API key `key` and stores the assistant `name` with its tool. */
export async function startOrderAssistantServer(
  key: string,
  name: string,
): Promise<OrderAssistantServer> {
  const dir = mkdtempSync(join(tmpdir(), 'prx-orders-'));
  const http = await startHttpToolEndpoint((_, args) => ({
    order_id: args['order_id'],
    status: 'shipped',
  }));
  writeFileSync(
    join(dir, 'config.yaml'),
    ['agents:', '  tools:', '    allow_private_hosts: ["127.0.0.1"]', ''].join('\n'),
  );
  const server = await startServerProcess(dir, {
    PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '300',
    PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: key,
    PRX_VOICE_STORAGE__DATA_DIR: 'data',
    PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
    PRX_VOICE_ADAPTERS__AGENT__OPTIONS: JSON.stringify({ token_delay_ms: 2 }),
  });
  const res = await fetch(`${server.url}/api/v1/assistants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name,
      system_prompt: 'You help with orders.',
      tools: [
        {
          type: 'http',
          name: 'lookup_order',
          description: 'Looks an order up.',
          parameters: { type: 'object', properties: { order_id: { type: 'string' } } },
          http: { url: `${http.url}/orders` },
        },
      ],
    }),
  });
  const created = (await res.json()) as { data: Record<string, unknown> };
  expect(res.status, JSON.stringify(created)).toBe(201);
  http.secret = String(created.data['tool_signing_secret']);
  return {
    server,
    assistantId: String(created.data['id']),
    stop: async () => {
      server.child.kill('SIGTERM');
      await server.exited;
      await http.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const textOf = (d: unknown): string => String((d as { text?: unknown }).text);

/** The function-call messages of `lookup_order` for order A1 from `mark` on, and the result said. */
export function expectOrderLookup(log: RtviLog, mark: number): void {
  expect(log.of('llm-function-call-started', mark)).toEqual([{ function_name: 'lookup_order' }]);
  const [inProgress] = log.of('llm-function-call-in-progress', mark) as Record<string, unknown>[];
  expect(inProgress).toMatchObject({
    function_name: 'lookup_order',
    arguments: { order_id: 'A1' },
  });
  expect(log.of('llm-function-call-stopped', mark)).toEqual([
    {
      function_name: 'lookup_order',
      tool_call_id: inProgress?.['tool_call_id'],
      cancelled: false,
      result: { order_id: 'A1', status: 'shipped' },
    },
  ]);
  expect(log.of('bot-tts-text', mark).map(textOf).join(' ')).toContain(
    'The lookup_order tool returned',
  );
}
