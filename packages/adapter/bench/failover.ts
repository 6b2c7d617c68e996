/**
 * The time a failover takes, over real HTTP on loopback: an OpenAI-compatible
 * chain whose primary is refused at connect, answers 503, or drops the stream
 * after its first token, measured as time to the first token of the answer
 * (and, mid-stream, from the drop to the secondary's first token), against the
 * secondary alone; then the same once the primary's breaker is open (skipped
 * without a request), and a TTS chain whose primary breaks mid-segment.
 */
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  createCircuitBreaker,
  createFailoverAgent,
  createFailoverTts,
  createMockTts,
  createOpenAiCompatibleAgent,
  providerError,
} from '@prx-voice/adapter';
import type { AgentProvider, CircuitBreaker } from '@prx-voice/adapter';
import { createFakeTts } from '@prx-voice/adapter/testing';
import { systemClock } from '@prx-voice/core';

type Mode = 'ok' | 'refuse' | '503' | 'drop';

/** When the primary last cut a stream (server and client share the process and its clock). */
let droppedAt = NaN;

function chunk(content: string | null, finish: string | null = null): string {
  return `data: ${JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1_767_225_600,
    model: 'bench',
    choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
  })}\n\n`;
}

/** A Chat Completions server; `mode` decides how it answers. */
async function chatServer(mode: () => Mode): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const m = mode();
      if (m === '503') {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(
          '{"error":{"message":"overloaded","type":"server_error","param":null,"code":null}}',
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk('Hello'));
      if (m === 'drop') {
        setTimeout(() => {
          droppedAt = performance.now();
          res.socket?.destroy();
        }, 5);
        return;
      }
      res.write(chunk(' there.'));
      res.write(chunk(null, 'stop'));
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/v1`, server };
}

async function refusedUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${String(port)}/v1`;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** A provider bound to one base URL (options come with each request). */
function bound(url: string): AgentProvider {
  const agent = createOpenAiCompatibleAgent({
    clock: systemClock,
    env: { OPENAI_API_KEY: 'sk-bench' },
  });
  return {
    id: url,
    run: (request) => agent.run({ ...request, options: { base_url: url, model: 'bench' } }),
  };
}

/** ms to the first token, and from a mid-stream drop to the next token. */
async function firstToken(agent: AgentProvider): Promise<{ first: number; afterDrop: number }> {
  const start = performance.now();
  let first = NaN;
  let seen = 0;
  let afterDrop = NaN;
  droppedAt = NaN;
  for await (const e of agent.run({
    conversation: [{ role: 'user', content: 'hi' }],
    tools: [],
    signal: new AbortController().signal,
  })) {
    if (e.type !== 'token') continue;
    seen += 1;
    if (seen === 1) first = performance.now() - start;
    // The secondary's first token after the primary's one: the continuation.
    if (seen === 2 && Number.isFinite(droppedAt)) afterDrop = performance.now() - droppedAt;
  }
  return { first, afterDrop };
}

/** Prints the failover-time table; `runs` measurements per case after warm-up. */
export async function benchFailover(runs = 40): Promise<void> {
  const secondary = await chatServer(() => 'ok');
  let primaryMode: Mode = 'ok';
  const primary = await chatServer(() => primaryMode);
  const refused = await refusedUrl();
  const rows: string[][] = [];
  const chainOf = (first: string, breaker: CircuitBreaker): AgentProvider =>
    createFailoverAgent({
      clock: systemClock,
      members: [
        { provider: bound(first), breaker },
        { provider: bound(secondary.url), breaker: createCircuitBreaker({ clock: systemClock }) },
      ],
      onFallback: () => undefined,
    });
  const measure = async (
    label: string,
    make: () => AgentProvider,
    field: 'first' | 'afterDrop' = 'first',
  ) => {
    const times: number[] = [];
    for (let i = 0; i < runs + 5; i++) {
      const t = await firstToken(make());
      if (i >= 5) times.push(t[field]);
    }
    rows.push([label, percentile(times, 50).toFixed(2), percentile(times, 99).toFixed(2)]);
  };
  // A fresh breaker per run, so each one takes the failover path.
  const fresh = () => createCircuitBreaker({ clock: systemClock, failureThreshold: 1_000 });
  await measure('secondary alone (baseline): first token', () => bound(secondary.url));
  await measure('primary refused at connect → secondary: first token', () =>
    chainOf(refused, fresh()),
  );
  primaryMode = '503';
  await measure('primary 503 → secondary: first token', () => chainOf(primary.url, fresh()));
  primaryMode = 'drop';
  await measure(
    'primary drops mid-stream → secondary: drop to next token',
    () => chainOf(primary.url, fresh()),
    'afterDrop',
  );
  const open = createCircuitBreaker({ clock: systemClock, failureThreshold: 1, openMs: 3_600_000 });
  open.onFailure();
  await measure('primary breaker open (skipped) → secondary: first token', () =>
    chainOf(primary.url, open),
  );

  // TTS: the primary breaks after 100 ms of audio; time from its failure to the secondary's audio.
  const ttsTimes: number[] = [];
  for (let i = 0; i < runs + 5; i++) {
    const failing = createFakeTts({
      clock: systemClock,
      id: 'breaks',
      failAfterChunks: 5,
      failure: providerError('PROVIDER_UNAVAILABLE', {
        provider: 'breaks',
        message: 'socket closed',
        fallback: true,
      }),
    });
    const tts = createFailoverTts({
      clock: systemClock,
      members: [
        { provider: failing, breaker: createCircuitBreaker({ clock: systemClock }) },
        { provider: createMockTts(), breaker: createCircuitBreaker({ clock: systemClock }) },
      ],
      onFallback: () => undefined,
    });
    let chunks = 0;
    let failedAt = NaN;
    let gap = NaN;
    for await (const e of tts.synthesize({
      text: 'One sentence of speech to synthesize for the benchmark.',
      sampleRate: 24000,
      signal: new AbortController().signal,
    })) {
      if (e.type !== 'audio') continue;
      chunks += 1;
      if (chunks === 5) failedAt = performance.now();
      if (chunks === 6) gap = performance.now() - failedAt;
    }
    if (i >= 5) ttsTimes.push(gap);
  }
  rows.push([
    'TTS primary breaks mid-segment → secondary: last chunk to next chunk',
    percentile(ttsTimes, 50).toFixed(2),
    percentile(ttsTimes, 99).toFixed(2),
  ]);

  const widths = [Math.max(...rows.map((r) => r[0]?.length ?? 0)), 8, 8];
  console.log(`\nFailover time over loopback (ms, ${String(runs)} runs each)`);
  console.log(`${''.padEnd(widths[0] ?? 0)}  ${'p50'.padStart(8)}  ${'p99'.padStart(8)}`);
  for (const [label = '', p50 = '', p99 = ''] of rows)
    console.log(`${label.padEnd(widths[0] ?? 0)}  ${p50.padStart(8)}  ${p99.padStart(8)}`);
  console.log(
    'A failover costs the failed attempt plus a new request; the first-byte timeout (not measured here) bounds a silent primary.',
  );
  await new Promise<void>((r) => primary.server.close(() => r()));
  await new Promise<void>((r) => secondary.server.close(() => r()));
}

if (process.argv[1]?.endsWith('failover.ts') === true) await benchFailover();
