/**
 * The IPC protocol between the load bench and the server it runs in a child
 * process: the child announces its URL, reports its own CPU time, resident
 * memory and main-thread event-loop delay on request, and stops on request. Kept apart so that the load
 * generator's CPU is never counted as the server's.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Parent → child. */
export type ParentMessage =
  | {
      readonly type: 'stats';
      /** Collect garbage (a full GC) after reading the CPU time and before reading the RSS. */
      readonly gc: boolean;
      /** Start the event-loop delay figures afresh after reading them. */
      readonly resetLoop?: boolean;
    }
  | { readonly type: 'stop' };

/** CPU and memory of the child process. */
export interface ChildStats {
  /** User + system CPU time since the process started, µs (all threads). */
  readonly cpuUs: number;
  /** Resident set size, bytes. */
  readonly rssBytes: number;
  /** Main-thread event-loop delay since the last reset (sampled every {@link LOOP_RESOLUTION_MS} ms), p99, ms. */
  readonly loopP99Ms: number;
  /** The longest single event-loop stall since the last reset, ms. */
  readonly loopMaxMs: number;
}

/**
 * The event-loop delay monitor's sampling period, ms: a stall shorter than this
 * can slip between two samples; the monitor's own timer costs a little CPU.
 */
export const LOOP_RESOLUTION_MS = 2;

/** Child → parent. */
export type ChildMessage =
  | {
      readonly type: 'ready';
      readonly url: string;
      readonly info: Readonly<Record<string, string | number>>;
    }
  | ({ readonly type: 'stats' } & ChildStats)
  | { readonly type: 'stopped' };

/**
 * Two full GCs, when the process runs with `--expose-gc` (the bench starts its
 * children so): what a reading of resident memory at rest needs.
 */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 2; i++) gc?.();
}

function send(message: ChildMessage): void {
  if (process.send === undefined) throw new Error('bench server: no IPC channel to the parent');
  process.send(message);
}

const NS_PER_MS = 1e6;

/**
 * Child side: announces `url`, then answers `stats` and, on `stop`, runs
 * `stop`, reports `stopped` and disconnects so the process can exit.
 */
export function serveParent(opts: {
  readonly url: string;
  readonly info?: Readonly<Record<string, string | number>>;
  readonly stop: () => Promise<void>;
  /**
   * Adds the figures of processes this one runs (a supervisor's workers) to its own:
   * CPU and memory summed, event-loop figures the worst.
   */
  readonly others?: (request: Extract<ParentMessage, { type: 'stats' }>) => Promise<ChildStats[]>;
}): void {
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const own = (message: Extract<ParentMessage, { type: 'stats' }>): ChildStats => {
    const cpu = process.cpuUsage();
    const loopP99Ms = loop.percentile(99) / NS_PER_MS;
    const loopMaxMs = loop.max / NS_PER_MS;
    if (message.resetLoop === true) loop.reset();
    if (message.gc) collectGarbage();
    return {
      cpuUs: cpu.user + cpu.system,
      rssBytes: process.memoryUsage.rss(),
      loopP99Ms,
      loopMaxMs,
    };
  };
  process.on('message', (message: ParentMessage) => {
    switch (message.type) {
      case 'stats': {
        const mine = own(message);
        if (opts.others === undefined) {
          send({ type: 'stats', ...mine });
          return;
        }
        void opts.others(message).then((others) => {
          const all = [mine, ...others];
          send({
            type: 'stats',
            cpuUs: all.reduce((sum, s) => sum + s.cpuUs, 0),
            rssBytes: all.reduce((sum, s) => sum + s.rssBytes, 0),
            loopP99Ms: Math.max(...all.map((s) => s.loopP99Ms)),
            loopMaxMs: Math.max(...all.map((s) => s.loopMaxMs)),
          });
        });
        return;
      }
      case 'stop':
        loop.disable();
        void opts.stop().then(
          () => {
            send({ type: 'stopped' });
            process.disconnect();
          },
          (err: unknown) => {
            process.stderr.write(`bench server: stop failed: ${String(err)}\n`);
            process.exit(1);
          },
        );
        return;
    }
  });
  // The parent went away without a stop: do not linger.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', url: opts.url, info: opts.info ?? {} });
}
