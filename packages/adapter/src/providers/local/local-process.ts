/**
 * Child processes of the local speech engines (espeak-ng, pocketsphinx):
 * spawned directly (no shell), with a bounded tail of stderr for error
 * details, the exit as a promise that settles once the output is read and the
 * process reaped, and the provider error an unusable engine turns into.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { VoiceError } from '@prx-voice/types';
import { providerError } from '../../interfaces.js';

/** How an engine process ended: its exit code or signal, or why it could not start. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. `ENOENT`). */
  readonly spawnError?: Error;
}

/** What a provider's `onProcess` hook is told about each process it starts. */
export interface LocalProcessInfo {
  /** The executable, e.g. `espeak-ng`, `pocketsphinx_continuous` or `dd`. */
  readonly command: string;
  /** Process id, or `undefined` when the spawn failed. */
  readonly pid: number | undefined;
  /** Settles (never rejects) once the process has exited and was reaped. */
  readonly exited: Promise<ProcessExit>;
}

/** How {@link LocalProcess} reports output. */
export interface LocalProcessOptions {
  /** Called with each line the process writes to stdout. */
  readonly onStdoutLine?: (line: string) => void;
  /** Called with each line the process writes to stderr (after it is added to the tail). */
  readonly onStderrLine?: (line: string) => void;
}

/** Lines of stderr kept for error details. */
const STDERR_TAIL_LINES = 12;
/** Longest stderr line kept, characters. */
const STDERR_LINE_MAX = 300;

/** One spawned engine process; see the file note. */
export class LocalProcess implements LocalProcessInfo {
  readonly command: string;
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<ProcessExit>;
  readonly #stderr: string[] = [];
  #done = false;

  constructor(command: string, args: readonly string[], options: LocalProcessOptions = {}) {
    this.command = command;
    this.child = spawn(command, args, { stdio: 'pipe' });
    // Writing after the process died fails with EPIPE; its exit says what happened.
    this.child.stdin.on('error', () => undefined);
    const stderr = createInterface({ input: this.child.stderr, crlfDelay: Infinity });
    stderr.on('line', (line) => {
      this.#stderr.push(line.length > STDERR_LINE_MAX ? line.slice(0, STDERR_LINE_MAX) : line);
      if (this.#stderr.length > STDERR_TAIL_LINES) this.#stderr.shift();
      options.onStderrLine?.(line);
    });
    // Without a line handler the owner reads `child.stdout` itself.
    if (options.onStdoutLine !== undefined) {
      const lines = createInterface({ input: this.child.stdout, crlfDelay: Infinity });
      lines.on('line', options.onStdoutLine);
    }
    this.exited = new Promise((resolve) => {
      const settle = (exit: ProcessExit): void => {
        if (this.#done) return;
        this.#done = true;
        resolve(exit);
      };
      this.child.on('error', (error) => {
        // Only a failed spawn leaves no pid; later errors (a failed kill) change nothing.
        if (this.child.pid === undefined) settle({ code: null, signal: null, spawnError: error });
      });
      // 'close': the process exited and its stdio is fully read, so every line was delivered.
      this.child.once('close', (code, signal) => {
        settle({ code, signal });
      });
    });
  }

  /** Process id, or `undefined` when the spawn failed. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the exit has been observed. */
  get done(): boolean {
    return this.#done;
  }

  /** The last lines of stderr, joined; never holds secrets (the engines print their settings and errors). */
  stderrTail(): string {
    return this.#stderr.join('\n');
  }

  /** Writes to stdin unless it is closed; returns false when the data was dropped. */
  write(bytes: Uint8Array): boolean {
    const stdin = this.child.stdin;
    if (this.#done || !stdin.writable) return false;
    stdin.write(bytes);
    return true;
  }

  /** Closes stdin: the engine reads the end of its input. */
  endInput(): void {
    if (this.child.stdin.writable) this.child.stdin.end();
  }

  /** Sends `signal` to the process; ignored once it has exited. */
  kill(signal: NodeJS.Signals): void {
    if (this.#done || this.child.pid === undefined) return;
    this.child.kill(signal);
  }
}

/** A readable description of an exit, e.g. `exit code 1` or `signal SIGKILL`. */
export function describeExit(exit: ProcessExit): string {
  if (exit.spawnError !== undefined) return `could not start (${exit.spawnError.message})`;
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  return `exit code ${String(exit.code)}`;
}

/**
 * The `PROVIDER_UNAVAILABLE` error (fallback possible) of an engine that could
 * not run or failed: the exit and the tail of its stderr go into the details.
 */
export function engineUnavailable(
  provider: string,
  message: string,
  exit: ProcessExit | undefined,
  stderr: string,
): VoiceError {
  return providerError('PROVIDER_UNAVAILABLE', {
    provider,
    message: exit === undefined ? message : `${message}: ${describeExit(exit)}`,
    fallback: true,
    ...(exit?.spawnError === undefined ? {} : { cause: exit.spawnError }),
    details: {
      ...(exit === undefined ? {} : { exit_code: exit.code, signal: exit.signal }),
      stderr,
    },
  });
}
