/**
 * Parent side of the bench's child processes: starts an entry of this folder
 * in its own Node process (TypeScript through tsx, workspace packages from
 * source), keeps the tail of its stderr for error messages, and asks it
 * questions over IPC. The servers (voice, echo) answer the protocol of
 * `child-ipc.ts`: their URL, CPU and memory figures, stop; the load generators
 * answer theirs (`generator-ipc.ts`).
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

/** A bench entry running in a child process, whatever it speaks over IPC. */
export interface BenchChild {
  readonly process: ChildProcess;
  /** `performance.now()` (of this process) when the child was forked. */
  readonly forkedAt: number;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<string>;
  /** The last few KB of its stderr. */
  stderrTail(): string;
  /** Kills it (SIGKILL) unless it exited within `graceMs` of now. */
  reap(graceMs: number): Promise<void>;
}

/** Where the children write CPU profiles (`PRX_BENCH_CPU_PROF`), if anywhere. */
const cpuProfDir = process.env['PRX_BENCH_CPU_PROF'] || undefined;

/** The package folder: the child resolves `tsx` and the workspace packages from here. */
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Forks `bench/<entry>` with `env` over this process's (`undefined` removes a variable). */
export function forkBenchChild(
  entry: string,
  env: Readonly<Record<string, string | undefined>> = {},
): BenchChild {
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
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? String(code))),
  );
  return {
    process: child,
    forkedAt,
    exited,
    stderrTail: () => stderr,
    async reap(graceMs) {
      const done = await Promise.race([
        exited.then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), graceMs).unref()),
      ]);
      if (!done) child.kill('SIGKILL');
    },
  };
}

/**
 * The child's first message that `accept` takes, within `timeoutMs`. Rejects with
 * `what`, the child's exit code and stderr when it exits or stays silent first.
 */
export function nextMessage<M, T extends M>(
  child: BenchChild,
  accept: (m: M) => m is T,
  opts: { readonly what: string; readonly timeoutMs: number },
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: M): void => {
      if (!accept(m)) return;
      done();
      resolve(m);
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new Error(`${opts.what}: no answer within ${opts.timeoutMs} ms\n${child.stderrTail()}`),
      );
    }, opts.timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      child.process.off('message', onMessage);
    };
    child.process.on('message', onMessage);
    void child.exited.then((code) => {
      done();
      reject(new Error(`${opts.what}: the process exited (${code})\n${child.stderrTail()}`));
    });
  });
}

/** Sends `message` to the child; rejects when the channel is gone. */
export function sendTo(child: BenchChild, message: object): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!child.process.connected) {
      reject(new Error(`bench: the child process is gone\n${child.stderrTail()}`));
      return;
    }
    child.process.send(message, (err) => (err === null ? resolve() : reject(err)));
  });
}

const isType =
  <T extends ChildMessage['type']>(type: T) =>
  (m: ChildMessage): m is Extract<ChildMessage, { type: T }> =>
    m.type === type;

/** Starts `bench/<entry>` (e.g. `voice-server.ts`) with `env` over this process's (`undefined` removes a variable). */
export async function startChild(
  entry: string,
  env: Readonly<Record<string, string | undefined>> = {},
  timeoutMs = 120_000,
): Promise<ChildServer> {
  const child = forkBenchChild(entry, env);
  let ready: Extract<ChildMessage, { type: 'ready' }>;
  try {
    ready = await nextMessage(child, isType('ready'), { what: `bench: ${entry} start`, timeoutMs });
  } catch (err) {
    child.process.kill();
    throw err;
  }
  /** Sends `message` and resolves with the child's first answer of type `answer`. */
  const ask = async <T extends ChildMessage['type']>(
    message: ParentMessage,
    answer: T,
    askTimeoutMs: number,
  ): Promise<Extract<ChildMessage, { type: T }>> => {
    const reply = nextMessage(child, isType(answer), {
      what: `bench: ${entry} ${message.type}`,
      timeoutMs: askTimeoutMs,
    });
    await sendTo(child, message);
    return reply;
  };
  return {
    pid: child.process.pid ?? -1,
    url: ready.url,
    info: ready.info,
    forkedAt: child.forkedAt,
    async stats(opts) {
      const m = await ask(
        { type: 'stats', gc: opts?.gc ?? false, resetLoop: opts?.resetLoop ?? false },
        'stats',
        60_000,
      );
      return {
        cpuUs: m.cpuUs,
        rssBytes: m.rssBytes,
        loopP99Ms: m.loopP99Ms,
        loopMaxMs: m.loopMaxMs,
      };
    },
    async stop() {
      if (child.process.exitCode === null && child.process.connected) {
        await ask({ type: 'stop' }, 'stopped', 30_000).catch(() => undefined);
      }
      await child.reap(10_000);
    },
  };
}
