/**
 * The load generator: N callers (`caller.ts`) at once against one server, each
 * on its own WebSocket, and what they measured.
 */
import { WebSocket } from 'ws';
import { Caller } from './caller.js';
import type { CallerKind, LoadOptions, TurnRecord } from './caller.js';

/** What the callers talk to. */
export interface LoadTarget {
  readonly kind: CallerKind;
  /** Prepares session `index`; resolves with the WebSocket URL to connect to. */
  readonly open: (index: number) => Promise<string>;
}

/** The outcome of one load run. */
export interface LoadRun {
  readonly turns: readonly TurnRecord[];
  /** Callers that failed (timeout, socket closed or error), with the reason. */
  readonly failures: readonly string[];
  /** Sum over the callers of their streaming time, s. */
  readonly sessionSeconds: number;
  /** CPU time of this (the load generator's) process while streaming, ms. */
  readonly clientCpuMs: number;
  /** Wall time of the streaming, ms. */
  readonly wallMs: number;
}

/** Called around the streaming phase (all sockets open before, all still open after). */
export interface LoadHooks {
  readonly beforeStreaming?: () => Promise<void>;
  readonly afterStreaming?: () => Promise<void>;
}

/** `fn` over `0 … count − 1`, at most `limit` at a time, results in order. */
export async function mapLimit<T>(
  count: number,
  limit: number,
  fn: (i: number) => Promise<T>,
): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return out;
}

function connect(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Closes a socket (after `end` for the voice server), giving up after a few seconds. */
async function hangUp(ws: WebSocket, kind: CallerKind): Promise<void> {
  if (ws.readyState === ws.OPEN) {
    if (kind === 'voice') ws.send(JSON.stringify({ type: 'end' }));
    else ws.close(1000);
  }
  if (ws.readyState !== ws.CLOSED) {
    const closed = new Promise((resolve) => ws.once('close', resolve));
    await Promise.race([closed, new Promise((r) => setTimeout(r, 5_000))]);
  }
  ws.terminate();
}

/** Opens `sessions` sessions, streams the turns on all of them at once, closes them. */
export async function runLoad(
  target: LoadTarget,
  opts: LoadOptions,
  hooks: LoadHooks = {},
): Promise<LoadRun> {
  const urls = await mapLimit(opts.sessions, 8, target.open);
  const sockets = await mapLimit(opts.sessions, 16, (i) => connect(urls[i] ?? ''));
  const callers = sockets.map((ws, i) => new Caller(ws, i, target.kind, opts));
  try {
    await hooks.beforeStreaming?.();
    const cpu = process.cpuUsage();
    const start = performance.now();
    callers.forEach((c, i) => c.start(start + (i * opts.staggerMs) / opts.sessions));
    await Promise.all(callers.map((c) => c.finished));
    const wallMs = performance.now() - start;
    const used = process.cpuUsage(cpu);
    await hooks.afterStreaming?.();
    return {
      turns: callers.flatMap((c) => c.records),
      failures: callers.flatMap((c) => (c.failure === undefined ? [] : [c.failure])),
      sessionSeconds: callers.reduce((sum, c) => sum + (c.endedAt - c.startedAt) / 1000, 0),
      clientCpuMs: (used.user + used.system) / 1000,
      wallMs,
    };
  } finally {
    await Promise.all(sockets.map((ws) => hangUp(ws, target.kind)));
  }
}
