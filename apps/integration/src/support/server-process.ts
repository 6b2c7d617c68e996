/**
 * The `prx-voice serve` binary as a child process, run from sources (no build):
 * `node --conditions=@prx-voice/source --import tsx apps/server/src/main.ts serve`; or, with
 * `built`, as installed: the bundle `pnpm build` wrote (`apps/server/dist/bundle/main.js`).
 * The server picks its port (`PRX_VOICE_SERVER__PORT=0`) and the URL is read from
 * the line it prints when listening.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll } from 'vitest';

const require = createRequire(import.meta.url);
const serverPackage = require.resolve('@prx-voice/server/package.json');
/** The binary's entry, from sources. */
const MAIN = join(dirname(serverPackage), 'src', 'main.ts');
/** The built binary, what `pnpm start` and the package's `bin` run. */
export const BUILT_MAIN = join(dirname(serverPackage), 'dist', 'bundle', 'main.js');
/** tsx's loader, resolved from the server package (a dev dependency there). */
const TSX = pathToFileURL(createRequire(serverPackage).resolve('tsx')).href;

/** A running server process. */
export interface ServerProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:port`. */
  readonly url: string;
  /** Every line printed on stdout so far. */
  readonly out: readonly string[];
  /** The first stdout line matching, printed already or still to come; rejects if the process exits first. */
  line(pattern: RegExp): Promise<string>;
  /** Resolves with the exit code (or the signal that killed it) when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** How the binary runs: from sources (default), built, or from another entry. */
export interface ServerProcessOptions {
  /** The bundle `pnpm build` wrote ({@link BUILT_MAIN}). */
  readonly built?: boolean;
  /** This entry file instead (an installed copy of the binary). */
  readonly main?: string;
}

/**
 * Starts `prx-voice serve` in `cwd` with `env` on top of a clean environment
 * (no inherited `PRX_VOICE_*`, `DATABASE_URL` or `REDIS_URL`).
 */
export async function startServerProcess(
  cwd: string,
  env: Record<string, string>,
  opts: ServerProcessOptions = {},
): Promise<ServerProcess> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith('PRX_VOICE_') && k !== 'DATABASE_URL' && k !== 'REDIS_URL',
    ),
  );
  const child = spawn(
    process.execPath,
    opts.main !== undefined
      ? [opts.main, 'serve']
      : opts.built === true
        ? [BUILT_MAIN, 'serve']
        : ['--conditions=@prx-voice/source', '--import', TSX, MAIN, 'serve'],
    {
      cwd,
      env: { ...base, PRX_VOICE_SERVER__PORT: '0', PRX_VOICE_SERVER__HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const out: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      out.push(l);
      for (const w of waiters.splice(0)) {
        if (w.pattern.test(l)) w.resolve(l);
        else waiters.push(w);
      }
    }
  });
  child.stderr
    .setEncoding('utf8')
    .on('data', (chunk: string) => process.stderr.write(`SERVER[${String(child.pid)}]: ${chunk}`));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const line = (pattern: RegExp): Promise<string> => {
    const seen = out.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return Promise.race([
      new Promise<string>((resolve) => waiters.push({ pattern, resolve })),
      exited.then(({ code, signal }) => {
        throw new Error(
          `the server exited (${String(code ?? signal)}) before printing ${String(pattern)}; it printed:\n${out.join('\n')}`,
        );
      }),
    ]);
  };
  const listening = await line(/^prx-voice listening on (http:\/\/\S+)/);
  const url = /^prx-voice listening on (http:\/\/\S+)/.exec(listening)?.[1] ?? '';
  return { child, url, out, line, exited };
}

/**
 * A suite's server processes, in a temporary directory of their own (`dir`): `start` runs
 * one there as {@link startServerProcess} does; after the suite every one still running is
 * killed and the directory removed. Call at the top of a test file.
 */
export function useServerProcesses(prefix: string): {
  readonly dir: string;
  start(env: Record<string, string>, opts?: ServerProcessOptions): Promise<ServerProcess>;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const running: ServerProcess[] = [];
  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(running.map((p) => p.exited));
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    async start(env, opts) {
      const p = await startServerProcess(dir, env, opts);
      running.push(p);
      return p;
    },
  };
}
