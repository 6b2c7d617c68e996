/**
 * The supervisor of `server.workers`: the process that owns the port and runs
 * that many workers (`node:cluster` processes) — each a whole instance with its
 * own instance id, sharing PostgreSQL and Redis like instances on different
 * hosts. It accepts every connection and deals it, unread, to the worker running
 * the fewest sessions (counting the connections dealt since it last said); a
 * connection for a session that another worker holds is passed on to it here. A
 * worker that dies is replaced; its sessions are recovered by its siblings as an
 * instance lost (the multi-instance machinery). The supervisor loads no server code.
 */
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { isWorkerMessage } from './messages.js';
import type { ConnectionDealt, MetricsCollect, MetricsGathered } from './messages.js';

/** How long a gathering of the workers' metrics waits for a slow worker, ms (it is left out). */
const COLLECT_TIMEOUT_MS = 2_000;

/** How long a dead worker's slot waits before its replacement starts, ms (doubling while it keeps dying). */
const RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that served this long resets its slot's restart delay, ms. */
const STABLE_AFTER_MS = 60_000;

/** What the supervisor runs. */
export interface SupervisorOptions {
  /** How many workers. */
  readonly count: number;
  /** The configured instance id; worker `i`'s is `<base>-w<i>-<start>` (every start a new instance). */
  readonly instanceBase: string;
  /** Where the supervisor's lines go. */
  readonly log: (line: string) => void;
  /** Extra environment of every worker. */
  readonly env?: Readonly<Record<string, string>>;
  /** Where to listen (`server.host`, `server.port`; port 0 picks one). */
  readonly listen: { readonly host: string; readonly port: number };
}

/** A running supervisor. */
export interface Supervisor {
  /** Resolves with the URL once every worker serves; rejects if one dies before it does. */
  readonly ready: Promise<{ readonly url: string; readonly instances: readonly string[] }>;
  /** The live workers by instance id. */
  workers(): ReadonlyMap<string, Worker>;
  /** Connections passed from the worker that took them to the one holding their session, so far. */
  readonly handedOff: number;
  /** Connections dealt so far, per worker slot. */
  readonly dealt: readonly number[];
  /** Asks every worker to drain (SIGTERM) and resolves when all have exited. */
  stop(): Promise<void>;
}

interface Slot {
  readonly index: number;
  worker?: Worker;
  instanceId?: string;
  readyAt?: number;
  delayMs: number;
  /** Sessions it last said it runs. */
  live: number;
  /** Connections dealt to it since it last said. */
  pending: number;
  /** Connections dealt to it in all. */
  dealt: number;
}

