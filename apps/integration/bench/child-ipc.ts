/**
 * The IPC protocol between the load bench and the server it runs in a child
 * process: the child announces its URL, reports its own CPU time and resident
 * memory on request, and stops on request. Kept apart so that the load
 * generator's CPU is never counted as the server's.
 */

/** Parent → child. */
export type ParentMessage =
  | {
      readonly type: 'stats';
      /** Collect garbage (a full GC) after reading the CPU time and before reading the RSS. */
      readonly gc: boolean;
    }
  | { readonly type: 'stop' };

/** CPU and memory of the child process. */
export interface ChildStats {
  /** User + system CPU time since the process started, µs (all threads). */
  readonly cpuUs: number;
  /** Resident set size, bytes. */
  readonly rssBytes: number;
}

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

/**
 * Child side: announces `url`, then answers `stats` and, on `stop`, runs
 * `stop`, reports `stopped` and disconnects so the process can exit.
 */
export function serveParent(opts: {
  readonly url: string;
  readonly info?: Readonly<Record<string, string | number>>;
  readonly stop: () => Promise<void>;
}): void {
  process.on('message', (message: ParentMessage) => {
    switch (message.type) {
      case 'stats': {
        const cpu = process.cpuUsage();
        if (message.gc) collectGarbage();
        send({ type: 'stats', cpuUs: cpu.user + cpu.system, rssBytes: process.memoryUsage.rss() });
        return;
      }
      case 'stop':
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
