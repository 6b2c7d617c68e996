/**
 * The worker's side of `server.workers`: this process is one instance among the
 * host's workers; a connection for a session a sibling holds is handed to it
 * through the supervisor (the socket itself, with its request as received), and
 * connections handed here are served as if they had arrived here.
 */
import { Socket } from 'node:net';
import type { Server } from 'node:net';
import type { HostMetrics, SocketHandoff } from '@prx-voice/control';
import { isWorkerMessage } from './messages.js';
import type {
  ConnectionHandoff,
  MetricsGather,
  MetricsPart,
  WorkerMessage,
  WorkerReady,
} from './messages.js';

/** How long a scrape waits for the supervisor's gathering before it answers with this worker alone, ms. */
const GATHER_TIMEOUT_MS = 3_000;

function send(message: WorkerMessage): void {
  process.send?.(message);
}

/**
 * This worker's part in a scrape of the host: it answers the supervisor's collections
 * with its own series and, for a scrape that reaches it, gathers every worker's.
 */
export function workerMetrics(instanceId: string): HostMetrics {
  let own: (() => Promise<readonly object[]>) | undefined;
  let next = 0;
  const waiting = new Map<number, (parts: readonly (readonly object[])[]) => void>();
  process.on('message', (message: unknown) => {
    if (isWorkerMessage(message, 'prx-voice:metrics-collect')) {
      const reply = (series: readonly object[]): void => {
        const part: MetricsPart = { type: 'prx-voice:metrics-part', id: message.id, series };
        send(part);
      };
      void (own?.() ?? Promise.resolve([])).then(reply, () => reply([]));
    } else if (isWorkerMessage(message, 'prx-voice:metrics-gathered')) {
      waiting.get(message.id)?.(message.parts);
      waiting.delete(message.id);
    }
  });
  return {
    worker: instanceId,
    provide(series) {
      own = series;
    },
    async gather() {
      const mine = (await own?.()) ?? [];
      if (!process.connected) return [mine];
      const id = ++next;
      const gathered = new Promise<readonly (readonly object[])[]>((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          resolve([mine]);
        }, GATHER_TIMEOUT_MS);
        waiting.set(id, (parts) => {
          clearTimeout(timer);
          resolve(parts);
        });
      });
      const ask: MetricsGather = { type: 'prx-voice:metrics-gather', id };
      send(ask);
      return gathered;
    },
  };
}

/** This worker's handoff: the socket goes to the supervisor, which passes it on. */
export function workerHandoff(instanceId: string): SocketHandoff {
  return {
    instanceId,
    handOff(to, raw, socket) {
      // A plain TCP socket only: a TLS session cannot move (configuration refuses TLS with workers).
      if (!(socket instanceof Socket) || process.send === undefined || !process.connected)
        return false;
      const message: ConnectionHandoff = {
        type: 'prx-voice:handoff',
        to,
        raw: raw.toString('base64'),
      };
      // Once sent, the handle is the supervisor's: this socket only closes (the fd stays open).
      process.send(message, socket, {}, () => socket.destroy());
      return true;
    },
  };
}

/** How often a worker tells its supervisor how many sessions it runs (when that changed), ms. */
const LOAD_REPORT_MS = 200;

/**
 * Serves the connections the supervisor deals to this worker on `server`, and those
 * handed here by a sibling (their request replayed into the HTTP parser); tells the
 * supervisor its live sessions (`live`) as they change. Returns what stops it (once the
 * server has closed: connections dealt after that are refused).
 */
export function receiveConnections(server: Server, live: () => number): () => void {
  let closed = false;
  const onMessage = (message: unknown, handle: unknown): void => {
    if (!(handle instanceof Socket)) return;
    let replay: Buffer | undefined;
    if (isWorkerMessage(message, 'prx-voice:handoff')) replay = Buffer.from(message.raw, 'base64');
    else if (!isWorkerMessage(message, 'prx-voice:connection')) return;
    // Dealt while this worker closes: refused at once rather than left waiting.
    if (closed) {
      handle.destroy();
      return;
    }
    // What the server does to the connections it accepts itself (HTTP's default): no Nagle
    // delay, or 20 ms audio frames wait for the caller's delayed acknowledgements.
    handle.setNoDelay(true);
    server.emit('connection', handle);
    if (replay !== undefined) handle.emit('data', replay);
    handle.resume();
  };
  process.on('message', onMessage);
  let reported = -1;
  const timer = setInterval(() => {
    const now = live();
    if (now === reported || !process.connected) return;
    reported = now;
    send({ type: 'prx-voice:load', live: now });
  }, LOAD_REPORT_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    closed = true;
  };
}

/**
 * `fetch` answering every POST with `Connection: close`: a session lives on the worker
 * whose connection created it, and a client that keeps one connection alive would put
 * all its sessions on one worker; closing after each POST (few: session starts, commands)
 * lets the supervisor deal the next one afresh.
 */
export function closingAfterPost<A extends unknown[]>(
  fetch: (request: Request, ...rest: A) => Response | Promise<Response>,
): (request: Request, ...rest: A) => Promise<Response> {
  return async (request, ...rest) => {
    const response = await fetch(request, ...rest);
    if (request.method !== 'POST') return response;
    try {
      response.headers.set('connection', 'close');
      return response;
    } catch {
      // Immutable headers (a Response of fetch): a copy carries it.
      const headers = new Headers(response.headers);
      headers.set('connection', 'close');
      return new Response(response.body, { status: response.status, headers });
    }
  };
}

/** Tells the supervisor this worker serves. */
export function announceReady(instanceId: string, url: string): void {
  const message: WorkerReady = { type: 'prx-voice:ready', instanceId, url };
  send(message);
}
