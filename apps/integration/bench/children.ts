/**
 * Parent side of the bench's server processes: starts an entry of this folder
 * in its own Node process (TypeScript through tsx, workspace packages from
 * source), waits for its URL, asks it for CPU and memory figures, stops it.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ChildStats, ParentMessage } from './child-ipc.js';

/** A server running in a child process. */
export interface ChildServer {
  readonly pid: number;
  /** Where it listens (`http://…` or `ws://…`). */
  readonly url: string;
  /** What the child reported about itself at start (its effective settings). */
  readonly info: Readonly<Record<string, string | number>>;
  /**
   * Its CPU time and event-loop delay now (the delay figures then start afresh
   * when `resetLoop`) and, after a full GC when `gc`, its resident memory.
   */
  stats(opts?: { readonly gc?: boolean; readonly resetLoop?: boolean }): Promise<ChildStats>;
  /** `performance.now()` (of this process) when the child was forked. */
  readonly forkedAt: number;
  /** Stops it and waits for the process to exit. */
  stop(): Promise<void>;
}

/** Where the children write CPU profiles (`PRX_BENCH_CPU_PROF`), if anywhere. */
const cpuProfDir = process.env['PRX_BENCH_CPU_PROF'] || undefined;

/** The package folder: the child resolves `tsx` and the workspace packages from here. */
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Starts `bench/<entry>` (e.g. `voice-server.ts`) with `env` over this process's (`undefined` removes a variable). */
export async function startChild(
  entry: string,
  env: Readonly<Record<string, string | undefined>> = {},
  timeoutMs = 120_000,
): Promise<ChildServer> {
  const forkedAt = performance.now();
  const child = fork(fileURLToPath(new URL(entry, import.meta.url)), [], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...env },
    execArgv: [
      '--conditions=@prx-voice/source',
      '--import',
      'tsx',
      '--expose-gc',
      // `PRX_BENCH_CPU_PROF=DIR`: each child writes a V8 CPU profile there when it stops.
      ...(cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`]),
    ],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = await new Promise<Extract<ChildMessage, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`bench: ${entry} did not start within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('message', (m: ChildMessage) => {
      if (m.type !== 'ready') return;
      clearTimeout(timer);
      resolve(m);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(`bench: ${entry} exited with ${String(code)} before it was ready\n${stderr}`),
      );
    });
  });
  return {
    pid: child.pid ?? -1,
    url: ready.url,
    info: ready.info,
    forkedAt,
    stats: (opts) => askStats(child, opts?.gc ?? false, opts?.resetLoop ?? false),
    async stop() {
      if (child.exitCode === null && child.connected) {
        await Promise.race([ask(child, { type: 'stop' }, 'stopped'), exited]);
      }
      const done = await Promise.race([
        exited.then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 10_000).unref()),
      ]);
      if (!done) child.kill('SIGKILL');
    },
  };
}

/** Sends `message` and resolves with the child's first answer of type `answer`. */
function ask(
  child: ChildProcess,
  message: ParentMessage,
  answer: ChildMessage['type'],
): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: ChildMessage): void => {
      if (m.type !== answer) return;
      child.off('message', onMessage);
      resolve(m);
    };
    child.on('message', onMessage);
    child.send(message, (err) => {
      if (err !== null) {
        child.off('message', onMessage);
        reject(err);
      }
    });
  });
}

async function askStats(child: ChildProcess, gc: boolean, resetLoop: boolean): Promise<ChildStats> {
  const m = await ask(child, { type: 'stats', gc, resetLoop }, 'stats');
  if (m.type !== 'stats') throw new Error(`bench: expected stats from the child, got ${m.type}`);
  return { cpuUs: m.cpuUs, rssBytes: m.rssBytes, loopP99Ms: m.loopP99Ms, loopMaxMs: m.loopMaxMs };
}