/** Starts the workers; call from the primary process only. */
export function startSupervisor(opts: SupervisorOptions): Supervisor {
  if (!cluster.isPrimary) throw new Error('the supervisor runs in the primary process');
  const slots: Slot[] = Array.from({ length: opts.count }, (_, index) => ({
    index,
    delayMs: RESTART_DELAY_MS,
    live: 0,
    pending: 0,
    dealt: 0,
  }));
  const byInstance = new Map<string, Worker>();
  let starts = 0;
  let handedOff = 0;
  let stopping = false;
  let started = false;
  let settle: {
    resolve: (v: { url: string; instances: string[] }) => void;
    reject: (e: Error) => void;
  };
  const ready = new Promise<{ url: string; instances: string[] }>((resolve, reject) => {
    settle = { resolve, reject };
  });
  let url = '';
  let port = 0;
  let turn = 0;
  const restarts = new Set<NodeJS.Timeout>();

  const fork = (slot: Slot): void => {
    starts += 1;
    const instanceId = `${opts.instanceBase.slice(0, 48)}-w${slot.index}-${starts}`;
    const worker = cluster.fork({
      ...opts.env,
      PRX_VOICE_DEPLOY__INSTANCE_ID: instanceId,
      // The port this supervisor listens on: the worker's URL.
      PRX_VOICE_SERVER__PORT: String(port),
    });
    slot.worker = worker;
    delete slot.readyAt;
    slot.instanceId = instanceId;
    slot.live = 0;
    slot.pending = 0;
    worker.on('message', (message: unknown, handle: unknown) => {
      if (isWorkerMessage(message, 'prx-voice:load')) {
        slot.live = message.live;
        slot.pending = 0;
        return;
      }
      if (isWorkerMessage(message, 'prx-voice:ready')) {
        byInstance.set(message.instanceId, worker);
        slot.readyAt = Date.now();
        url = message.url;
        if (!started && slots.every((s) => s.readyAt !== undefined)) {
          started = true;
          settle.resolve({ url, instances: slots.map((x) => x.instanceId ?? '') });
        } else if (started) opts.log(`worker ${slot.index} (${message.instanceId}) serves again`);
        return;
      }
      if (isWorkerMessage(message, 'prx-voice:metrics-gather')) {
        void collectMetrics().then((parts) => {
          const answer: MetricsGathered = {
            type: 'prx-voice:metrics-gathered',
            id: message.id,
            parts,
          };
          if (worker.isConnected()) worker.send(answer);
        });
        return;
      }
      if (isWorkerMessage(message, 'prx-voice:metrics-part')) {
        collecting.get(message.id)?.(worker, message.series);
        return;
      }
      if (isWorkerMessage(message, 'prx-voice:handoff')) {
        const socket = handle as Socket | undefined;
        if (socket === undefined) return;
        // To the holder; else back where it came from, which serves it (it is marked handed off).
        const target = byInstance.get(message.to);
        const to = target?.isConnected() === true ? target : worker;
        if (to !== worker) handedOff += 1;
        // Sent, the socket's handle is the receiver's; this copy is destroyed (its close tells
        // the sending worker's server, which counts it until then, that it is gone from here).
        to.send(message, socket, () => socket.destroy());
      }
    });
  };

  /** Every serving worker's metric series, those that answer within the timeout. */
  const collecting = new Map<number, (from: Worker, series: readonly object[]) => void>();
  let collections = 0;
  function collectMetrics(): Promise<(readonly object[])[]> {
    const id = ++collections;
    const asked = [...byInstance.values()].filter((w) => w.isConnected());
    const parts = new Map<Worker, readonly object[]>();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        collecting.delete(id);
        resolve([...parts.values()]);
      };
      const timer = setTimeout(done, COLLECT_TIMEOUT_MS);
      collecting.set(id, (from, series) => {
        parts.set(from, series);
        if (parts.size === asked.length) done();
      });
      const ask: MetricsCollect = { type: 'prx-voice:metrics-collect', id };
      for (const w of asked) w.send(ask);
      if (asked.length === 0) done();
    });
  }

  cluster.on('exit', (worker: Worker, code: number, signal: string | null) => {
    const slot = slots.find((s) => s.worker === worker);
    if (slot === undefined) return;
    if (slot.instanceId !== undefined) byInstance.delete(slot.instanceId);
    delete slot.worker;
    if (stopping) return;
    // A worker that exited on its own has no signal (Node's types say string).
    const how = signal === null ? `exit code ${String(code)}` : `signal ${signal}`;
    if (!started) {
      // A worker that cannot start (configuration, storage) would fail again: stop them all.
      settle.reject(new Error(`worker ${slot.index} stopped before it served (${how})`));
      void stop();
      return;
    }
    const served = slot.readyAt === undefined ? 0 : Date.now() - slot.readyAt;
    if (served >= STABLE_AFTER_MS) slot.delayMs = RESTART_DELAY_MS;
    opts.log(
      `worker ${slot.index} (${slot.instanceId ?? '?'}) stopped (${how}); a new one starts in ${slot.delayMs} ms, its sessions are recovered by the others`,
    );
    const delay = slot.delayMs;
    slot.delayMs = Math.min(MAX_RESTART_DELAY_MS, slot.delayMs * 2);
    // Held (not unref'd): with every worker dead, the replacement is what keeps this process.
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) fork(slot);
    }, delay);
    restarts.add(timer);
  });

  async function stop(): Promise<void> {
    stopping = true;
    listener.close();
    for (const timer of restarts) clearTimeout(timer);
    restarts.clear();
    const live = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(
      live.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) {
              resolve();
              return;
            }
            worker.once('exit', () => resolve());
            worker.process.kill('SIGTERM');
          }),
      ),
    );
  }

  /** Gives an accepted connection, unread, to the least busy serving worker. */
  function deal(socket: Socket): void {
    let best: Slot | undefined;
    for (let k = 0; k < slots.length; k++) {
      // Ties go round in turn.
      const slot = slots[(turn + k) % slots.length];
      if (slot?.readyAt === undefined || slot.worker?.isConnected() !== true) continue;
      if (best === undefined || slot.live + slot.pending < best.live + best.pending) best = slot;
    }
    turn += 1;
    const worker = best?.worker;
    if (best === undefined || worker === undefined) {
      socket.destroy(); // no worker serves (all restarting)
      return;
    }
    best.pending += 1;
    best.dealt += 1;
    const message: ConnectionDealt = { type: 'prx-voice:connection' };
    worker.send(message, socket, () => socket.destroy());
  }

  const listener = createServer({ pauseOnConnect: true }, deal);
  listener.on('error', (error) => {
    if (!started) settle.reject(error);
    else opts.log(`listening failed: ${error.message}`);
  });
  listener.listen({ port: opts.listen.port, host: opts.listen.host }, () => {
    port = (listener.address() as AddressInfo).port;
    for (const slot of slots) fork(slot);
  });
  return {
    ready,
    workers: () => byInstance,
    get handedOff() {
      return handedOff;
    },
    get dealt() {
      return slots.map((slot) => slot.dealt);
    },
    stop,
  };
}
